package bervae

import (
	"fmt"

	"github.com/f60e9205/reinmax/experiments"
)

// Files written into an output folder besides experiments.ResultsFile.
const (
	SummaryFile = "summary.csv" // final train, valid, test −ELBO and IW bound, mean and std over seeds
	TableFile   = "table.md"    // the summary in the layout of the paper's Table 6, the paper's numbers beside
	PairedFile  = "paired.md"   // ReinMax against each estimator on the same seeds
)

// Sweep lists runs: every data set × K × estimator × seed, each with the paper's settings (PaperConfig), then
// Modify.
type Sweep struct {
	Datasets   []string
	Ks         []int
	Estimators []string
	Seeds      []int64
	Modify     func(*Config) // changes every run's settings, e.g. fewer steps; nil for none
}

// PaperEstimators are the estimators of the paper's Table 6: ReinMax and the REINFORCE family it is compared with.
var PaperEstimators = []string{"reinmax", "reinforce", "rloo", "arms", "disarm", "relax", "double-cv", "rodeo"}

// PaperSweep is the paper's Table 6: three data sets, K = 2 and 3, its estimators, seeds 0-9, 10⁶ steps and the
// 100-sample importance-weighted bound on every test image.
func PaperSweep() Sweep {
	return Sweep{Datasets: Datasets, Ks: []int{2, 3}, Estimators: PaperEstimators, Seeds: []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
}

// DefaultSweep is sized for minutes on two cores: MNIST, K = 2, five estimators, seed 0, 2,000 steps evaluated
// every 500, the importance-weighted bound with 100 samples on 1,000 test images.
func DefaultSweep() Sweep {
	return Sweep{Datasets: []string{"mnist"}, Ks: []int{2}, Estimators: []string{"reinmax", "st", "reinforce", "rloo", "disarm"},
		Seeds: []int64{0}, Modify: func(c *Config) { c.Steps, c.EvalEvery, c.IWImages = 2000, 500, 1000 }}
}

// Runs returns the configurations of the sweep's runs, in order, or an error naming the first that cannot run.
func (s Sweep) Runs() ([]Config, error) {
	var out []Config
	for _, d := range s.Datasets {
		for _, k := range s.Ks {
			for _, e := range s.Estimators {
				for _, seed := range s.Seeds {
					c, err := PaperConfig(d, k, e)
					if err != nil {
						return nil, err
					}
					c.Seed = seed
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
		return nil, fmt.Errorf("bervae: the sweep is empty: give at least one data set, K, estimator and seed")
	}
	return out, nil
}

// Experiment is the Bernoulli VAE for the experiments runner: each data set is loaded once and shared by the runs.
type Experiment struct {
	data experiments.Cache[string, Data]
}

var _ experiments.Experiment[Config, Record] = (*Experiment)(nil)

// Name implements experiments.Experiment.
func (*Experiment) Name() string { return "bervae" }

// Load implements experiments.Experiment: it reads every data set of the runs (checksummed).
func (e *Experiment) Load(runs []Config, env experiments.LoadEnv) error {
	for _, c := range runs {
		if _, err := e.load(c.Dataset, env); err != nil {
			return err
		}
	}
	return nil
}

func (e *Experiment) load(dataset string, env experiments.LoadEnv) (Data, error) {
	return e.data.Get(dataset, func(dataset string) (Data, error) { return Load(dataset, env.DataDir) })
}

// Cost implements experiments.Experiment: the run's training steps.
func (*Experiment) Cost(c Config) int { return c.Steps }

// Train implements experiments.Experiment.
func (e *Experiment) Train(c Config, env experiments.Env, emit func(Record) error) error {
	data, err := e.load(c.Dataset, env.LoadEnv)
	if err != nil {
		return err
	}
	_, err = train(c, data, env, emit)
	return err
}

// Report implements experiments.Experiment.
func (*Experiment) Report(dir string) error { return Report(dir) }

// Memory implements experiments.Sizer: the K-sample forward and backward passes of a batch, the importance-weighted
// bound's IWSamples samples of a batch of 100, the parameters with Adam's moments, plus the Go runtime, the backend
// and the data (a few hundred MB as float32).
func (*Experiment) Memory(c Config) float64 {
	const hidden, latents = 200, 200
	params := 2 * (Pixels*hidden + 2*hidden*hidden + hidden*latents)
	activations := float64(c.K*c.Batch) * (8*Pixels + 12*(3*hidden+latents))
	iw := float64(c.IWSamples) * 100 * 4 * (Pixels + 3*hidden + latents)
	return 4*(4*float64(params)+2*activations) + iw + 500e6
}
