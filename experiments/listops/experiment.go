package listops

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/f60e9205/reinmax/experiments"
)

// Files written into an output folder besides experiments.ResultsFile.
const (
	SummaryFile   = "summary.csv"    // test accuracy mean and std over seeds per configuration and estimator
	TableFile     = "table.md"       // the summary beside the paper's Table 1 and the baselines
	PairedFile    = "paired.md"      // ReinMax against each estimator on the same seeds
	BaselinesFile = "baselines.json" // Baselines per training-set size
	CurvesFile    = "curves"         // learning curves, .png and .svg
	TreesDir      = "trees"          // per-run induced trees of a few test expressions, beside their gold trees
)

// Sweep lists runs: every hidden size × training-set size × estimator × seed, each with DefaultConfig's settings
// (PaperConfig's when Paper is set), then Modify.
type Sweep struct {
	Estimators []string // straight-through estimators of the registry
	Seeds      []int64
	Hiddens    []int         // hidden sizes; empty: the configuration's
	TrainSizes []int         // training-set sizes; empty: the configuration's
	Paper      bool          // start from PaperConfig instead of DefaultConfig
	Modify     func(*Config) // changes every run's settings; nil for none
}

// PaperSweep is the paper's Table 1: its five estimators, seeds 0-4, with PaperConfig.
func PaperSweep() Sweep {
	return Sweep{Estimators: PaperEstimators, Seeds: []int64{0, 1, 2, 3, 4}, Paper: true}
}

// DefaultSweep is DefaultConfig for the paper's five estimators with seed 0.
func DefaultSweep() Sweep {
	return Sweep{Estimators: PaperEstimators, Seeds: []int64{0}}
}

// Runs returns the configurations of the sweep's runs, in order, or an error naming the first that cannot run.
func (s Sweep) Runs() ([]Config, error) {
	base := DefaultConfig
	if s.Paper {
		base = PaperConfig
	}
	var out []Config
	for _, est := range s.Estimators {
		c0, err := base(est)
		if err != nil {
			return nil, err
		}
		hiddens, sizes := s.Hiddens, s.TrainSizes
		if len(hiddens) == 0 {
			hiddens = []int{c0.Hidden}
		}
		if len(sizes) == 0 {
			sizes = []int{c0.TrainSize}
		}
		for _, h := range hiddens {
			for _, n := range sizes {
				for _, seed := range s.Seeds {
					c := c0
					c.Hidden, c.TrainSize, c.Seed = h, n, seed
					c, err = experiments.Complete(c, s.Modify, Config.resolved)
					if err != nil {
						return nil, err
					}
					out = append(out, c)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("listops: the sweep is empty: give at least one estimator and seed")
	}
	return out, nil
}

// Experiment is ListOps for the experiments runner: the official test split is read and the training and
// validation expressions generated once per generator seed, for the largest training set of the runs, and shared
// by the runs; the baselines of each training-set size are fitted once per output folder.
type Experiment struct {
	mu   sync.Mutex
	data map[dataKey]Data
}

// dataKey names the generated data a run trains on (a smaller training set is a prefix of a larger one).
type dataKey struct {
	seed  uint64
	valid int
}

var (
	_ experiments.Experiment[Config, Epoch] = (*Experiment)(nil)
	_ experiments.FileMerger                = (*Experiment)(nil)
)

// Name implements experiments.Experiment.
func (*Experiment) Name() string { return "listops" }

// Load implements experiments.Experiment: it reads the official test split (checksummed) and generates the
// expressions of the runs.
func (e *Experiment) Load(runs []Config, env experiments.LoadEnv) error {
	need := make(map[dataKey]int)
	for _, c := range runs {
		k := dataKey{c.DataSeed, c.validSize()}
		need[k] = max(need[k], c.TrainSize)
	}
	for k, n := range need {
		if _, err := e.load(k, n); err != nil {
			return err
		}
	}
	return nil
}

// load returns the data of key with at least trainSize training expressions.
func (e *Experiment) load(k dataKey, trainSize int) (Data, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d, ok := e.data[k]; ok && len(d.Train) >= trainSize {
		return d, nil
	}
	d, err := LoadData(DataSpec{TrainSize: trainSize, ValidSize: k.valid, Seed: k.seed})
	if err != nil {
		return Data{}, err
	}
	if e.data == nil {
		e.data = make(map[dataKey]Data)
	}
	e.data[k] = d
	return d, nil
}

// Cost implements experiments.Experiment: the run's training steps.
func (*Experiment) Cost(c Config) int { return c.Epochs * ((c.TrainSize + c.Batch - 1) / c.Batch) }

// Train implements experiments.Experiment. Before the run it fits the baselines of its training-set size into the
// output folder's baselines file, when the file lacks them.
func (e *Experiment) Train(c Config, env experiments.Env, emit func(Epoch) error) error {
	data, err := e.load(dataKey{c.DataSeed, c.validSize()}, c.TrainSize)
	if err != nil {
		return err
	}
	if env.Dir != "" {
		if err := e.fitBaselines(env.Dir, data, c.TrainSize); err != nil {
			return err
		}
	}
	_, err = train(c, data, env, emit)
	return err
}

// fitBaselines adds the baselines fitted on trainSize expressions to the baselines file of dir when it lacks them.
func (e *Experiment) fitBaselines(dir string, data Data, trainSize int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	path := filepath.Join(dir, BaselinesFile)
	have, err := readBaselines(path)
	if err != nil || hasBaselines(have, trainSize) {
		return err
	}
	b, err := FitBaselines(data, trainSize)
	if err != nil {
		return err
	}
	return writeBaselines(path, append(have, b))
}

// Report implements experiments.Experiment.
func (*Experiment) Report(dir string) error { return Report(dir) }

// MergeFiles implements experiments.FileMerger: the baselines of every source folder, once per training-set size.
func (*Experiment) MergeFiles(dst string, srcs []string) error {
	var all []Baselines
	for _, dir := range srcs {
		bs, err := readBaselines(filepath.Join(dir, BaselinesFile))
		if err != nil {
			return err
		}
		for _, b := range bs {
			if !hasBaselines(all, b.TrainSize) {
				all = append(all, b)
			}
		}
	}
	return writeBaselines(filepath.Join(dst, BaselinesFile), all)
}

// Memory implements experiments.Sizer: a step of the tree-LSTM keeps, for backpropagation, about 20 vectors of the
// hidden size for every pair of a batch's sequence at every one of its merges (Batch·W²·H for the widest padded
// width W), plus the compiled graphs of every width, the Go runtime and the data (measured: 2.2 GB at H = 32,
// batch 64).
func (*Experiment) Memory(c Config) float64 {
	w := float64(maxWidth)
	return 4*20*float64(c.Batch)*w*w*float64(c.Hidden) + 600e6
}
