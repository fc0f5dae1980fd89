package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/data/images"
	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; listops is the experiment
	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/data/omniglot"
	"github.com/f60e9205/reinmax/data/store"
)

func TestDataBadInput(t *testing.T) {
	const valid = "valid: mnist, fashion-mnist, omniglot, listops"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "bogus"}, "unknown data command \"bogus\" (valid: list, fetch, import)"},
		{[]string{"data", "list", "mnist"}, "no arguments"},
		{[]string{"data", "fetch"}, "no data set given (" + valid + ")"},
		{[]string{"data", "fetch", "mnist", "nope"}, "unknown data set \"nope\" (" + valid + ")"},
		{[]string{"data", "fetch", "--url", "http://127.0.0.1:1/", "mnist", "fashion-mnist"}, "name exactly one"},
		{[]string{"data", "fetch", "--stall", "0s", "mnist"}, "--stall must be positive"},
		{[]string{"data", "fetch", "--bogus", "mnist"}, "unknown flag"},
		{[]string{"data", "import", "mnist"}, "import needs a data set and a folder"},
		{[]string{"data", "import", "nope", "/tmp"}, "unknown data set \"nope\" (" + valid + ")"},
	} {
		_, err := run(tc.args...)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want a usage error (exit status 2) containing %q", tc.args, err, tc.want)
		}
	}
}

// TestDataRunErrors checks that failures at run time are plain errors (exit status 1) of one line.
func TestDataRunErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "fetch", "--data", file, "mnist"}, "data root " + file + " is not a folder"},
		{[]string{"data", "import", "--data", tmp, "mnist", tmp}, tmp + " lacks train-images-idx3-ubyte.gz"},
		{[]string{"data", "fetch", "--data", tmp, "--url", notFound.URL, "fashion"}, "HTTP 404 Not Found"},
	} {
		_, err := run(tc.args...)
		var u usageError
		if err == nil || errors.As(err, &u) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want a one-line run-time error containing %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "fashion-mnist", "train-images-idx3-ubyte.gz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed fetch left a file in place: %v", err)
	}
}

// TestDataFetchImportList fetches MNIST from a local server into one data root, imports it from there
// into a second, and lists the second.
func TestDataFetchImportList(t *testing.T) {
	src := mnist.Dataset(mnist.MNIST).Places()[0].Dir
	srv := httptest.NewServer(http.FileServer(http.Dir(src)))
	defer srv.Close()
	first, second := t.TempDir(), t.TempDir()
	out, err := run("data", "fetch", "--data", first, "--url", srv.URL, "mnist")
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := run("data", "fetch", "--data", first, "omniglot", "listops")
	if err != nil {
		t.Fatal(err)
	}
	out += embedded
	for _, want := range []string{
		"fetching mnist/t10k-labels-idx1-ubyte.gz from " + srv.URL + "/t10k-labels-idx1-ubyte.gz",
		"mnist/t10k-labels-idx1-ubyte.gz: 4.5 kB of 4.5 kB (100%), verified",
		"mnist: " + filepath.Join(first, "mnist", "train-images-idx3-ubyte.gz") + " (9.9 MB, downloaded, verified)",
		"omniglot ships inside reinmax: nothing to fetch",
		"listops ships inside reinmax: nothing to fetch",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("fetch printed\n%s\nwant a line containing %q", out, want)
		}
	}
	if out, err = run("data", "import", "--data", second, "mnist", filepath.Join(first, "mnist")); err != nil {
		t.Fatal(err)
	}
	if want := "mnist: " + filepath.Join(second, "mnist", "t10k-images-idx3-ubyte.gz") + " (1.6 MB, verified)"; !strings.Contains(out, want) {
		t.Errorf("import printed\n%s\nwant a line containing %q", out, want)
	}
	out, err = run("data", "list", "--data", second)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"data root: " + second + " (from --data)",
		filepath.Join(second, "mnist", "train-labels-idx1-ubyte.gz") + " (data root)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list printed\n%s\nwant a line containing %q", out, want)
		}
	}
}

// TestDataAnywhere runs `data list` and the loaders from an empty working folder with an empty home and
// cache folder, as after `go install` on a machine that has the GoMNIST module in its module cache and
// Debian's dataset-fashion-mnist: every data set is found, and loads to the same numbers as from the
// repository. Without the module cache, MNIST is reported missing with the command that gets it.
func TestDataAnywhere(t *testing.T) {
	modcache := store.GoModCache() // the real one, before $HOME changes
	fromRepo := loadDigests(t)
	home := t.TempDir()
	t.Chdir(t.TempDir())
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv(store.EnvRoot, "")
	os.Unsetenv(store.EnvRoot)
	t.Setenv("GOMODCACHE", modcache)

	out, err := run("data", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"data root: " + filepath.Join(home, ".cache", "reinmax") + " (the default, in the user cache folder; it does not exist yet)",
		filepath.Join(modcache, "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data/train-images-idx3-ubyte.gz") + " (Go module " + mnist.GoMNIST + ")",
		"/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz (Debian package dataset-fashion-mnist)",
		"omniglot images_evaluation.npz 2.4 MB verified embedded in the binary",
		"listops test_d20s.tsv 2.8 MB verified embedded in the binary",
	} {
		if !hasLine(out, want) {
			t.Errorf("data list printed\n%s\nwant a line containing %q", out, want)
		}
	}
	if n := strings.Count(out, "verified"); n != 11 || strings.Contains(out, "missing") || strings.Contains(out, "BAD") {
		t.Errorf("data list printed\n%s\nwant 11 verified files", out)
	}
	if got := loadDigests(t); got != fromRepo {
		t.Errorf("loaded from elsewhere: %s\nfrom the repository: %s", got, fromRepo)
	}

	// A machine without the GoMNIST module.
	t.Setenv("GOMODCACHE", filepath.Join(home, "no-modcache"))
	if out, err = run("data", "list"); err != nil {
		t.Fatal(err)
	}
	if !hasLine(out, "mnist t10k-labels-idx1-ubyte.gz - missing -") ||
		!strings.Contains(out, "mnist: get the missing files with: reinmax data fetch mnist (or, offline: reinmax data import mnist DIR)") {
		t.Errorf("data list without the module cache printed\n%s", out)
	}
	_, err = mnist.Load(mnist.MNIST, mnist.Test)
	if err == nil || !strings.Contains(err.Error(), "MNIST files missing: t10k-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz") ||
		!strings.Contains(err.Error(), "get them with: reinmax data fetch mnist") {
		t.Errorf("loading MNIST without it: %v", err)
	}
}

// loadDigests loads the test split of every data set (and Omniglot's training set) and returns the
// SHA-256 of their pixels and labels, one per set.
func loadDigests(t *testing.T) string {
	t.Helper()
	var out []string
	digest := func(s *images.Set) string {
		h := sha256.New()
		for _, v := range s.Images {
			binary.Write(h, binary.LittleEndian, math.Float32bits(v))
		}
		for _, l := range s.Labels {
			binary.Write(h, binary.LittleEndian, int64(l))
		}
		return fmt.Sprintf("%x", h.Sum(nil)[:8])
	}
	for _, name := range []mnist.Name{mnist.MNIST, mnist.Fashion} {
		s, err := mnist.Load(name, mnist.Test)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, digest(s))
	}
	train, test, err := omniglot.Load()
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, digest(train), digest(test))
	ex, err := listopsdata.OfficialTest()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := listopsdata.Write(&b, ex); err != nil {
		t.Fatal(err)
	}
	out = append(out, fmt.Sprintf("%x", sha256.Sum256(b.Bytes()))[:16])
	return strings.Join(out, " ")
}

// hasLine reports whether a line of out contains want, with every run of spaces taken as one.
func hasLine(out, want string) bool {
	want = strings.Join(strings.Fields(want), " ")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(strings.Join(strings.Fields(line), " "), want) {
			return true
		}
	}
	return false
}
