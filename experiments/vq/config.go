package vq

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/f60e9205/reinmax"
	vqlib "github.com/f60e9205/reinmax/vq"
)

// DataSets are the data sets a run can train on.
var DataSets = []string{"fashion", "mnist"}

// Config is one training run: every setting that changes its numbers (its JSON is the run's identity, see
// experiments.ID). DefaultConfig fills it with the defaults.
type Config struct {
	Data        string  `json:"data"`        // "fashion" or "mnist"
	Method      string  `json:"method"`      // "ste", "rotation" or a straight-through estimator of the registry
	Codes       int     `json:"codes"`       // K, codes in the codebook, >= 2
	Dim         int     `json:"dim"`         // d, dimension of a code, >= 1
	Latents     int     `json:"latents"`     // L, vectors quantised per image, >= 1
	Hidden      int     `json:"hidden"`      // H, width of the first hidden layer (the second has H/2), >= 2
	Beta        float64 `json:"beta"`        // β, weight of the commitment loss, >= 0
	Temperature float64 `json:"temperature"` // T of the stochastic codes' logits −‖z − e‖²/T; 0 for ste and rotation
	Tau         float64 `json:"tau"`         // the estimator's τ; 0 for ste and rotation
	K           int     `json:"k"`           // GR-MCK's Gumbel samples; 0 for the other methods
	Refresh     int     `json:"refresh"`     // replace codes unused for this many steps; 0 never
	Optimizer   string  `json:"optimizer"`   // "adam" or "radam"
	LR          float64 `json:"lr"`          // learning rate, > 0
	Batch       int     `json:"batch"`       // images per step, >= 1
	Steps       int     `json:"steps"`       // training steps, >= 1
	EvalEvery   int     `json:"eval_every"`  // steps between records (the last step always has one), >= 1
	Seed        int64   `json:"seed"`        // seeds initialisation, sampling and shuffling
	TrainSize   int     `json:"train_size"`  // use only the first TrainSize training images (0: all 60,000); 0 or >= Batch
	TestSize    int     `json:"test_size"`   // use only the first TestSize test images (0: all 10,000)
}

// Default settings: 256 codes of dimension 32, batch 256, two thousand steps.
const (
	DefaultCodes       = 256
	DefaultDim         = 32
	DefaultLatents     = 8
	DefaultHidden      = 256
	DefaultBeta        = 0.25
	DefaultTemperature = 0.01 // a pilot on Fashion-MNIST (docs/vq): T = 1 does not learn, 0.1 and 0.01 do
	DefaultGRMCKK      = 10   // GR-MCK's samples here: its cost grows with K over 2048 vectors × 256 codes per step
	DefaultLR          = 1e-3
	DefaultBatch       = 256
	DefaultSteps       = 2000
	DefaultEvalEvery   = 500
)

// DefaultConfig returns the default settings for a data set and a method, before Sweep.Modify.
func DefaultConfig(data, method string) Config {
	c := Config{
		Data: data, Method: method, Codes: DefaultCodes, Dim: DefaultDim, Latents: DefaultLatents, Hidden: DefaultHidden,
		Beta: DefaultBeta, Optimizer: "adam", LR: DefaultLR, Batch: DefaultBatch, Steps: DefaultSteps, EvalEvery: DefaultEvalEvery,
	}
	if c.quantizer().Stochastic() {
		c.Temperature = DefaultTemperature
		if method == "gr-mck" {
			c.K = DefaultGRMCKK
		}
	}
	return c
}

// Label implements experiments.Config, e.g. "fashion reinmax T=1 seed=0" or "fashion ste refresh=100 seed=0".
func (c Config) Label() string { return label(c.Data, c.Name(), c.Seed) }

func label(data, name string, seed int64) string {
	return fmt.Sprintf("%s %s seed=%d", data, name, seed)
}

// Name names the method with the settings that tell its runs apart: the temperature of stochastic codes, τ and K
// where they differ from the estimator's defaults, the refresh period, e.g. "reinmax T=1", "gr-mck T=1 k=10",
// "ste refresh=100".
func (c Config) Name() string {
	parts := []string{c.Method}
	if c.Temperature != 0 {
		parts = append(parts, "T="+strconv.FormatFloat(c.Temperature, 'g', -1, 64))
	}
	spec, _ := reinmax.Lookup(c.Method)
	if c.Tau != 0 && c.Tau != spec.Tau {
		parts = append(parts, "tau="+strconv.FormatFloat(c.Tau, 'g', -1, 64))
	}
	if c.K != 0 && c.K != spec.K {
		parts = append(parts, "k="+strconv.Itoa(c.K))
	}
	if c.Refresh != 0 {
		parts = append(parts, "refresh="+strconv.Itoa(c.Refresh))
	}
	return strings.Join(parts, " ")
}

// quantizer returns the run's quantiser.
func (c Config) quantizer() vqlib.Quantizer {
	return vqlib.Quantizer{
		Codes: c.Codes, Dim: c.Dim, Method: c.Method, Beta: c.Beta, Temperature: c.Temperature,
		Estimator: reinmax.Params{Tau: c.Tau, K: c.K}, RefreshEvery: c.Refresh,
	}
}

// Validate returns an error naming the first field out of range.
func (c Config) Validate() error {
	switch {
	case !slices.Contains(DataSets, c.Data):
		return fmt.Errorf("vq: data %q, want one of %s", c.Data, strings.Join(DataSets, ", "))
	case c.Latents < 1:
		return fmt.Errorf("vq: latents L = %d, want L >= 1", c.Latents)
	case c.Hidden < 2:
		return fmt.Errorf("vq: hidden width H = %d, want H >= 2", c.Hidden)
	case c.Optimizer != "adam" && c.Optimizer != "radam":
		return fmt.Errorf("vq: optimizer %q, want adam or radam", c.Optimizer)
	case !(c.LR > 0) || math.IsInf(c.LR, 1):
		return fmt.Errorf("vq: learning rate = %v, want a finite value > 0", c.LR)
	case c.Batch < 1:
		return fmt.Errorf("vq: batch = %d, want >= 1", c.Batch)
	case c.Steps < 1:
		return fmt.Errorf("vq: steps = %d, want >= 1", c.Steps)
	case c.EvalEvery < 1:
		return fmt.Errorf("vq: eval every %d steps, want >= 1", c.EvalEvery)
	case c.TrainSize < 0 || c.TestSize < 0:
		return fmt.Errorf("vq: train size %d, test size %d, want >= 0", c.TrainSize, c.TestSize)
	case c.TrainSize > 0 && c.TrainSize < c.Batch:
		return fmt.Errorf("vq: train size %d is less than one batch of %d images", c.TrainSize, c.Batch)
	}
	return c.quantizer().Validate()
}

// resolved returns c with the estimator's parameters written out (reinmax.Resolve) for stochastic methods, and with
// the settings the deterministic methods do not read set to zero, so that two configurations that train alike
// have one identity.
func (c Config) resolved() (Config, error) {
	if !c.quantizer().Stochastic() {
		c.Temperature, c.Tau, c.K = 0, 0, 0
		return c, nil
	}
	p, err := reinmax.Resolve(c.Method, reinmax.Params{Tau: c.Tau, K: c.K})
	if err != nil {
		return c, fmt.Errorf("vq: unknown method %q (valid: %s)", c.Method, strings.Join(vqlib.Methods(), ", "))
	}
	c.Tau, c.K = p.Tau, p.K
	return c, nil
}
