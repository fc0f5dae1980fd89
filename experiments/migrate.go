package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/f60e9205/reinmax/internal/atomicfile"
	"github.com/f60e9205/reinmax/internal/filelock"
	"github.com/f60e9205/reinmax/results"
)

// Migrated says what Migrate did.
type Migrated struct {
	Stamped   int      // records given their run's identity and settings
	Unmatched []string // labels of the runs of records that no run of the sweep matches, which stay as they were
}

// Migrate gives the records of dir's results file that were written before records carried their run's identity
// the identity and settings of a run of runs: the run with the record's label whose settings agree with every
// setting the record states (each field the record and the configuration share by JSON name must be equal). The
// file is rewritten atomically, with the folder locked. Records that match no run stay as they were and are
// listed; a label that matches two runs of the sweep is an error.
func Migrate[C Config, R Record, P RecordPointer[C, R]](exp Experiment[C, R], dir string, runs []C) (Migrated, error) {
	name := exp.Name()
	ids, err := identify(exp, runs)
	if err != nil {
		return Migrated{}, err
	}
	byLabel := make(map[string][]int)
	for i, c := range runs {
		byLabel[c.Label()] = append(byLabel[c.Label()], i)
	}
	lock, err := filelock.TryLock(filepath.Join(dir, lockFile))
	if err != nil {
		return Migrated{}, fmt.Errorf("%s: migrate %s: %w", name, dir, err)
	}
	defer lock.Unlock()
	path := filepath.Join(dir, ResultsFile)
	recs, err := results.ReadJSONL[R](path)
	if err != nil {
		return Migrated{}, err
	}
	var m Migrated
	unmatched := make(map[string]bool)
	for k := range recs {
		r := P(&recs[k])
		if !r.Legacy() {
			continue
		}
		label := recs[k].Label()
		var match []int
		for _, i := range byLabel[label] {
			ok, err := agrees(recs[k], runs[i])
			if err != nil {
				return Migrated{}, err
			}
			if ok {
				match = append(match, i)
			}
		}
		switch len(match) {
		case 0:
			if !unmatched[label] {
				unmatched[label] = true
				m.Unmatched = append(m.Unmatched, label)
			}
		case 1:
			r.SetStamp(ids[match[0]], runs[match[0]])
			m.Stamped++
		default:
			return Migrated{}, fmt.Errorf("%s: migrate: the records of %s match %d runs of the sweep; give only the settings that made them", name, label, len(match))
		}
	}
	if m.Stamped == 0 {
		return m, nil
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
	return m, err
}

// agrees reports whether every top-level field that the record and the configuration share by JSON name has the
// same value in both. Numbers agree when they are equal in float32, the precision the runs compute in: a record
// may hold a setting as read back from the model (a learning rate of 0.009999999776482582 for 0.01).
func agrees(rec, cfg any) (bool, error) {
	r, err := fields(rec)
	if err != nil {
		return false, err
	}
	c, err := fields(cfg)
	if err != nil {
		return false, err
	}
	for k, v := range r {
		if w, ok := c[k]; ok && !bytes.Equal(v, w) && !sameFloat32(v, w) {
			return false, nil
		}
	}
	return true, nil
}

// sameFloat32 reports whether two JSON values are numbers that are equal in float32.
func sameFloat32(a, b json.RawMessage) bool {
	x, err1 := strconv.ParseFloat(string(a), 64)
	y, err2 := strconv.ParseFloat(string(b), 64)
	return err1 == nil && err2 == nil && float32(x) == float32(y)
}

func fields(v any) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(raw, &m)
}
