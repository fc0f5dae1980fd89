package catvae

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
	ResultsFile = "results.jsonl" // one Epoch record per line
	SummaryFile = "summary.csv"   // final-epoch mean and std over seeds per configuration and estimator
	TableFile   = "table.md"      // the summary in the layout of the paper's Table 2, the paper's numbers beside
	imagesDir   = "images"        // per-run reconstruction grids
)

// Sweep is a table of runs: every configuration × estimator × seed, each with the paper's settings for that
// configuration and estimator unless overridden.
type Sweep struct {
	Configs    []string // e.g. "10x30", "8x4"
	Estimators []string // straight-through estimators of the registry
	Seeds      []int64
	Epochs     int     // 0: the paper's 160
	Tau        float64 // 0: the paper's per-method temperature
	K          int     // GR-MCK's samples; 0: its default
	TrainSize  int     // 0: all 60,000 training images
	TestSize   int     // 0: all 10,000 test images
	Shard      experiments.Shard
	Dir        string // output folder
}

// Validate returns an error naming the first configuration or estimator of the sweep that cannot run.
func (s Sweep) Validate() error {
	_, err := s.configs()
	return err
}

// configs returns the run configurations of the sweep, in order. It returns an error naming the first bad
// configuration or estimator.
func (s Sweep) configs() ([]Config, error) {
	var out []Config
	for _, name := range s.Configs {
		for _, est := range s.Estimators {
			for _, seed := range s.Seeds {
				c, err := PaperConfig(name, est)
				if err != nil {
					return nil, err
				}
				c.Seed = seed
				if s.Epochs > 0 {
					c.Epochs = s.Epochs
				}
				if s.Tau > 0 {
					c.Tau = s.Tau
				}
				c.K, c.TrainSize, c.TestSize = s.K, s.TrainSize, s.TestSize
				if err := c.Validate(); err != nil {
					return nil, err
				}
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("catvae: the sweep is empty: give at least one configuration, estimator and seed")
	}
	return out, nil
}

// Run runs the sweep's runs that belong to its shard and are not finished yet, resuming interrupted ones from
// their checkpoints, then writes the summary of every finished run found in the output folder.
func (s Sweep) Run(data Data, backend compute.Backend, reporter experiments.Reporter) error {
	all, err := s.configs()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, imagesDir), 0o755); err != nil {
		return fmt.Errorf("catvae: %w", err)
	}
	log := filepath.Join(s.Dir, ResultsFile)
	jobs := make([]experiments.Job, len(all))
	for i, c := range all {
		key := runKey(c.Name(), c.Estimator, c.Seed)
		jobs[i] = experiments.Job{Key: key, Cost: c.Epochs * (trainLen(c, data) / c.Batch),
			Run: func(env experiments.Env) error {
				_, err := Run(c, data, Options{Env: env, OnEpoch: results.Appender[Epoch](log),
					Images: filepath.Join(s.Dir, imagesDir, experiments.FileName(key)+".png")})
				return err
			}}
	}
	if err := experiments.RunJobs[Epoch](s.Dir, ResultsFile, s.Shard, experiments.Env{Backend: backend, Reporter: reporter}, jobs); err != nil {
		return err
	}
	return Report(s.Dir)
}

// trainLen is the number of training images a run uses.
func trainLen(c Config, data Data) int {
	if c.TrainSize > 0 && c.TrainSize < data.Train.N {
		return c.TrainSize
	}
	return data.Train.N
}
