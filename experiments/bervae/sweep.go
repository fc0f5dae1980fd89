package bervae

import (
	"fmt"
	"path/filepath"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/results"
)

// Files written into a sweep's output folder.
const (
	ResultsFile = "results.jsonl" // one Record per evaluation
	SummaryFile = "summary.csv"   // final train, valid, test −ELBO and IW bound, mean and std over seeds
	TableFile   = "table.md"      // the summary in the layout of the paper's Table 6, the paper's numbers beside
)

// Sweep is a table of runs: every data set × K × estimator × seed, with the paper's settings unless overridden.
type Sweep struct {
	Datasets   []string
	Ks         []int
	Estimators []string
	Seeds      []int64
	Steps      int     // 0: the paper's 10⁶
	EvalEvery  int     // 0: every epoch
	Tau        float64 // 0: the paper's per-method temperature
	Optimizer  string  // "": the paper's per-family optimiser (RAdam for straight-through, Adam for score-function)
	LR         float64 // 0: the paper's per-family learning rate
	IWSamples  int     // samples of the final importance-weighted test bound (0: none)
	IWImages   int     // test images of the bound (0: all)
	TrainSize  int
	EvalSize   int
	Fixed      bool // binarise the training images once per run instead of every epoch
	Shard      experiments.Shard
	Dir        string
}

// configs returns the run configurations, in order, or an error naming the first that cannot run.
func (s Sweep) configs() ([]Config, error) {
	var out []Config
	for _, d := range s.Datasets {
		for _, k := range s.Ks {
			for _, e := range s.Estimators {
				for _, seed := range s.Seeds {
					c, err := PaperConfig(d, k, e)
					if err != nil {
						return nil, err
					}
					c.Seed, c.IWSamples, c.IWImages, c.TrainSize, c.EvalSize = seed, s.IWSamples, s.IWImages, s.TrainSize, s.EvalSize
					c.FixedBinarization = s.Fixed
					if s.Steps > 0 {
						c.Steps = s.Steps
					}
					if s.EvalEvery > 0 {
						c.EvalEvery = s.EvalEvery
					}
					if s.Tau > 0 {
						c.Tau = s.Tau
					}
					if s.Optimizer != "" {
						c.Optimizer = s.Optimizer
					}
					if s.LR > 0 {
						c.LR = s.LR
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
		return nil, fmt.Errorf("bervae: the sweep is empty: give at least one data set, K, estimator and seed")
	}
	return out, nil
}

// Validate returns an error naming the first run of the sweep that cannot run.
func (s Sweep) Validate() error {
	_, err := s.configs()
	return err
}

// Run runs the sweep's unfinished runs of its shard, resuming interrupted ones, then writes the summary of every
// finished run in the output folder. load returns the data of a data set; it is called once per data set.
func (s Sweep) Run(load func(dataset string) (Data, error), backend compute.Backend, reporter experiments.Reporter) error {
	all, err := s.configs()
	if err != nil {
		return err
	}
	cache := map[string]Data{}
	log := filepath.Join(s.Dir, ResultsFile)
	jobs := make([]experiments.Job, len(all))
	for i, c := range all {
		jobs[i] = experiments.Job{Key: runKey(c.Dataset, c.K, c.Estimator, c.Seed), Cost: c.Steps,
			Run: func(env experiments.Env) error {
				data, ok := cache[c.Dataset]
				if !ok {
					var err error
					if data, err = load(c.Dataset); err != nil {
						return err
					}
					cache[c.Dataset] = data
				}
				_, err := Run(c, data, Options{Env: env, OnRecord: results.Appender[Record](log)})
				return err
			}}
	}
	if err := experiments.RunJobs[Record](s.Dir, ResultsFile, s.Shard, experiments.Env{Backend: backend, Reporter: reporter}, jobs); err != nil {
		return err
	}
	return Report(s.Dir)
}
