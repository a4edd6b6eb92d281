package tokenizer

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// source is a folder on disk (fsys nil: dir is an OS path) or in an fs.FS,
// so that the path loaders and the fs.FS ones share one code path and
// messages name the file as the caller gave it.
type source struct {
	fsys fs.FS
	dir  string
}

func (s source) path(name string) string {
	if s.fsys == nil {
		return filepath.Join(s.dir, name)
	}
	return path.Join(s.dir, name)
}

func (s source) read(name string) ([]byte, error) {
	if s.fsys == nil {
		return os.ReadFile(s.path(name))
	}
	return fs.ReadFile(s.fsys, s.path(name))
}

// parseFile reads name from src and parses it; errors name the file.
func parseFile[T any](src source, name string, parse func([]byte) (T, error)) (T, error) {
	b, err := src.read(name)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("tokenizer: %w", err)
	}
	v, err := parse(b)
	if err != nil {
		return v, fmt.Errorf("%s: %w", src.path(name), err)
	}
	return v, nil
}

func (s source) exists(name string) bool {
	var err error
	if s.fsys == nil {
		_, err = os.Stat(s.path(name))
	} else {
		_, err = fs.Stat(s.fsys, s.path(name))
	}
	return err == nil
}
