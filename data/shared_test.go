package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSharedDir(t *testing.T) {
	root := t.TempDir()
	shared := filepath.Join(root, "shared", "data")
	deep := filepath.Join(root, "repo", "data", "listops")
	for _, d := range []string{shared, deep} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(EnvSharedDir, "")
	t.Chdir(deep)
	if d, err := SharedDir(); err == nil || !strings.Contains(err.Error(), EnvSharedDir) {
		t.Errorf("outside a repository: SharedDir() = %q, %v; want an error naming %s", d, err, EnvSharedDir)
	}
	if err := os.WriteFile(filepath.Join(root, "repo", "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := SharedDir(); err == nil || !strings.Contains(err.Error(), "SHA256SUMS") {
		t.Errorf("without SHA256SUMS: SharedDir() = %q, %v; want an error naming SHA256SUMS", d, err)
	}
	if err := os.WriteFile(filepath.Join(shared, "SHA256SUMS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := SharedDir(); err != nil || !sameDir(d, shared) {
		t.Errorf("SharedDir() = %q, %v; want %q", d, err, shared)
	}
	t.Setenv(EnvSharedDir, filepath.Join(root, "missing"))
	if _, err := SharedDir(); err == nil || !strings.Contains(err.Error(), EnvSharedDir) {
		t.Errorf("with %s pointing nowhere: error %v", EnvSharedDir, err)
	}
	t.Setenv(EnvSharedDir, shared)
	if d, err := SharedDir(); err != nil || d != shared {
		t.Errorf("with %s: SharedDir() = %q, %v", EnvSharedDir, d, err)
	}
}

func sameDir(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
