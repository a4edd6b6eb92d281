package tokenizer

import (
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

func (s source) exists(name string) bool {
	var err error
	if s.fsys == nil {
		_, err = os.Stat(s.path(name))
	} else {
		_, err = fs.Stat(s.fsys, s.path(name))
	}
	return err == nil
}
