package data

import (
	"fmt"
	"os"
	"path/filepath"
)

// EnvSharedDir names the environment variable that, when set, gives the shared data folder (the one holding
// SHA256SUMS, omniglot/ and listops/).
const EnvSharedDir = "REINMAX_DATA_DIR"

// SharedDir returns the project's read-only shared data folder: $REINMAX_DATA_DIR when it is set, otherwise
// shared/data beside the root of the repository that holds the working directory (its nearest ancestor with a
// go.mod file), the layout of the project and of its CI: repo/ and shared/ side by side. The folder must hold a
// SHA256SUMS file.
func SharedDir() (string, error) {
	if d := os.Getenv(EnvSharedDir); d != "" {
		return d, checkShared(d, EnvSharedDir+"="+d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("data: finding the shared data folder: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(filepath.Dir(dir), "shared", "data")
			return d, checkShared(d, "the folder beside the repository "+dir)
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("data: %s is not inside the repository, so the shared data folder (shared/data beside "+
				"the repository) cannot be found; set %s to it", wd, EnvSharedDir)
		}
	}
}

func checkShared(dir, what string) error {
	if _, err := os.Stat(filepath.Join(dir, "SHA256SUMS")); err != nil {
		return fmt.Errorf("data: %s (%s) is not the shared data folder: it has no SHA256SUMS file; set %s to the "+
			"folder that holds the project's shared/data", dir, what, EnvSharedDir)
	}
	return nil
}
