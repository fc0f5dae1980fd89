// Package filelock takes advisory locks on files: one writer at a time for a results file, one process at a time
// for an output folder. The locks are released by the operating system when their process ends, so a killed run
// never leaves a folder locked.
package filelock

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrLocked is wrapped by the error of TryLock when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// Lock is a held lock on a lock file.
type Lock struct {
	f *os.File
}

// TryLock takes the lock of the file at path (created when missing) without waiting, and writes the caller's PID
// into it. When another process holds it, the error wraps ErrLocked and names that process's PID, read from the
// file.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = "process " + strconv.Itoa(pid)
			}
		}
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("%s is held by %s: %w", path, holder, ErrLocked)
		}
		return nil, err
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. The lock file stays: removing it would let a third process lock a new file while a
// second still waits on the old one.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// Exclusive waits for the exclusive lock of the open file f and returns the function that releases it. Locks are
// per open file: two goroutines that open the same path separately exclude each other too.
func Exclusive(f *os.File) (unlock func() error, err error) {
	if err := lockWait(f); err != nil {
		return nil, err
	}
	return func() error { return unlockFile(f) }, nil
}
