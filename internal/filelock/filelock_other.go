//go:build !unix

package filelock

import (
	"os"
	"sync"
)

// Without flock, locks hold within one process only: a process-wide mutex per open file for Exclusive, and the
// lock file's existence for TryLock is not checked across processes.
var mu sync.Mutex

func tryLock(*os.File) error    { return nil }
func lockWait(*os.File) error   { mu.Lock(); return nil }
func unlock(*os.File) error     { return nil }
func unlockFile(*os.File) error { mu.Unlock(); return nil }
