// Package atomicfile writes files so that a crash or kill -9 never leaves a
// half-written one: the content goes to a temporary file beside the target,
// is synced, and is renamed over the target, then the folder is synced.
//
// A leaf package (standard library only) shared by every writer of results,
// caches and checkpoints.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// TempMark sits between a file's final name and the random suffix of its
// temporary name: the temporary file of "x.parquet" is ".x.parquet.tmp123".
// Cleaners find leftovers of killed writers by it.
const TempMark = ".tmp"

// TestHookBeforeRename, set by tests only, runs when a file is complete under
// its temporary name, just before the rename that publishes it.
var TestHookBeforeRename func(path string)

// Write writes path through fill with permissions perm, creating its folder.
// On error the temporary file is removed and path is unchanged.
func Write(path string, perm fs.FileMode, fill func(*os.File) error) (err error) {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+name+TempMark+"*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if TestHookBeforeRename != nil {
		TestHookBeforeRename(path)
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// WriteBytes writes data to path atomically with permissions 0644.
func WriteBytes(path string, data []byte) error {
	return Write(path, 0o644, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// SyncDir makes a rename in dir durable (file systems that cannot sync a
// folder answer EINVAL, which is fine).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
