package results

import (
	"github.com/f60e9205/reinmax/internal/atomicfile"
	"github.com/f60e9205/reinmax/internal/filelock"

	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Record is one line of a results log. Every record belongs to a run (an estimator, a configuration and a seed);
// the last record a run writes is its final one, and a run counts as finished once its final record is on disk.
type Record interface {
	// RunKey identifies the run the record belongs to, for example "reinmax p=2 seed=0".
	RunKey() string
	// Final reports whether this is the last record of a finished run.
	Final() bool
}

// Appender returns a function that appends one record to the JSON-lines file at path (AppendJSONL): a run's
// per-record callback in a sweep.
func Appender[R any](path string) func(R) error {
	return func(r R) error { return AppendJSONL(path, []R{r}) }
}

// AppendJSONL appends recs to the JSON-lines file at path, one JSON object per line, creating the file if needed.
//
// The records go out in a single write on a file opened for appending (O_APPEND), so a crash leaves at most a
// truncated last line. Such a line (a file that does not end with a newline) is cut off before the new records are
// written, and ReadJSONL ignores it. Concurrent writers, in one process or several, take turns through an advisory
// lock on the file.
func AppendJSONL[R any](path string, recs []R) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i, r := range recs {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("results: %s: encoding record %d: %w", path, i, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("results: appending to %s: %w", path, unwrapPath(err))
	}
	// Another writer's append in progress looks like a torn line to dropPartialLine: the file grows page by page
	// during a write. The lock makes the cut and the write one step for every writer.
	unlock, err := filelock.Exclusive(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("results: locking %s: %w", path, err)
	}
	defer unlock()
	if err := dropPartialLine(f); err != nil {
		f.Close()
		return fmt.Errorf("results: appending to %s: %w", path, err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("results: appending to %s: %w", path, unwrapPath(err))
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("results: appending to %s: %w", path, unwrapPath(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("results: appending to %s: %w", path, unwrapPath(err))
	}
	return nil
}

// dropPartialLine truncates f after its last newline when it does not end with one.
func dropPartialLine(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return unwrapPath(err)
	}
	size := fi.Size()
	if size == 0 {
		return nil
	}
	const block = 4096
	end := size
	for end > 0 {
		start := max(end-block, 0)
		buf := make([]byte, end-start)
		if _, err := f.ReadAt(buf, start); err != nil {
			return unwrapPath(err)
		}
		if end == size && buf[len(buf)-1] == '\n' {
			return nil
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			return unwrapPath(f.Truncate(start + int64(i) + 1))
		}
		end = start
	}
	return unwrapPath(f.Truncate(0))
}

// ReadJSONL reads the records of the JSON-lines file at path. A missing file holds no records (and is no error);
// blank lines are skipped, and so is a truncated last line (one without its newline: an interrupted append). Any
// other line that is not a valid record is an error naming the file and the line number.
func ReadJSONL[R any](path string) ([]R, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("results: reading %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	var recs []R
	rd := bufio.NewReader(f)
	for line := 1; ; line++ {
		text, err := rd.ReadBytes('\n')
		complete := err == nil
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("results: reading %s: %w", path, err)
		}
		if !complete {
			// The last line: without its newline it is an append cut short, whatever it holds.
			return recs, nil
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		var r R
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("results: %s:%d: not a valid record: %v", path, line, err)
		}
		recs = append(recs, r)
	}
}

// Finished returns the keys of the runs that have a final record in recs.
func Finished[R Record](recs []R) map[string]bool {
	done := make(map[string]bool)
	for _, r := range recs {
		if r.Final() {
			done[r.RunKey()] = true
		}
	}
	return done
}

// Positioned is implemented by records that carry their position in their run: a step or an epoch.
type Positioned interface {
	Position() int
}

// Complete returns the records of the finished runs, in their order: for each run, the records written until its
// first final record. Records of runs that never finished (interrupted, which a resume redoes) and records of a
// run written after it finished (a second copy) are dropped. When the records implement Positioned, a run keeps
// one record per position, the last one written, in the place of the first: a run resumed from a checkpoint or
// restarted from scratch then counts each position once.
func Complete[R Record](recs []R) []R {
	pending := make(map[string][]R)
	done := make(map[string]bool)
	var out []R
	for _, r := range recs {
		k := r.RunKey()
		if done[k] {
			continue
		}
		pending[k] = append(pending[k], r)
		if r.Final() {
			out = append(out, lastPerPosition(pending[k])...)
			delete(pending, k)
			done[k] = true
		}
	}
	return out
}

// lastPerPosition keeps, for records that implement Positioned, the last record at each position, in the place
// of the first.
func lastPerPosition[R any](recs []R) []R {
	if len(recs) == 0 {
		return recs
	}
	if _, ok := any(recs[0]).(Positioned); !ok {
		return recs
	}
	index := make(map[int]int)
	var out []R
	for _, r := range recs {
		pos := any(r).(Positioned).Position()
		if i, ok := index[pos]; ok {
			out[i] = r
			continue
		}
		index[pos] = len(out)
		out = append(out, r)
	}
	return out
}

// Merge combines the logs named name (for example "results.jsonl") found in the folders srcs, the outputs of the
// shards of a sweep, into dst/name, written atomically. Every run finished in at least one source is kept once,
// from the first source (in the order given) where it is finished; unfinished runs are dropped. dst may be one of
// srcs. A source folder without the log is an error naming it. Merge returns the number of runs written.
func Merge[R Record](dst, name string, srcs ...string) (int, error) {
	if len(srcs) == 0 {
		return 0, fmt.Errorf("results: merge into %s: no source folders", dst)
	}
	var all []R
	for _, dir := range srcs {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			return 0, fmt.Errorf("results: merge: %s: %w", path, unwrapPath(err))
		}
		recs, err := ReadJSONL[R](path)
		if err != nil {
			return 0, err
		}
		all = append(all, Complete(recs)...)
	}
	merged := Complete(all)
	if err := PrepareDir(dst); err != nil {
		return 0, err
	}
	out := filepath.Join(dst, name)
	err := atomicfile.Write(out, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range merged {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
	return len(Finished(merged)), err
}
