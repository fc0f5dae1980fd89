package catvae

import (
	"fmt"

	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/experiments"
)

// Files written into an output folder besides experiments.ResultsFile.
const (
	SummaryFile = "summary.csv" // final-epoch mean and std over seeds per configuration and estimator
	TableFile   = "table.md"    // the summary in the layout of the paper's Table 2, the paper's numbers beside
	PairedFile  = "paired.md"   // ReinMax against each estimator on the same seeds
	imagesDir   = "images"      // per-run reconstruction grids
)

// Sweep lists runs: every configuration × estimator × seed, each with the paper's settings for that configuration
// and estimator (PaperConfig), then Modify.
type Sweep struct {
	Configs    []string // e.g. "10x30", "8x4"
	Estimators []string // straight-through estimators of the registry, or "exact" on 8x4
	Seeds      []int64
	Modify     func(*Config) // changes every run's settings, e.g. fewer epochs; nil for none
}

// PaperSweep is the paper's Table 2: its six configurations, five estimators, seeds 0-9, 160 epochs.
func PaperSweep() Sweep {
	return Sweep{Configs: PaperConfigs, Estimators: PaperEstimators, Seeds: []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
}

// DefaultSweep is sized for a few minutes on two cores: 10x30, four estimators, seed 0, 2 epochs.
func DefaultSweep() Sweep {
	return Sweep{Configs: []string{"10x30"}, Estimators: []string{"reinmax", "st", "stgs", "gst-1.0"}, Seeds: []int64{0},
		Modify: func(c *Config) { c.Epochs = 2 }}
}

// PaperEstimators are the estimators of the paper's Table 2, in its order.
var PaperEstimators = []string{"reinmax", "gst-1.0", "stgs", "gr-mck", "st"}

// Runs returns the configurations of the sweep's runs, in order, or an error naming the first that cannot run.
func (s Sweep) Runs() ([]Config, error) {
	var out []Config
	for _, name := range s.Configs {
		for _, est := range s.Estimators {
			for _, seed := range s.Seeds {
				c, err := PaperConfig(name, est)
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
	if len(out) == 0 {
		return nil, fmt.Errorf("catvae: the sweep is empty: give at least one configuration, estimator and seed")
	}
	return out, nil
}

// Experiment is the categorical VAE for the experiments runner: MNIST is loaded once and shared by the runs.
type Experiment struct {
	data experiments.Cache[struct{}, Data]
}

var _ experiments.Experiment[Config, Epoch] = (*Experiment)(nil)

// Name implements experiments.Experiment.
func (*Experiment) Name() string { return "catvae" }

// Load implements experiments.Experiment: it reads MNIST (checksummed).
func (e *Experiment) Load(runs []Config, env experiments.LoadEnv) error {
	_, err := e.load(env)
	return err
}

func (e *Experiment) load(env experiments.LoadEnv) (Data, error) {
	return e.data.Get(struct{}{}, func(struct{}) (Data, error) { return LoadData(env) })
}

// LoadData reads MNIST's training and test images (checksummed) from the data root env.DataDir or the places
// package data/mnist knows.
func LoadData(env experiments.LoadEnv) (Data, error) {
	train, err := mnist.LoadRoot(env.DataDir, mnist.MNIST, mnist.Train)
	if err != nil {
		return Data{}, err
	}
	test, err := mnist.LoadRoot(env.DataDir, mnist.MNIST, mnist.Test)
	if err != nil {
		return Data{}, err
	}
	return Data{Train: train, Test: test}, nil
}

// Cost implements experiments.Experiment: the run's training steps.
func (*Experiment) Cost(c Config) int {
	n := mnist.TrainLen
	if c.TrainSize > 0 && c.TrainSize < n {
		n = c.TrainSize
	}
	return c.Epochs * (n / c.Batch)
}

// Train implements experiments.Experiment.
func (e *Experiment) Train(c Config, env experiments.Env, emit func(Epoch) error) error {
	data, err := e.load(env.LoadEnv)
	if err != nil {
		return err
	}
	_, err = train(c, data, env, emit)
	return err
}

// Report implements experiments.Experiment.
func (*Experiment) Report(dir string) error { return Report(dir) }

// Memory implements experiments.Sizer: the parameters with their gradients and Adam's two moments, and a batch's
// activations forward and backward, plus the Go runtime, the backend and MNIST (220 MB as float32).
func (*Experiment) Memory(c Config) float64 {
	codes := float64(c.Latents * c.Categories)
	params := 2*(Pixels*512+512*256) + 2*256*codes
	activations := float64(c.Batch) * (8*Pixels + 6*(512+256) + 12*codes)
	return 4*(4*params+2*activations) + 400e6
}
