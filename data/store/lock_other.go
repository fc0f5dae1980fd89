//go:build !unix

package store

import (
	"errors"
	"fmt"
	"os"
)

// lock creates the file at path, failing when it already exists: another fetch or import holds the
// lock, or one that was killed left it behind.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("another reinmax data fetch or import is writing this data set (it holds %s); wait for it to finish, or remove the file if none is running", path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot write the lock file: %v", err)
	}
	f.Close()
	return func() { os.Remove(path) }, nil
}
