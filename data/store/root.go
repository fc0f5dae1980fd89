package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// EnvRoot names the environment variable that gives the data root when no folder is given explicitly.
const EnvRoot = "REINMAX_DATA_DIR"

// Root returns the data root: dir when it is not empty, else $REINMAX_DATA_DIR when it is set, else the
// folder reinmax in the user's cache folder (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux,
// ~/Library/Caches on macOS, %LocalAppData% on Windows). It neither creates nor checks the folder.
func Root(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if d := os.Getenv(EnvRoot); d != "" {
		return d, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("store: no data root: give one with --data DIR or %s (%v)", EnvRoot, err)
	}
	return filepath.Join(cache, "reinmax"), nil
}

// GoModCache returns the Go module cache as the go command places it, without running the go command:
// $GOMODCACHE, else pkg/mod in the first folder of $GOPATH, else go/pkg/mod in the home folder. It
// returns "" when none of these is known. A GOMODCACHE set only with `go env -w` is not seen.
func GoModCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if p := filepath.SplitList(os.Getenv("GOPATH")); len(p) > 0 && p[0] != "" {
		return filepath.Join(p[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}
