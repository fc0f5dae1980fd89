package store_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/data/store"
)

// These tests serve the real MNIST files (from the GoMNIST module in the module cache) and broken
// variants of them from local servers; they never touch the internet.

// realFiles returns the bytes of the MNIST files as published.
func realFiles(t *testing.T) map[string][]byte {
	t.Helper()
	d := mnist.Dataset(mnist.MNIST)
	out := map[string][]byte{}
	for _, f := range d.Files {
		b, err := os.ReadFile(filepath.Join(d.Places()[0].Dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

// server serves files with http.ServeContent (which honours Range requests) and records the Range
// header of every request.
type server struct {
	files  map[string][]byte
	mu     sync.Mutex
	ranges []string
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.mu.Unlock()
	b, ok := s.files[path.Base(r.URL.Path)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

func start(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestFetch downloads the four real files, then checks that a second fetch downloads nothing and that
// the files load.
func TestFetch(t *testing.T) {
	t.Parallel()
	files := realFiles(t)
	srv := &server{files: files}
	url := start(t, srv).URL
	root := t.TempDir()
	d := mnist.Dataset(mnist.MNIST)
	// The first location answers 404 for everything: Fetch goes on to the next.
	d.URLs = []string{start(t, http.NotFoundHandler()).URL + "/mnist/", url + "/mnist/"}
	var last = map[string]store.Progress{}
	opt := store.FetchOptions{Progress: func(p store.Progress) {
		if q, ok := last[p.File]; ok && (p.Received < q.Received || q.Complete) {
			t.Errorf("progress of %s went from %+v to %+v", p.File, q, p)
		}
		last[p.File] = p
	}}
	found, err := d.Fetch(t.Context(), root, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		want := files[f.File]
		got, err := os.ReadFile(filepath.Join(root, "mnist", f.File))
		if err != nil || !bytes.Equal(got, want) || f.Origin != store.OriginRoot || f.Size != int64(len(want)) {
			t.Errorf("%s: %+v, %d bytes on disk (%v), want %d", f.File, f, len(got), err, len(want))
		}
		if p := last[f.File]; !p.Complete || p.Received != int64(len(want)) || p.Total != int64(len(want)) || p.URL != url+"/mnist/"+f.File {
			t.Errorf("%s: last progress %+v", f.File, p)
		}
	}
	n := len(srv.requests())
	if n != 4 {
		t.Errorf("%d requests for 4 files", n)
	}
	if _, err := d.Fetch(t.Context(), root, opt); err != nil || len(srv.requests()) != n {
		t.Errorf("second fetch: %v, %d more requests; want none", err, len(srv.requests())-n)
	}
	set, found, err := mnist.Source{Name: mnist.MNIST, Root: root}.Read(mnist.Test)
	if err != nil || set.N != mnist.TestLen || found[1].Origin != store.OriginRoot {
		t.Errorf("loading the fetched files: %v, %+v", err, found)
	}
}

// oneFile returns the MNIST data set reduced to its file name.
func oneFile(t *testing.T, name string) store.Dataset {
	t.Helper()
	d := mnist.Dataset(mnist.MNIST)
	for _, f := range d.Files {
		if f.Name == name {
			d.Files = []store.File{f}
			return d
		}
	}
	t.Fatalf("MNIST has no file %s", name)
	return d
}

// partialSize returns the size of the partial file of name in the data root's mnist folder, -1 when
// there is none.
func partialSize(t *testing.T, root, name string) int {
	t.Helper()
	fi, err := os.Stat(filepath.Join(root, "mnist", name+store.PartialSuffix))
	if errors.Is(err, os.ErrNotExist) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Size())
}

// TestFetchFailures checks each broken server: the error says what went wrong, nothing is moved into
// place, and the bytes received are kept for a resume only when they may be good; a fetch from a good
// server then resumes from them.
func TestFetchFailures(t *testing.T) {
	t.Parallel()
	const name = "t10k-images-idx3-ubyte.gz"
	good := realFiles(t)[name]
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 1
	// Each handler may block until release is closed, when its test ends.
	for _, tc := range []struct {
		name    string
		h       func(release <-chan struct{}) http.Handler
		want    string
		partial int // bytes kept in the partial file; -1 for no partial file
	}{
		{"404", func(<-chan struct{}) http.Handler { return http.NotFoundHandler() }, "HTTP 404 Not Found", -1},
		{"500", func(<-chan struct{}) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
		}, "HTTP 500 Internal Server Error", -1},
		{"corrupt", func(<-chan struct{}) http.Handler { return &server{files: map[string][]byte{name: corrupt}} },
			"the downloaded file fails its checksum: SHA-256", -1},
		{"truncated", func(<-chan struct{}) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(good)))
				w.Write(good[:100000])
			})
		}, "truncated body: the connection closed after 100000 bytes", 100000},
		{"stalled body", func(release <-chan struct{}) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(good)))
				w.Write(good[:5000])
				w.(http.Flusher).Flush()
				<-release
			})
		}, "the server stalled: no data for 100ms after 5000 bytes", 5000},
		{"stalled headers", func(release <-chan struct{}) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release })
		}, "the server stalled: no data for 100ms after 0 bytes", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			srv := start(t, tc.h(release))
			t.Cleanup(func() { close(release) }) // before srv.Close, which waits for the handlers
			root := t.TempDir()
			d := oneFile(t, name)
			_, err := d.Fetch(t.Context(), root, store.FetchOptions{BaseURL: srv.URL, Stall: 100 * time.Millisecond})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), srv.URL+"/"+name) {
				t.Fatalf("Fetch = %v, want an error naming the URL and containing %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(root, "mnist", name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a file was moved into place: %v", err)
			}
			if got := partialSize(t, root, name); got != tc.partial {
				t.Errorf("partial file of %d bytes, want %d", got, tc.partial)
			}
			if tc.partial < 0 {
				return
			}
			ok := &server{files: map[string][]byte{name: good}}
			if _, err := d.Fetch(t.Context(), root, store.FetchOptions{BaseURL: start(t, ok).URL}); err != nil {
				t.Fatal(err)
			}
			if r := ok.requests(); len(r) != 1 || r[0] != "bytes="+strconv.Itoa(tc.partial)+"-" {
				t.Errorf("requests %q, want one for the bytes from %d on", r, tc.partial)
			}
			if b, err := os.ReadFile(filepath.Join(root, "mnist", name)); err != nil || !bytes.Equal(b, good) || partialSize(t, root, name) != -1 {
				t.Errorf("after the resume: %d bytes (%v), want %d and no partial file", len(b), err, len(good))
			}
		})
	}
}

// TestFetchPartial checks the partial files a killed fetch may leave: bytes of another file, the
// whole file, and a server that ignores the range request.
func TestFetchPartial(t *testing.T) {
	t.Parallel()
	const name = "t10k-labels-idx1-ubyte.gz"
	good := realFiles(t)[name]
	ignoreRange := func(w http.ResponseWriter, r *http.Request) { w.Write(good) }
	for _, tc := range []struct {
		name     string
		partial  []byte
		h        http.Handler // nil: a server that honours Range
		requests []string
	}{
		{"other bytes", bytes.Repeat([]byte{7}, 1000), nil, []string{"bytes=1000-", ""}},
		{"whole file", good, nil, []string{"bytes=" + strconv.Itoa(len(good)) + "-"}},
		{"too long", append(bytes.Clone(good), 1, 2, 3), nil, []string{"bytes=" + strconv.Itoa(len(good)+3) + "-", ""}},
		{"range ignored", good[:100], http.HandlerFunc(ignoreRange), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			p := filepath.Join(root, "mnist", name+store.PartialSuffix)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, tc.partial, 0o644); err != nil {
				t.Fatal(err)
			}
			srv := &server{files: map[string][]byte{name: good}}
			h := tc.h
			if h == nil {
				h = srv
			}
			if _, err := oneFile(t, name).Fetch(t.Context(), root, store.FetchOptions{BaseURL: start(t, h).URL}); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(root, "mnist", name)); err != nil || !bytes.Equal(b, good) || partialSize(t, root, name) != -1 {
				t.Errorf("%d bytes (%v), want %d and no partial file", len(b), err, len(good))
			}
			if tc.h == nil && strings.Join(srv.requests(), ",") != strings.Join(tc.requests, ",") {
				t.Errorf("requests %q, want %q", srv.requests(), tc.requests)
			}
		})
	}
}

// TestFetchNoLocation checks the error of a data set that has no download location.
func TestFetchNoLocation(t *testing.T) {
	t.Parallel()
	d := mnist.Dataset(mnist.MNIST)
	d.URLs = nil
	if _, err := d.Fetch(t.Context(), t.TempDir(), store.FetchOptions{}); err == nil || !strings.Contains(err.Error(), "no download location") {
		t.Errorf("Fetch = %v", err)
	}
}

// TestFetchUnreachable checks the error of a server that does not answer at all: it names the URL
// once and says why.
func TestFetchUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := oneFile(t, "t10k-labels-idx1-ubyte.gz").Fetch(t.Context(), t.TempDir(), store.FetchOptions{BaseURL: url})
	if err == nil || !strings.Contains(err.Error(), "connection refused") || strings.Count(err.Error(), url) != 1 {
		t.Errorf("Fetch = %v, want an error naming %s once and saying the connection was refused", err, url)
	}
}
