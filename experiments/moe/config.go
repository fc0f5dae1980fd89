package moe

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/moe"
)

// Data sets a run trains on.
const (
	MNIST   = "mnist"
	Fashion = "fashion"
)

// Config is one training run: every setting that changes its numbers (its JSON is the run's identity, see
// experiments.ID). DefaultConfig fills it.
type Config struct {
	Data   string `json:"data"`   // "mnist" or "fashion"
	Method string `json:"method"` // a routing method of moe.Methods
	TopK   int    `json:"top_k"`  // experts per image, 1 or 2 (see moe.SupportedTopK)
	// Tau and Samples are τ and K of a straight-through method (the registry's defaults when zero; Runs writes them
	// out); zero for the other methods.
	Tau     float64 `json:"tau"`
	Samples int     `json:"samples"`
	Jitter  float64 `json:"jitter"` // SparseMixer's ε (moe.DefaultJitter when zero; Runs writes it out); zero for the others

	Experts      int     `json:"experts"`       // E >= 2
	Hidden       int     `json:"hidden"`        // width of the shared layer, the experts' input and output, >= 1
	ExpertHidden int     `json:"expert_hidden"` // width of each expert's hidden layer, >= 1
	Capacity     float64 `json:"capacity"`      // capacity factor while training, > 0
	Balance      float64 `json:"balance"`       // coefficient of the load-balancing loss, >= 0

	Optimizer string  `json:"optimizer"`  // "adam" or "radam"
	LR        float64 `json:"lr"`         // learning rate, > 0
	Batch     int     `json:"batch"`      // images (tokens of the MoE layer) per step, >= 2
	Steps     int     `json:"steps"`      // training steps, >= 1
	EvalEvery int     `json:"eval_every"` // steps between records (the last record is at Steps), >= 1
	Seed      int64   `json:"seed"`       // seeds initialisation, routing draws and shuffling
	TrainSize int     `json:"train_size"` // use only the first TrainSize training images (0: all 60,000); 0 or >= Batch
	TestSize  int     `json:"test_size"`  // use only the first TestSize test images (0: all 10,000)
}

// DefaultConfig returns the settings of a default run of method with top-k routing on data: 4 experts of hidden
// width 128 on a shared layer of 64 units, capacity factor 1.25 (the Switch Transformer's), balancing coefficient
// 0.1, Adam at 1e-3, batch 128, 1000 steps (2.1 epochs) with a record every 100 steps, seed 0.
//
// The balancing coefficient is ten times the Switch Transformer's 0.01: at 0.01 the load drifts within 1000 steps
// on Fashion-MNIST (docs/moe/balance-0.01: the busiest expert takes 2.0 times the mean load with ReinMax and 27% of
// the assignments are dropped, 1.6 times and 12% with Switch, 1.2 times and 4-8% with SparseMixer), which makes
// the comparison partly one of load rather than of gradients; at 0.1 the busiest expert takes at most 1.32 times
// the mean load (the ReinMax family on MNIST; at most 1.12 for every other method).
func DefaultConfig(data, method string, k int) Config {
	return Config{
		Data: data, Method: method, TopK: k,
		Experts: 4, Hidden: 64, ExpertHidden: 128, Capacity: 1.25, Balance: 0.1,
		Optimizer: "adam", LR: 1e-3, Batch: 128, Steps: 1000, EvalEvery: 100,
	}
}

// Label implements experiments.Config, e.g. "fashion reinmax top-1 seed=0".
func (c Config) Label() string { return label(c.Data, c.Method, c.TopK, c.Seed) }

func label(data, method string, k int, seed int64) string {
	return fmt.Sprintf("%s %s top-%d seed=%d", data, method, k, seed)
}

// Validate returns an error naming the first setting out of range.
func (c Config) Validate() error {
	switch {
	case c.Data != MNIST && c.Data != Fashion:
		return fmt.Errorf("moe: data %q, want mnist or fashion", c.Data)
	case c.Hidden < 1 || c.ExpertHidden < 1:
		return fmt.Errorf("moe: hidden width %d, expert width %d, want >= 1", c.Hidden, c.ExpertHidden)
	case !(c.Balance >= 0) || math.IsInf(c.Balance, 1):
		return fmt.Errorf("moe: balancing coefficient %v, want a finite number >= 0", c.Balance)
	case c.Optimizer != "adam" && c.Optimizer != "radam":
		return fmt.Errorf("moe: optimizer %q, want adam or radam", c.Optimizer)
	case !(c.LR > 0) || math.IsInf(c.LR, 1):
		return fmt.Errorf("moe: learning rate %v, want a finite number > 0", c.LR)
	case c.Batch < 2:
		return fmt.Errorf("moe: batch %d, want >= 2", c.Batch)
	case c.Steps < 1 || c.EvalEvery < 1:
		return fmt.Errorf("moe: %d steps with a record every %d, want both >= 1", c.Steps, c.EvalEvery)
	case c.TrainSize < 0 || c.TestSize < 0:
		return fmt.Errorf("moe: train size %d, test size %d, want >= 0", c.TrainSize, c.TestSize)
	case c.TrainSize > 0 && c.TrainSize < c.Batch:
		return fmt.Errorf("moe: train size %d is less than one batch of %d images", c.TrainSize, c.Batch)
	}
	return c.Router(false).Validate(c.Experts)
}

// Router returns the router of the run: the training form, or the inference form with no capacity limit that
// evaluation uses (the top-K experts by logit, every image kept).
func (c Config) Router(inference bool) moe.Router {
	r := moe.Router{
		Method: c.Method, TopK: c.TopK, Capacity: c.Capacity, Jitter: c.Jitter,
		Estimator: reinmax.Params{Tau: c.Tau, K: c.Samples},
	}
	if inference {
		r.Inference, r.Capacity = true, float64(c.Experts)
	}
	return r
}

// Resolved returns c with the method's parameters written out: a straight-through method's τ and K (the
// registry's defaults in place of zeros, zero for a parameter it does not read), SparseMixer's jitter, and zero
// for the parameters the method does not read. Two configurations that resolve alike train alike.
func (c Config) Resolved() (Config, error) {
	switch {
	case c.Method == moe.SparseMixer || c.Method == moe.SparseMixerV2:
		c.Tau, c.Samples = 0, 0
		if c.Jitter == 0 {
			c.Jitter = moe.DefaultJitter
		}
	case slices.Contains([]string{moe.Switch, moe.DenseMixer, moe.Dense}, c.Method):
		c.Tau, c.Samples, c.Jitter = 0, 0, 0
	default:
		p, err := reinmax.Resolve(c.Method, reinmax.Params{Tau: c.Tau, K: c.Samples})
		if err != nil {
			return c, fmt.Errorf("moe: unknown routing method %q (valid: %s)", c.Method, strings.Join(moe.Methods(), ", "))
		}
		c.Tau, c.Samples, c.Jitter = p.Tau, p.K, 0
	}
	return c, nil
}

// dataset returns the data set of the run.
func (c Config) dataset() mnist.Name {
	if c.Data == Fashion {
		return mnist.Fashion
	}
	return mnist.MNIST
}
