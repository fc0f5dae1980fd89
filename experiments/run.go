package experiments

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax/internal/filelock"
	"github.com/f60e9205/reinmax/progress"
	"github.com/f60e9205/reinmax/results"
)

// Options are how a sweep runs, none of which changes a run's numbers.
type Options struct {
	Dir      string // the output folder: results file, checkpoints, reports; required
	Shard    Shard  // the slice of the sweep this process runs
	Workers  int    // runs trained at the same time; 0 means 1
	DataDir  string // the data root; "" for the default
	Backend  compute.Backend
	Reporter progress.Reporter // progress in units of Experiment.Cost over the runs to train; nil for none
}

// CheckpointDir is the folder of an output folder that holds the checkpoints of unfinished runs.
const CheckpointDir = "checkpoints"

// lockFile is the lock of an output folder, held by the process that writes into it.
const lockFile = ".lock"

// Outcome counts the runs of a sweep.
type Outcome struct {
	Trained int // runs trained (or finished from a checkpoint) now
	Skipped int // runs found finished in the output folder
	Other   int // runs of other shards
}

// Run trains the runs of a sweep, those of opt.Shard, into the output folder opt.Dir, then writes its report.
//
// A run is known by its identity (ID: the experiment and every setting of its configuration): a run whose final
// record is in the results file is skipped, one with a checkpoint resumes from it, and a run with any other setting
// is a new run beside the old ones. The runs are validated (two with the same identity are refused), their memory
// estimated (Sizer) and their data loaded before anything is written. The folder is locked while the sweep runs:
// a second process writing into it is refused with the holder's PID. With opt.Workers > 1 that many runs train at
// once, each on its own backend; a run's numbers do not depend on how many run beside it.
func Run[C Config, R Record, P RecordPointer[C, R]](exp Experiment[C, R], runs []C, opt Options) (Outcome, error) {
	name := exp.Name()
	ids, err := identify(exp, runs)
	if err != nil {
		return Outcome{}, err
	}
	if opt.Dir == "" {
		return Outcome{}, fmt.Errorf("%s: no output folder given", name)
	}
	if opt.Workers < 0 {
		return Outcome{}, fmt.Errorf("%s: workers = %d, want >= 1", name, opt.Workers)
	}
	todo, _, err := unfinished[C, R, P](name, opt, runs, ids)
	if err != nil {
		return Outcome{}, err
	}
	if len(todo) > 0 {
		var cfgs []C
		for _, i := range todo {
			cfgs = append(cfgs, runs[i])
		}
		if err := checkMemory(exp, cfgs, max(opt.Workers, 1)); err != nil {
			return Outcome{}, err
		}
		if err := exp.Load(cfgs, LoadEnv{DataDir: opt.DataDir}); err != nil {
			return Outcome{}, err
		}
	}
	if err := results.PrepareDir(opt.Dir); err != nil {
		return Outcome{}, fmt.Errorf("%s: %w", name, err)
	}
	lock, err := filelock.TryLock(filepath.Join(opt.Dir, lockFile))
	if err != nil {
		if errors.Is(err, filelock.ErrLocked) {
			return Outcome{}, fmt.Errorf("%s: output folder %s is in use by another reinmax run (%v); wait for it to finish or choose another folder", name, opt.Dir, err)
		}
		return Outcome{}, fmt.Errorf("%s: locking %s: %w", name, opt.Dir, err)
	}
	defer lock.Unlock()
	// Another process may have finished runs between the first look and the lock.
	todo, written, err := unfinished[C, R, P](name, opt, runs, ids)
	if err != nil {
		return Outcome{}, err
	}
	mine := 0
	for i := range runs {
		if opt.Shard.Owns(i) {
			mine++
		}
	}
	out := Outcome{Trained: len(todo), Skipped: mine - len(todo), Other: len(runs) - mine}
	if len(todo) > 0 {
		if err := train[C, R, P](exp, runs, ids, todo, written, opt); err != nil {
			return out, err
		}
	}
	return out, exp.Report(opt.Dir)
}

// identify validates every run and returns their identities; a run listed twice is an error.
func identify[C Config, R Record](exp Experiment[C, R], runs []C) ([]string, error) {
	name := exp.Name()
	if len(runs) == 0 {
		return nil, fmt.Errorf("%s: the sweep is empty", name)
	}
	ids := make([]string, len(runs))
	seen := make(map[string]int)
	for i, c := range runs {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		id, err := ID(name, c)
		if err != nil {
			return nil, err
		}
		if j, ok := seen[id]; ok {
			return nil, fmt.Errorf("%s: run %s is listed twice (runs %d and %d of the sweep have the same settings)", name, c.Label(), j+1, i+1)
		}
		seen[id] = i
		ids[i] = id
	}
	return ids, nil
}

// unfinished returns the indices of the runs of opt.Shard without a final record in the output folder, and for
// each of them the positions (steps or epochs) whose records are already there: a run interrupted between writing
// a record and saving its checkpoint makes that record again when it resumes, and the runner does not write it
// twice. A results file that holds records without identities (written by an older version) is an error that
// says how to migrate it.
func unfinished[C Config, R Record, P RecordPointer[C, R]](name string, opt Options, runs []C, ids []string) ([]int, map[string]map[int]bool, error) {
	recs, err := ReadResults[C, R, P](name, opt.Dir)
	if err != nil {
		return nil, nil, err
	}
	done := results.Finished(recs)
	var todo []int
	for i := range runs {
		if opt.Shard.Owns(i) && !done[ids[i]] {
			todo = append(todo, i)
		}
	}
	written := make(map[string]map[int]bool)
	for _, r := range recs {
		if p, ok := any(r).(results.Positioned); ok && !done[r.RunKey()] {
			if written[r.RunKey()] == nil {
				written[r.RunKey()] = make(map[int]bool)
			}
			written[r.RunKey()][p.Position()] = true
		}
	}
	return todo, written, nil
}

// ReadResults reads the results file of the output folder dir of experiment name (none when it does not exist). It
// refuses a file with records written before records carried their run's identity, naming the command that
// migrates them.
func ReadResults[C any, R Record, P RecordPointer[C, R]](name, dir string) ([]R, error) {
	path := filepath.Join(dir, ResultsFile)
	recs, err := results.ReadJSONL[R](path)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		if P(&recs[i]).Legacy() {
			return nil, fmt.Errorf("%s: %s holds records without their run's settings (written by an older reinmax, e.g. %s); "+
				"stamp them with the settings that made them: reinmax %s --migrate --out %s [the flags of the command that made them]",
				name, path, recs[i].Label(), name, dir)
		}
	}
	return recs, nil
}

// train runs the runs todo (indices into runs) with opt.Workers workers; written holds the positions each run has
// in the results file already.
func train[C Config, R Record, P RecordPointer[C, R]](exp Experiment[C, R], runs []C, ids []string, todo []int, written map[string]map[int]bool, opt Options) error {
	workers := min(max(opt.Workers, 1), len(todo))
	backends, err := sweepBackends(opt.Backend, workers)
	if err != nil {
		return err
	}
	ckptDir := filepath.Join(opt.Dir, CheckpointDir)
	if err := os.MkdirAll(ckptDir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", exp.Name(), err)
	}
	defer os.Remove(ckptDir) // only when empty: the checkpoints of unfinished runs stay

	prog := newTally(opt.Reporter, len(todo))
	for k, i := range todo {
		prog.cost[k] = exp.Cost(runs[i])
		prog.total += prog.cost[k]
	}
	stop := make(chan struct{})
	var stopOnce sync.Once
	jobs := make(chan int)
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := range jobs {
				i := todo[k]
				env := Env{
					LoadEnv: LoadEnv{DataDir: opt.DataDir}, ID: ids[i], Label: runs[i].Label(), Backend: backends[w],
					Checkpoint: filepath.Join(ckptDir, FileName(runs[i].Label())+"-"+ids[i]+".ckpt"), Dir: opt.Dir,
					report: func(done int, m map[string]float64) { prog.report(k, runs[i].Label(), done, m) }, stop: stop,
				}
				if err := trainOne[C, R, P](exp, runs[i], env, written[ids[i]]); err != nil {
					errs[k] = err
					stopOnce.Do(func() { close(stop) })
				}
			}
		})
	}
	for k := range todo {
		if func() bool {
			select {
			case jobs <- k:
				return false
			case <-stop:
				return true
			}
		}() {
			break
		}
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}

// trainOne trains one run, appending each record, stamped, to the results file, except those at a position in
// written (on disk before an interruption); once the final record is on disk the run's checkpoint is removed.
func trainOne[C Config, R Record, P RecordPointer[C, R]](exp Experiment[C, R], cfg C, env Env, written map[int]bool) error {
	path := filepath.Join(env.Dir, ResultsFile)
	final := false
	err := exp.Train(cfg, env, func(r R) error {
		final = final || r.Final()
		if p, ok := any(r).(results.Positioned); ok && written[p.Position()] {
			return nil
		}
		P(&r).SetStamp(env.ID, cfg)
		return results.AppendJSONL(path, []R{r})
	})
	if err != nil {
		return err
	}
	if !final {
		return fmt.Errorf("%s: run %s ended without its final record", exp.Name(), env.Label)
	}
	if err := os.Remove(env.Checkpoint); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// tally adds up the progress of runs trained at the same time.
type tally struct {
	rep   progress.Reporter
	mu    sync.Mutex
	cost  []int // progress units of each run
	done  []int // units each run has reported
	total int
}

func newTally(rep progress.Reporter, runs int) *tally {
	return &tally{rep: rep, cost: make([]int, runs), done: make([]int, runs)}
}

// report records that run k has done done of its units and reports the sweep's progress.
func (t *tally) report(k int, label string, done int, metrics map[string]float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done[k] = min(done, t.cost[k])
	sum := 0
	for _, d := range t.done {
		sum += d
	}
	t.rep.Report(progress.Update{Run: label, Done: sum, Total: t.total, Metrics: metrics})
}
