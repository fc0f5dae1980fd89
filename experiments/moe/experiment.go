package moe

import (
	"fmt"
	"slices"

	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/moe"
)

// Files written into an output folder besides experiments.ResultsFile.
const (
	SummaryFile = "summary.csv" // final-step mean and std over seeds per data set, method and top-k
	TableFile   = "table.md"    // the summary as Markdown tables
	CurvesFile  = "curves"      // test error, test NLL, training loss and busiest load against steps (".png", ".svg")
)

// Sweep lists runs: every data set × method × top-k × seed, each with DefaultConfig, then Modify. A top-k that a
// method does not support is left out (dense and the straight-through estimators run top-1 only).
type Sweep struct {
	Data    []string // "mnist", "fashion"
	Methods []string // routing methods of moe.Methods
	TopK    []int    // 1, 2
	Seeds   []int64
	Modify  func(*Config) // changes every run's settings, e.g. more steps; nil for none
}

// DefaultMethods are the methods of the default sweep: the baselines, both SparseMixers, and the first- and
// second-order straight-through estimators.
var DefaultMethods = []string{moe.Switch, moe.DenseMixer, moe.Dense, moe.SparseMixer, moe.SparseMixerV2, "st", "reinmax"}

// DefaultSweep is sized for a few minutes on two cores: Fashion-MNIST, DefaultMethods, top-1 and top-2, seed 0,
// 1000 steps each.
func DefaultSweep() Sweep {
	return Sweep{Data: []string{Fashion}, Methods: DefaultMethods, TopK: []int{1, 2}, Seeds: []int64{0}}
}

// FullSweep is the sweep of docs/moe: both data sets, every routing method but SameAtDefaults, top-1 and top-2,
// seeds 0-2.
func FullSweep() Sweep {
	var methods []string
	for _, m := range moe.Methods() {
		if !slices.Contains(SameAtDefaults, m) {
			methods = append(methods, m)
		}
	}
	return Sweep{Data: []string{Fashion, MNIST}, Methods: methods, TopK: []int{1, 2}, Seeds: []int64{0, 1, 2}}
}

// SameAtDefaults are the routing methods that, at their registry defaults, are another method: reinmax-alpha at
// α = 1 is reinmax, decoupled-st and decoupled-stgs at τ_f = 1 are st and stgs. FullSweep leaves them out.
var SameAtDefaults = []string{"reinmax-alpha", "decoupled-st", "decoupled-stgs"}

// Runs returns the configurations of the sweep's runs, in order, or an error naming the first that cannot run.
func (s Sweep) Runs() ([]Config, error) {
	var out []Config
	for _, data := range s.Data {
		for _, method := range s.Methods {
			ks := moe.SupportedTopK(method)
			if ks == nil {
				return nil, fmt.Errorf("moe: unknown routing method %q (valid: %v)", method, moe.Methods())
			}
			for _, k := range s.TopK {
				if !slices.Contains(ks, k) {
					continue
				}
				for _, seed := range s.Seeds {
					c := DefaultConfig(data, method, k)
					c.Seed = seed
					c, err := experiments.Complete(c, s.Modify, Config.Resolved)
					if err != nil {
						return nil, err
					}
					out = append(out, c)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("moe: the sweep is empty: give at least one data set, method, top-k the method supports and seed")
	}
	return out, nil
}

// Experiment is the mixture-of-experts classifier for the experiments runner: each data set is loaded once and
// shared by the runs.
type Experiment struct {
	data experiments.Cache[string, Data]
}

var (
	_ experiments.Experiment[Config, Point] = (*Experiment)(nil)
	_ experiments.Sizer[Config]             = (*Experiment)(nil)
)

// Name implements experiments.Experiment.
func (*Experiment) Name() string { return "moe" }

// Load implements experiments.Experiment: it reads (checksummed) the data sets the runs need.
func (e *Experiment) Load(runs []Config, env experiments.LoadEnv) error {
	for _, c := range runs {
		if _, err := e.load(c, env); err != nil {
			return err
		}
	}
	return nil
}

func (e *Experiment) load(c Config, env experiments.LoadEnv) (Data, error) {
	return e.data.Get(c.Data, func(string) (Data, error) { return LoadData(c.dataset(), env) })
}

// LoadData reads the training and test images of a data set (checksummed) from the data root env.DataDir or the
// places package data/mnist knows.
func LoadData(name mnist.Name, env experiments.LoadEnv) (Data, error) {
	train, err := mnist.LoadRoot(env.DataDir, name, mnist.Train)
	if err != nil {
		return Data{}, err
	}
	test, err := mnist.LoadRoot(env.DataDir, name, mnist.Test)
	if err != nil {
		return Data{}, err
	}
	return Data{Train: train, Test: test}, nil
}

// Cost implements experiments.Experiment: the run's training steps.
func (*Experiment) Cost(c Config) int { return c.Steps }

// Train implements experiments.Experiment.
func (e *Experiment) Train(c Config, env experiments.Env, emit func(Point) error) error {
	data, err := e.load(c, env.LoadEnv)
	if err != nil {
		return err
	}
	_, err = train(c, data, env, emit)
	return err
}

// Report implements experiments.Experiment.
func (*Experiment) Report(dir string) error { return Report(dir) }

// Memory implements experiments.Sizer: the parameters with their gradients and Adam's two moments, a batch's
// activations forward and backward (every expert on every image for the methods that need them all, the
// (T, E, C) dispatch otherwise) and an evaluation batch, plus the Go runtime, the backend and the data set (220 MB
// as float32).
func (*Experiment) Memory(c Config) float64 {
	e, h, f, b := float64(c.Experts), float64(c.Hidden), float64(c.ExpertHidden), float64(c.Batch)
	params := Pixels*h + h*e + 2*e*h*f + h*Classes
	experts := b * e * (f + h)
	dispatch := b * e * b
	activations := b*(Pixels+4*h+2*e) + 2*experts + dispatch
	eval := evalBatch * (Pixels + 4*h + e*(f+h))
	return 4*(4*params+2*activations+eval) + 400e6
}
