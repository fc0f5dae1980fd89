package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/f60e9205/reinmax/internal/filelock"
)

// Import copies the files of d from the folder dir into the data root (Root(root)) and returns where
// each file now is. Every file of dir is verified before anything is written, so a folder that lacks a
// file or holds a bad one changes nothing; each copy is written as FILE.partial, verified again and
// moved into place. Files the data root already holds verified are kept. Import holds the lock of the
// data set's folder, as Fetch does. An embedded data set needs nothing: Import returns where its files
// are.
func (d Dataset) Import(root, dir string) ([]Found, error) {
	if d.Embedded != nil {
		return d.Find(nil), nil
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s: cannot import from %s: not a folder", d.Title, dir)
	}
	var missing, bad []string
	for _, f := range d.Files {
		src := filepath.Join(dir, f.Name)
		if _, err := os.Stat(src); err != nil {
			missing = append(missing, f.Name)
		} else if err := f.checkFile(src); err != nil {
			bad = append(bad, src+": "+err.Error())
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: %s lacks %s; nothing imported", d.Title, dir, strings.Join(missing, ", "))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s: %s; nothing imported", d.Title, strings.Join(bad, "; "))
	}
	return d.fill(root, func(f File, final string) (int64, error) {
		src := filepath.Join(dir, f.Name)
		size, err := copyVerified(src, final, f)
		if err != nil {
			return 0, fmt.Errorf("%s: importing %s: %v", d.Title, src, err)
		}
		return size, nil
	})
}

// fill creates the folder of d in the data root and, holding its lock, calls put for every file that the
// folder does not already hold verified, with the file's final path; put writes and verifies the file
// and returns its size. fill returns where every file is, or put's first error.
func (d Dataset) fill(root string, put func(f File, final string) (int64, error)) ([]Found, error) {
	dir, unlock, err := d.prepare(root)
	if err != nil {
		return nil, err
	}
	defer unlock()
	found := make([]Found, len(d.Files))
	for i, f := range d.Files {
		final := filepath.Join(dir, f.Name)
		size, err := int64(0), error(nil)
		if fi, serr := os.Stat(final); serr == nil && f.checkFile(final) == nil {
			size = fi.Size()
		} else if size, err = put(f, final); err != nil {
			return nil, err
		}
		found[i] = Found{File: f.Name, Path: final, Origin: OriginRoot, Size: size}
	}
	return found, nil
}

// copyVerified copies src to final through final+PartialSuffix and verifies the copy before moving it
// into place.
func copyVerified(src, final string, f File) (int64, error) {
	partial := final + PartialSuffix
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(out, in)
	if serr := out.Sync(); err == nil {
		err = serr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.checkFile(partial)
	}
	if err != nil {
		os.Remove(partial)
		return 0, err
	}
	return install(partial, final)
}

// prepare creates the folder of d in the data root and takes its lock; it returns the folder and the
// function that releases the lock.
func (d Dataset) prepare(root string) (string, func(), error) {
	r, err := Root(root)
	if err != nil {
		return "", nil, err
	}
	if fi, err := os.Stat(r); err == nil && !fi.IsDir() {
		return "", nil, fmt.Errorf("data root %s is not a folder", r)
	}
	dir := filepath.Join(r, d.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("data root %s: cannot create the folder of %s: %v", r, d.Title, err)
	}
	l, err := filelock.TryLock(filepath.Join(dir, ".lock"))
	if errors.Is(err, filelock.ErrLocked) {
		return "", nil, fmt.Errorf("data root %s: another reinmax data fetch or import is writing %s (%v); wait for it to finish", r, d.Title, err)
	}
	if err != nil {
		return "", nil, fmt.Errorf("data root %s: cannot write the lock file: %v", r, err)
	}
	return dir, func() { l.Unlock() }, nil
}
