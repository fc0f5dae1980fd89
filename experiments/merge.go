package experiments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/f60e9205/reinmax/internal/atomicfile"
	"github.com/f60e9205/reinmax/internal/filelock"
	"github.com/f60e9205/reinmax/results"
)

// FileMerger is implemented by experiments that keep files of their own beside the results file (ListOps's
// baselines): Merge calls MergeFiles after the results are merged.
type FileMerger interface {
	MergeFiles(dst string, srcs []string) error
}

// Merge combines the output folders srcs of a sweep's shards into dst (which may be one of them) and writes its
// report. Every run finished in some source is kept once, with its artefacts (Env.Artefact's files, such as
// pictures) copied from every source that holds it finished; unfinished runs are dropped. A run finished in two
// sources with different numbers (records that differ in anything but their wall-clock "seconds") is an error
// naming both folders. dst is locked while it is written.
func Merge[C Config, R Record, P RecordPointer[C, R]](exp Experiment[C, R], dst string, srcs ...string) error {
	name := exp.Name()
	if len(srcs) == 0 {
		return fmt.Errorf("%s: merge into %s: no source folders", name, dst)
	}
	type run struct {
		dirs []string // the sources that hold the run finished, the first one's records kept
		recs []R
	}
	byID := make(map[string]run)
	var order []string
	for _, dir := range srcs {
		if _, err := os.Stat(filepath.Join(dir, ResultsFile)); err != nil {
			return fmt.Errorf("%s: merge: %w", name, err)
		}
		recs, err := ReadResults[C, R, P](name, dir)
		if err != nil {
			return err
		}
		ids, runs := byRun(results.Complete(recs))
		for _, id := range ids {
			rs := runs[id]
			prev, ok := byID[id]
			if !ok {
				byID[id] = run{[]string{dir}, rs}
				order = append(order, id)
				continue
			}
			if same, err := sameNumbers(prev.recs, rs); err != nil {
				return err
			} else if !same {
				return fmt.Errorf("%s: merge: run %s (%s) has different results in %s and %s; keep one of them",
					name, rs[0].Label(), id, prev.dirs[0], dir)
			}
			prev.dirs = append(prev.dirs, dir)
			byID[id] = prev
		}
	}
	if err := results.PrepareDir(dst); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	lock, err := filelock.TryLock(filepath.Join(dst, lockFile))
	if err != nil {
		return fmt.Errorf("%s: merge into %s: %w", name, dst, err)
	}
	defer lock.Unlock()
	err = atomicfile.Write(filepath.Join(dst, ResultsFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, id := range order {
			for _, r := range byID[id].recs {
				if err := enc.Encode(r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: merge: %w", name, err)
	}
	listed := make(map[string]map[string][]string) // by source folder: its artefacts by run tag
	for _, id := range order {
		for _, src := range byID[id].dirs {
			if _, ok := listed[src]; !ok {
				if listed[src], err = artefacts(dst, src); err != nil {
					return fmt.Errorf("%s: merge: %w", name, err)
				}
			}
			if err := copyFiles(dst, src, listed[src][artefactTag(id)]); err != nil {
				return fmt.Errorf("%s: merge: %w", name, err)
			}
		}
	}
	if fm, ok := exp.(FileMerger); ok {
		if err := fm.MergeFiles(dst, srcs); err != nil {
			return err
		}
	}
	return exp.Report(dst)
}

// artefacts lists the artefacts (Env.Artefact's files) of the output folder src by the tag of their run, as paths
// relative to src: the files of its subfolders but the checkpoints. It lists none when src is dst.
func artefacts(dst, src string) (map[string][]string, error) {
	if same, err := sameDir(dst, src); err != nil || same {
		return nil, err
	}
	subs, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	byTag := make(map[string][]string)
	for _, sub := range subs {
		if !sub.IsDir() || sub.Name() == CheckpointDir {
			continue
		}
		files, err := os.ReadDir(filepath.Join(src, sub.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			base := strings.TrimSuffix(f.Name(), filepath.Ext(f.Name()))
			if i := strings.LastIndex(base, "-"); !f.IsDir() && i >= 0 {
				byTag[base[i:]] = append(byTag[base[i:]], filepath.Join(sub.Name(), f.Name()))
			}
		}
	}
	return byTag, nil
}

// copyFiles copies the files rel, paths relative to the folder src, to the same paths in dst.
func copyFiles(dst, src string, rel []string) error {
	for _, r := range rel {
		data, err := os.ReadFile(filepath.Join(src, r))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, r)), 0o755); err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(filepath.Join(dst, r), data); err != nil {
			return err
		}
	}
	return nil
}

// sameDir reports whether the existing folders a and b are one.
func sameDir(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// byRun groups records by run, each run's records in their order, and returns the runs in the order of their first
// records.
func byRun[R results.Record](recs []R) ([]string, map[string][]R) {
	var ids []string
	out := make(map[string][]R)
	for _, r := range recs {
		k := r.RunKey()
		if _, ok := out[k]; !ok {
			ids = append(ids, k)
		}
		out[k] = append(out[k], r)
	}
	return ids, out
}

// sameNumbers reports whether two runs' records are equal but for their wall-clock time.
func sameNumbers[R any](a, b []R) (bool, error) {
	if len(a) != len(b) {
		return false, nil
	}
	for i := range a {
		x, err1 := withoutSeconds(a[i])
		y, err2 := withoutSeconds(b[i])
		if err := errors.Join(err1, err2); err != nil {
			return false, err
		}
		if !bytes.Equal(x, y) {
			return false, nil
		}
	}
	return true, nil
}

// withoutSeconds returns the canonical JSON of a record without its top-level "seconds" field.
func withoutSeconds(r any) ([]byte, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "seconds")
	return json.Marshal(m)
}
