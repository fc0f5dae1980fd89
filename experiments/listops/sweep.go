package listops

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/results"
)

// Files written into a sweep's output folder.
const (
	ResultsFile   = "results.jsonl"  // one Epoch record per line
	SummaryFile   = "summary.csv"    // test accuracy mean and std over seeds per configuration and estimator
	TableFile     = "table.md"       // the summary beside the paper's Table 1 and the baselines
	BaselinesFile = "baselines.json" // Baselines per training-set size
	CurvesFile    = "curves"         // learning curves, .png and .svg
	TreesDir      = "trees"          // per-run induced trees of a few test expressions, beside their gold trees
)

// DefaultValidSize is the number of generated validation expressions (the reference's validation split has 1,000).
const DefaultValidSize = 1000

// Sweep is a table of runs: every hidden size × training-set size × estimator × seed, each with DefaultConfig's
// settings (or PaperConfig's) unless overridden.
type Sweep struct {
	Estimators []string // straight-through estimators of the registry
	Seeds      []int64
	Hiddens    []int  // hidden sizes; empty: the configuration's
	TrainSizes []int  // training-set sizes; empty: the configuration's
	Paper      bool   // start from PaperConfig instead of DefaultConfig
	Epochs     int    // 0: the configuration's
	Batch      int    // 0: the configuration's
	Optimizer  string // "adam" or "radam"; "": the configuration's
	LR         float64
	Tau        float64 // 0: PaperTau's per-estimator value
	K          int     // GR-MCK's samples; 0: its default
	TestSize   int     // 0: the whole official split (sequences under 100 tokens)
	ValidSize  int     // generated validation expressions; 0: DefaultValidSize
	DataSeed   uint64  // the generator's seed
	Shard      experiments.Shard
	Dir        string // output folder
}

// Validate returns an error naming the first setting of the sweep that cannot run.
func (s Sweep) Validate() error {
	_, err := s.configs()
	return err
}

// configs returns the run configurations of the sweep, in order.
func (s Sweep) configs() ([]Config, error) {
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
					c.Hidden, c.TrainSize, c.Seed, c.K, c.TestSize = h, n, seed, s.K, s.TestSize
					if s.Epochs > 0 {
						c.Epochs = s.Epochs
					}
					if s.Batch > 0 {
						c.Batch = s.Batch
					}
					if s.Optimizer != "" {
						c.Optimizer = s.Optimizer
					}
					if s.LR > 0 {
						c.LR = s.LR
					}
					if s.Tau > 0 {
						c.Tau = s.Tau
					}
					if err := c.Validate(); err != nil {
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

// DataSpec returns what LoadData must build for the sweep: enough training expressions for its largest run.
func (s Sweep) DataSpec(dir string) (DataSpec, error) {
	all, err := s.configs()
	if err != nil {
		return DataSpec{}, err
	}
	spec := DataSpec{Dir: dir, ValidSize: s.ValidSize, Seed: s.DataSeed}
	if spec.ValidSize == 0 {
		spec.ValidSize = DefaultValidSize
	}
	for _, c := range all {
		spec.TrainSize = max(spec.TrainSize, c.TrainSize)
	}
	return spec, nil
}

// Run runs the sweep's runs that belong to its shard and are not finished yet, resuming interrupted ones from
// their checkpoints, fits the baselines for every training-set size, then writes the summary of every finished
// run found in the output folder. A nil backend selects experiments.NewBackend.
func (s Sweep) Run(data Data, backend compute.Backend, reporter experiments.Reporter) error {
	all, err := s.configs()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, TreesDir), 0o755); err != nil {
		return fmt.Errorf("listops: %w", err)
	}
	if err := s.fitMissingBaselines(data, all); err != nil {
		return err
	}
	log := filepath.Join(s.Dir, ResultsFile)
	jobs := make([]experiments.Job, len(all))
	for i, c := range all {
		key := c.Key()
		jobs[i] = experiments.Job{Key: key, Cost: c.Epochs * StepsPerEpoch(c, data),
			Run: func(env experiments.Env) error {
				_, err := Run(c, data, Options{Env: env, OnEpoch: results.Appender[Epoch](log),
					Trees: filepath.Join(s.Dir, TreesDir, experiments.FileName(key)+".txt")})
				return err
			}}
	}
	if err := experiments.RunJobs[Epoch](s.Dir, ResultsFile, s.Shard, experiments.Env{Backend: backend, Reporter: reporter}, jobs); err != nil {
		return err
	}
	return Report(s.Dir)
}

// fitMissingBaselines fits the baselines for every training-set size of the sweep that the baselines file of the
// output folder lacks, and rewrites the file.
func (s Sweep) fitMissingBaselines(data Data, all []Config) error {
	if err := results.PrepareDir(s.Dir); err != nil {
		return err
	}
	path := filepath.Join(s.Dir, BaselinesFile)
	have, err := readBaselines(path)
	if err != nil {
		return err
	}
	changed := false
	for _, c := range all {
		if hasBaselines(have, c.TrainSize) {
			continue
		}
		b, err := FitBaselines(data, c.TrainSize)
		if err != nil {
			return err
		}
		have = append(have, b)
		changed = true
	}
	if !changed {
		return nil
	}
	return writeBaselines(path, have)
}
