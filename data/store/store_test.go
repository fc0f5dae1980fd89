package store

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/internal/filelock"
)

func TestRoot(t *testing.T) {
	cache := t.TempDir()
	for _, tc := range []struct {
		name, dir, env, xdg, home string
		want                      string // "" for an error
	}{
		{"explicit", "/data", "/env", cache, "/home", "/data"},
		{"environment", "", "/env", cache, "/home", "/env"},
		{"XDG cache", "", "", cache, "/home", filepath.Join(cache, "reinmax")},
		{"home", "", "", "", "/home/u", "/home/u/.cache/reinmax"},
		{"none", "", "", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvRoot, tc.env)
			t.Setenv("XDG_CACHE_HOME", tc.xdg)
			t.Setenv("HOME", tc.home)
			got, err := Root(tc.dir)
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), EnvRoot) {
					t.Errorf("Root(%q) = %q, %v; want an error naming %s", tc.dir, got, err, EnvRoot)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Root(%q) = %q, %v; want %q", tc.dir, got, err, tc.want)
			}
		})
	}
}

func TestGoModCache(t *testing.T) {
	for _, tc := range []struct{ gomodcache, gopath, home, want string }{
		{"/mc", "/gp", "/h", "/mc"},
		{"", "/gp", "/h", "/gp/pkg/mod"},
		{"", "/gp1" + string(os.PathListSeparator) + "/gp2", "/h", "/gp1/pkg/mod"},
		{"", "", "/h", "/h/go/pkg/mod"},
		{"", "", "", ""},
	} {
		t.Setenv("GOMODCACHE", tc.gomodcache)
		t.Setenv("GOPATH", tc.gopath)
		t.Setenv("HOME", tc.home)
		if got := GoModCache(); got != tc.want {
			t.Errorf("GOMODCACHE=%q GOPATH=%q HOME=%q: GoModCache() = %q, want %q", tc.gomodcache, tc.gopath, tc.home, got, tc.want)
		}
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func gz(t *testing.T, b []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheck(t *testing.T) {
	content := bytes.Repeat([]byte("reinmax "), 1000)
	published := gz(t, content, gzip.BestCompression)
	other := gz(t, content, gzip.BestSpeed)
	changed := gz(t, append(bytes.Clone(content), '!'), gzip.BestCompression)
	withContent := File{Name: "a.gz", SHA256: []string{sum(published)}, GunzipSHA256: sum(content)}
	exact := File{Name: "a.gz", SHA256: []string{sum(published)}}
	for _, tc := range []struct {
		name string
		f    File
		data []byte
		want string // "" for no error, else a part of the error
	}{
		{"published", withContent, published, ""},
		{"published, exact only", exact, published, ""},
		{"second accepted digest", File{SHA256: []string{"00", sum(other)}}, other, ""},
		{"another compression", withContent, other, ""},
		{"another compression, exact only", exact, other, "SHA-256 " + sum(other) + ", expected " + sum(published)},
		{"other content", withContent, changed, "its content has SHA-256 " + sum(append(bytes.Clone(content), '!')) + ", expected " + sum(content)},
		{"truncated", withContent, published[:len(published)/2], "does not decompress"},
		{"not gzip", withContent, content, "does not decompress"},
		{"empty", withContent, nil, "SHA-256 " + sum(nil)},
	} {
		err := tc.f.check(bytes.NewReader(tc.data))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: check = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// testSet is a data set of two small files, one installed by a "package" in pkgDir.
func testSet(t *testing.T, pkgDir string) (Dataset, map[string][]byte) {
	t.Helper()
	data := map[string][]byte{"a.txt": []byte("first file\n"), "b.txt": []byte("second file\n")}
	d := Dataset{Name: "toy", Title: "Toy", Places: func() []Place { return []Place{{Dir: pkgDir, Origin: "package toy"}} }}
	for _, n := range []string{"a.txt", "b.txt"} {
		d.Files = append(d.Files, File{Name: n, SHA256: []string{sum(data[n])}})
	}
	return d, data
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindRead(t *testing.T) {
	root, pkg := t.TempDir(), t.TempDir()
	d, data := testSet(t, pkg)
	places := d.Search(root)
	if len(places) != 2 || places[0] != (Place{filepath.Join(root, "toy"), OriginRoot}) || places[1].Dir != pkg {
		t.Fatalf("Search(%s) = %v", root, places)
	}

	// Nothing anywhere: one error naming both files and the commands.
	if _, _, err := d.Read(places, "a.txt", "b.txt"); err == nil {
		t.Fatal("Read of missing files: no error")
	} else {
		var m *MissingError
		for _, want := range []string{"Toy files missing: a.txt, b.txt", filepath.Join(root, "toy") + " (data root)", pkg + " (package toy)",
			"reinmax data fetch --data " + root + " toy", "reinmax data import --data " + root + " toy DIR"} {
			if !errors.As(err, &m) || !strings.Contains(err.Error(), want) {
				t.Errorf("error %q: want a *MissingError containing %q", err, want)
			}
		}
	}
	for _, f := range d.Find(places) {
		if !f.Missing() || f.Err == nil {
			t.Errorf("Find: %+v, want missing", f)
		}
	}

	// a.txt in the package's folder, b.txt in both: the data root comes first.
	write(t, filepath.Join(pkg, "a.txt"), data["a.txt"])
	write(t, filepath.Join(pkg, "b.txt"), []byte("a bad copy\n"))
	write(t, filepath.Join(root, "toy", "b.txt"), data["b.txt"])
	b, found, err := d.Read(places, "b.txt", "a.txt")
	if err != nil || string(b[0]) != string(data["b.txt"]) || string(b[1]) != string(data["a.txt"]) {
		t.Fatalf("Read = %q, %v", b, err)
	}
	if found[0].Origin != OriginRoot || found[1].Origin != "package toy" || found[1].Path != filepath.Join(pkg, "a.txt") || found[1].Size != int64(len(data["a.txt"])) {
		t.Errorf("Read found %+v", found)
	}
	if _, _, err := d.Read(nil, "a.txt"); err == nil || !strings.Contains(err.Error(), "Toy files missing: a.txt (no data root and no other place to look in)") {
		t.Errorf("Read with no place to look in: %v", err)
	}
	if _, _, err := d.Read(places, "c.txt"); err == nil || !strings.Contains(err.Error(), "Toy has no file c.txt") {
		t.Errorf("Read of an unknown file: %v", err)
	}

	// A bad copy is an error naming it, not skipped for another.
	write(t, filepath.Join(root, "toy", "a.txt"), []byte("first filf\n"))
	_, _, err = d.Read(places, "a.txt")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "toy", "a.txt")+" (data root): SHA-256") || !strings.Contains(err.Error(), "remove it") {
		t.Errorf("Read of a bad file: %v", err)
	}
	found = d.Find(places)
	if found[0].Err == nil || found[0].Missing() || found[1].Err != nil || found[1].Origin != OriginRoot {
		t.Errorf("Find: %+v", found)
	}
}

func TestEmbedded(t *testing.T) {
	content := []byte("shipped\n")
	d := Dataset{Name: "small", Title: "Small", Files: []File{{Name: "s.txt", SHA256: []string{sum(content)}}},
		Embedded: func(name string) ([]byte, error) { return content, nil }}
	b, found, err := d.Read(d.Search(t.TempDir()), "s.txt")
	if err != nil || string(b[0]) != string(content) || found[0].Origin != OriginEmbedded || found[0].Path != "" {
		t.Errorf("Read = %q, %+v, %v", b, found, err)
	}
	if f := d.Find(nil); f[0].Err != nil || f[0].Size != int64(len(content)) {
		t.Errorf("Find = %+v", f)
	}
	content = []byte("altered\n")
	if _, _, err := d.Read(nil, "s.txt"); err == nil || !strings.Contains(err.Error(), "Small file s.txt (embedded in the binary): SHA-256") {
		t.Errorf("Read of a bad embedded file: %v", err)
	}
}

// TestImport checks that import copies and verifies, and writes nothing when a file is missing or bad.
func TestImport(t *testing.T) {
	root, src := t.TempDir(), t.TempDir()
	d, data := testSet(t, t.TempDir())
	write(t, filepath.Join(src, "a.txt"), data["a.txt"])
	if _, err := d.Import(root, src); err == nil || !strings.Contains(err.Error(), "lacks b.txt; nothing imported") {
		t.Errorf("Import without b.txt: %v", err)
	}
	write(t, filepath.Join(src, "b.txt"), []byte("second filf\n"))
	if _, err := d.Import(root, src); err == nil || !strings.Contains(err.Error(), filepath.Join(src, "b.txt")+": SHA-256") {
		t.Errorf("Import of a bad b.txt: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "toy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed import wrote into the data root: %v", err)
	}
	write(t, filepath.Join(src, "b.txt"), data["b.txt"])
	found, err := d.Import(root, src)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range found {
		got, err := os.ReadFile(filepath.Join(root, "toy", f.File))
		if err != nil || string(got) != string(data[f.File]) || f.Origin != OriginRoot || f.Path != filepath.Join(root, "toy", d.Files[i].Name) {
			t.Errorf("imported %+v: %q, %v", f, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "toy", "a.txt"+PartialSuffix)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a partial file is left: %v", err)
	}
	// Again from the data root's own folder: nothing to copy.
	if _, err := d.Import(root, filepath.Join(root, "toy")); err != nil {
		t.Errorf("Import from the data root itself: %v", err)
	}
	if _, err := d.Import(root, filepath.Join(src, "a.txt")); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("Import from a file: %v", err)
	}
}

// TestBadRoot checks the errors of a data root that cannot be written and of a data set that another
// process is writing.
func TestBadRoot(t *testing.T) {
	tmp, src := t.TempDir(), t.TempDir()
	d, data := testSet(t, t.TempDir())
	for n, b := range data {
		write(t, filepath.Join(src, n), b)
	}
	file := filepath.Join(tmp, "file")
	write(t, file, nil)
	readOnly := filepath.Join(tmp, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, root, want string
		skip             bool
	}{
		{"a file", file, "data root " + file + " is not a folder", false},
		{"below a file", filepath.Join(file, "sub"), "cannot create the folder of Toy", false},
		// root may write anywhere: the case is left out for it.
		{"read-only", readOnly, "cannot create the folder of Toy", os.Geteuid() == 0},
	} {
		if tc.skip {
			continue
		}
		if _, err := d.Import(tc.root, src); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Import = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}

	root := t.TempDir()
	dir := filepath.Join(root, "toy")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A lock file left by a killed run does not block.
	write(t, filepath.Join(dir, ".lock"), nil)
	if _, err := d.Import(root, src); err != nil {
		t.Fatalf("Import with a stale lock file: %v", err)
	}
	l, err := filelock.TryLock(filepath.Join(dir, ".lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	os.Remove(filepath.Join(dir, "a.txt"))
	if _, err := d.Import(root, src); err == nil || !strings.Contains(err.Error(), "another reinmax data fetch or import is writing") {
		t.Errorf("Import while the lock is held: %v", err)
	}
	if _, err := d.Fetch(t.Context(), root, FetchOptions{BaseURL: "http://127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "another reinmax data fetch or import is writing") {
		t.Errorf("Fetch while the lock is held: %v", err)
	}
}

func TestContentRange(t *testing.T) {
	for _, tc := range []struct {
		in          string
		start, size int64
		ok          bool
	}{
		{"bytes 100-199/200", 100, 200, true},
		{"bytes 0-9/*", 0, -1, true},
		{"bytes */200", 0, 0, false},
		{"100-199/200", 0, 0, false},
		{"bytes 100-199", 0, 0, false},
		{"", 0, 0, false},
	} {
		start, size, ok := contentRange(tc.in)
		if start != tc.start || size != tc.size || ok != tc.ok {
			t.Errorf("contentRange(%q) = %d, %d, %v; want %d, %d, %v", tc.in, start, size, ok, tc.start, tc.size, tc.ok)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/data/root": "/data/root",
		"/my data":   "'/my data'",
		"/it's":      `'/it'\''s'`,
		"":           "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
