package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultStall is how long Fetch waits for the next byte from a server before it gives up.
const DefaultStall = 30 * time.Second

// PartialSuffix ends the name of a file being written into the data root; loaders never read it.
const PartialSuffix = ".partial"

// FetchOptions tune Fetch. The zero value downloads from the data set's URLs with DefaultStall.
type FetchOptions struct {
	// BaseURL, when not empty, replaces the data set's URLs: FILE is downloaded from BaseURL/FILE.
	BaseURL string
	// Client makes the requests; nil for one that uses the proxy of the environment (HTTPS_PROXY, ...).
	Client *http.Client
	// Stall is how long to wait for the response or for the next byte of the body before giving up;
	// 0 for DefaultStall.
	Stall time.Duration
	// Progress, when not nil, is called as the bytes of each file arrive, and once more when the file is
	// verified and in place.
	Progress func(Progress)
}

// Progress reports the download of one file.
type Progress struct {
	File     string // the file's base name
	URL      string // where it comes from
	Received int64  // bytes of the file on disk so far, resumed ones included
	Total    int64  // the file's size, -1 when the server does not say
	Resumed  int64  // bytes kept from an earlier, interrupted download
	Complete bool   // the file is verified and in place
}

// HTTPError is a response other than the file.
type HTTPError struct {
	URL    string
	Status string // e.g. "404 Not Found"
}

func (e *HTTPError) Error() string { return fmt.Sprintf("%s: HTTP %s", e.URL, e.Status) }

// Fetch downloads into the data root (Root(root)) every file of d that the data root does not already
// hold verified, and returns where each file now is. A file is written as FILE.partial and moved into
// place only once its SHA-256 is verified; a FILE.partial left by an interrupted download is resumed
// with an HTTP range request (and started again from its first byte if the result fails its checksum).
// Each base URL is tried in turn until one gives a good file. Fetch holds the lock of the data set's
// folder while it runs and fails at once when another fetch or import holds it. An embedded data set
// needs nothing: Fetch returns where its files are.
func (d Dataset) Fetch(ctx context.Context, root string, opt FetchOptions) ([]Found, error) {
	if d.Embedded != nil {
		return d.Find(nil), nil
	}
	urls := d.URLs
	if opt.BaseURL != "" {
		urls = []string{opt.BaseURL}
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%s has no download location; copy its files from a folder DIR that holds them with: %s",
			d.Title, d.Command("import", root, "DIR"))
	}
	return d.fill(root, func(f File, final string) (int64, error) {
		var errs []string
		for _, base := range urls {
			url := strings.TrimSuffix(base, "/") + "/" + f.Name
			size, err := fetchFile(ctx, url, f, final, opt)
			if err == nil {
				return size, nil
			}
			errs = append(errs, err.Error())
			if ctx.Err() != nil {
				break
			}
		}
		return 0, fmt.Errorf("%s: fetching %s: %s", d.Title, f.Name, strings.Join(errs, "; "))
	})
}

// fetchFile downloads url into final through final+PartialSuffix, verifying it against f, and returns
// its size.
func fetchFile(ctx context.Context, url string, f File, final string, opt FetchOptions) (int64, error) {
	partial := final + PartialSuffix
	for {
		resumed, err := get(ctx, url, f.Name, partial, opt)
		if err != nil {
			return 0, err
		}
		if err := f.checkFile(partial); err != nil {
			os.Remove(partial)
			if resumed > 0 {
				continue // the kept bytes may not belong to this file: once more from the first byte
			}
			return 0, fmt.Errorf("%s: the downloaded file fails its checksum: %v", url, err)
		}
		size, err := install(partial, final)
		if err == nil && opt.Progress != nil {
			opt.Progress(Progress{File: f.Name, URL: url, Received: size, Total: size, Resumed: resumed, Complete: true})
		}
		return size, err
	}
}

// get downloads url into partial, resuming from the bytes partial already holds when the server
// allows, and returns how many bytes it resumed from. On an error the bytes received stay in partial.
func get(ctx context.Context, url, name, partial string, opt FetchOptions) (resumed int64, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stall := opt.Stall
	if stall <= 0 {
		stall = DefaultStall
	}
	w := newWatchdog(stall, cancel)
	defer w.stop()

	var offset int64
	if fi, err := os.Stat(partial); err == nil {
		offset = fi.Size()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "reinmax (github.com/f60e9205/reinmax)")
	req.Header.Set("Accept-Encoding", "identity") // the bytes as stored: no transparent decompression
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	client := opt.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, w.explain(ctx, url, err, 0)
	}
	defer resp.Body.Close()
	flag, total := os.O_WRONLY|os.O_CREATE, resp.ContentLength
	switch {
	case resp.StatusCode == http.StatusOK:
		flag |= os.O_TRUNC
		offset = 0
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		start, size, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			os.Remove(partial)
			return 0, fmt.Errorf("%s: asked for the bytes from %d on, got Content-Range %q; the partial download is removed, run fetch again to start over",
				url, offset, resp.Header.Get("Content-Range"))
		}
		flag |= os.O_APPEND
		total = size
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		return offset, nil // partial is as long as the file, or longer: the checksum decides
	default:
		return 0, &HTTPError{URL: url, Status: resp.Status}
	}
	out, err := os.OpenFile(partial, flag, 0o644)
	if err != nil {
		return 0, err
	}
	p := Progress{File: name, URL: url, Received: offset, Total: total, Resumed: offset}
	if opt.Progress != nil {
		opt.Progress(p)
	}
	buf := make([]byte, 64<<10)
	var copyErr error
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			w.kick()
			if _, werr := out.Write(buf[:n]); werr != nil {
				copyErr = werr
				break
			}
			p.Received += int64(n)
			if opt.Progress != nil {
				opt.Progress(p)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			copyErr = w.explain(ctx, url, err, p.Received)
			break
		}
	}
	if err := out.Sync(); err != nil && copyErr == nil {
		copyErr = err
	}
	if err := out.Close(); err != nil && copyErr == nil {
		copyErr = err
	}
	if copyErr != nil {
		return 0, copyErr
	}
	if total >= 0 && p.Received != total {
		return 0, fmt.Errorf("%s: truncated body: got %d of %d bytes (kept in %s; run fetch again to resume)", url, p.Received, total, partial)
	}
	return offset, nil
}

// contentRange parses "bytes start-end/size" (size may be "*", returned as -1).
func contentRange(s string) (start, size int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	span, sz, found2 := strings.Cut(s, "/")
	first, _, found3 := strings.Cut(span, "-")
	if !found || !found2 || !found3 {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if sz == "*" {
		return start, -1, true
	}
	size, err = strconv.ParseInt(sz, 10, 64)
	return start, size, err == nil
}

// install moves the verified partial file into place and returns its size.
func install(partial, final string) (int64, error) {
	fi, err := os.Stat(partial)
	if err != nil {
		return 0, err
	}
	if err := os.Rename(partial, final); err != nil {
		return 0, err
	}
	if dir, err := os.Open(filepath.Dir(final)); err == nil {
		dir.Sync() // make the rename durable where the system allows it
		dir.Close()
	}
	return fi.Size(), nil
}

// watchdog cancels a download when no byte arrives for a while.
type watchdog struct {
	d     time.Duration
	t     *time.Timer
	fired atomic.Bool
}

func newWatchdog(d time.Duration, cancel func()) *watchdog {
	w := &watchdog{d: d}
	w.t = time.AfterFunc(d, func() { w.fired.Store(true); cancel() })
	return w
}

func (w *watchdog) kick() { w.t.Reset(w.d) }
func (w *watchdog) stop() { w.t.Stop() }

// explain turns the error of a request or a body read into one that says what happened.
func (w *watchdog) explain(ctx context.Context, url string, err error, received int64) error {
	switch {
	case w.fired.Load():
		return fmt.Errorf("%s: the server stalled: no data for %v after %d bytes (run fetch again to resume)", url, w.d, received)
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: interrupted after %d bytes (run fetch again to resume)", url, received)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: truncated body: the connection closed after %d bytes (run fetch again to resume)", url, received)
	}
	var ue *neturl.Error // it repeats the URL: keep what went wrong
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s: %v", url, err)
}
