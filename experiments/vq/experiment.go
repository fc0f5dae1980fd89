package vq

import (
	"fmt"
	"slices"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/experiments"
	vqlib "github.com/f60e9205/reinmax/vq"
)

// Files written into an output folder besides experiments.ResultsFile.
const (
	SummaryFile = "summary.csv" // final record's mean and std over seeds per data set and method
	TableFile   = "table.md"    // the summary as one table per data set
)

// Sweep lists runs: every data set × method × temperature (stochastic methods only) × refresh period × seed, each
// with DefaultConfig's settings, then Modify.
type Sweep struct {
	Data         []string  // "fashion", "mnist"
	Methods      []string  // "ste", "rotation" or straight-through estimators of the registry
	Temperatures []float64 // T of the stochastic methods; nil for DefaultTemperature
	Refresh      []int     // refresh periods, 0 for none; nil for none
	Seeds        []int64
	Modify       func(*Config) // changes every run's settings, e.g. fewer steps; nil for none
}

// DefaultMethods are the methods of the default sweep: the two deterministic ones and the straight-through
// estimators the ReinMax paper compares (GR-MCK with K = DefaultGRMCKK).
var DefaultMethods = []string{vqlib.STE, vqlib.Rotation, "st", "stgs", "gst-1.0", "gr-mck", "reinmax"}

// DefaultSweep is the default command: Fashion-MNIST, DefaultMethods, seed 0, DefaultSteps steps.
func DefaultSweep() Sweep {
	return Sweep{Data: []string{"fashion"}, Methods: DefaultMethods, Seeds: []int64{0}}
}

// FullSweep is every combination docs/vq samples from: both data sets, DefaultMethods, temperatures 0.01 and 0.1,
// without and with a refresh every 100 steps, seeds 0-2 (144 runs).
func FullSweep() Sweep {
	return Sweep{Data: DataSets, Methods: DefaultMethods, Temperatures: []float64{0.01, 0.1}, Refresh: []int{0, 100},
		Seeds: []int64{0, 1, 2}}
}

// Runs returns the configurations of the sweep's runs, in order, or an error naming the first that cannot run.
func (s Sweep) Runs() ([]Config, error) {
	temps, refresh := s.Temperatures, s.Refresh
	if len(temps) == 0 {
		temps = []float64{DefaultTemperature}
	}
	if len(refresh) == 0 {
		refresh = []int{0}
	}
	var out []Config
	for _, data := range s.Data {
		for _, method := range s.Methods {
			ts := []float64{0}
			if (vqlib.Quantizer{Method: method}).Stochastic() {
				ts = temps
			}
			for _, t := range ts {
				for _, r := range refresh {
					for _, seed := range s.Seeds {
						c := DefaultConfig(data, method)
						c.Temperature, c.Refresh, c.Seed = t, r, seed
						c, err := experiments.Complete(c, s.Modify, Config.resolved)
						if err != nil {
							return nil, err
						}
						out = append(out, c)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("vq: the sweep is empty: give at least one data set, method and seed")
	}
	return out, nil
}

// Experiment is the vector-quantisation experiment for the experiments runner: each data set is loaded once and
// shared by the runs.
type Experiment struct {
	data experiments.Cache[string, Data]
}

var _ experiments.Experiment[Config, Eval] = (*Experiment)(nil)

// Name implements experiments.Experiment.
func (*Experiment) Name() string { return "vq" }

// Load implements experiments.Experiment: it reads the data sets of the runs (checksummed).
func (e *Experiment) Load(runs []Config, env experiments.LoadEnv) error {
	for _, c := range runs {
		if _, err := e.load(c.Data, env); err != nil {
			return err
		}
	}
	return nil
}

func (e *Experiment) load(name string, env experiments.LoadEnv) (Data, error) {
	return e.data.Get(name, func(name string) (Data, error) { return LoadData(name, env) })
}

// LoadData reads the training and test images of the data set name ("fashion" or "mnist", checksummed) from the
// data root env.DataDir or the places package data/mnist knows.
func LoadData(name string, env experiments.LoadEnv) (Data, error) {
	set := mnist.MNIST
	switch name {
	case "fashion":
		set = mnist.Fashion
	case "mnist":
	default:
		return Data{}, fmt.Errorf("vq: unknown data set %q (valid: fashion, mnist)", name)
	}
	train, err := mnist.LoadRoot(env.DataDir, set, mnist.Train)
	if err != nil {
		return Data{}, err
	}
	test, err := mnist.LoadRoot(env.DataDir, set, mnist.Test)
	if err != nil {
		return Data{}, err
	}
	return Data{Train: train, Test: test}, nil
}

// Cost implements experiments.Experiment: the run's training steps.
func (*Experiment) Cost(c Config) int { return c.Steps }

// Train implements experiments.Experiment.
func (e *Experiment) Train(c Config, env experiments.Env, emit func(Eval) error) error {
	data, err := e.load(c.Data, env.LoadEnv)
	if err != nil {
		return err
	}
	_, err = train(c, data, env, emit)
	return err
}

// Report implements experiments.Experiment.
func (*Experiment) Report(dir string) error { return Report(dir) }

// Memory implements experiments.Sizer: the parameters with their gradients and Adam's two moments; a batch's
// activations forward and backward, with the (B·L, K) tensors of the distances and of the estimator (K times more for
// GR-MCK); plus the Go runtime, the backend and a data set (220 MB as float32).
func (*Experiment) Memory(c Config) float64 {
	h, ld := float64(c.Hidden), float64(c.Latents*c.Dim)
	params := 2*(Pixels*h+h*h/2+h/2*ld) + float64(c.Codes*c.Dim)
	vectors := float64(c.Batch * c.Latents)
	samples := 1.0
	if spec, err := reinmax.Lookup(c.Method); err == nil && slices.Contains(spec.Params, "k") {
		samples = float64(max(c.K, 1))
	}
	activations := float64(c.Batch)*(8*Pixels+6*(h+h/2)+12*ld) + 12*vectors*float64(c.Codes)*samples
	return 4*(4*params+2*activations) + 400e6
}
