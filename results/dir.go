package results

import (
	"fmt"
	"os"

	"github.com/f60e9205/reinmax/internal/atomicfile"
)

// PrepareDir creates the folder dir (and its parents) when it does not exist and checks that files can be created
// in it, by creating and removing a temporary file. Call it before a long run so that an unwritable folder is
// reported at once; it writes nothing that stays.
func PrepareDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("results: no output folder given")
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("results: output folder %s is a file, not a folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: cannot create output folder %s: %w", dir, unwrapPath(err))
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("results: output folder %s is not writable: %w", dir, unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("results: output folder %s: %w", dir, unwrapPath(err))
	}
	return nil
}

// unwrapPath strips the *os.PathError wrapper, whose message repeats a temporary file name, keeping its cause.
var unwrapPath = atomicfile.UnwrapPath
