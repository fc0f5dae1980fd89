package poly

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
)

// Config fixes one sweep of the experiment: every estimator is trained for every p and every seed. DefaultConfig
// and PaperConfig give complete configurations; Validate says what is out of range.
type Config struct {
	// Estimators are registry names of either family (see reinmax.Names), trained in this order.
	Estimators []string
	// Params holds per-estimator parameters (τ, and K for gr-mck) by name; an estimator that is missing, or a
	// zero field, gets the estimator's default (τ = 1 for every estimator, K = 100 for gr-mck).
	Params map[string]reinmax.Params
	// P holds the exponents p > 0 of the loss |z − c|^p; the paper uses 1.5, 2 and 3.
	P []float64
	// L is the number of binary variables (rows of θ), at least 1; the paper uses 128.
	L int
	// Batch is the number of independent samples of the L variables drawn at each step, at least 1; the paper
	// uses 64.
	Batch int
	// Steps is the number of Adam steps of a run, at least 1; the paper runs 40 epochs of 200 steps, 8000.
	Steps int
	// Seeds are the seeds of the runs; each gives its own initial θ and sampling noise, the same initial θ for every
	// estimator and p.
	Seeds []int64
	// LR is Adam's learning rate (β = 0.9, 0.999, ε = 1e-8 as in PyTorch); the paper uses 1e-3.
	LR float64
	// Init is the half-width of the initialisation θ ~ U(−Init, Init); the paper uses 0.01.
	Init float64
	// Target selects the vector c: Const (c_l = C) or Ramp (c_l = (l − 0.5)/L).
	Target Target
	// C is the value of the Const target, in [0, 1]; the paper uses 0.45.
	C float64
	// Every is the number of steps between two records of a run, at least 1; a record is also written at step 0
	// and at the last step.
	Every int
	// Shard selects the slice of the sweep (estimators × p × seeds, in that order) this process runs.
	Shard experiments.Shard
	// Out is the folder of results.jsonl: runs whose final record is already there are skipped, and every run
	// trained appends its records when it ends. The empty string keeps the records in memory only.
	Out string
	// Workers is the number of runs trained at the same time, at least 1. The graphs of this experiment are
	// small, so two runs side by side use two cores better than one run does.
	Workers int
	// Backend runs the graphs; nil selects experiments.NewBackend().
	Backend compute.Backend
}

// DefaultConfig returns the paper's settings (L = 128, batch 64, Adam lr 1e-3, θ ~ U(−0.01, 0.01), c = 0.45,
// p ∈ {1.5, 2, 3}, 8000 steps) with four estimators (st, stgs, gst-1.0, reinmax) at their default τ and 3 seeds,
// sized to finish in minutes on two cores.
func DefaultConfig() Config {
	return Config{
		Estimators: []string{"st", "stgs", "gst-1.0", "reinmax"},
		P:          []float64{1.5, 2, 3},
		L:          128,
		Batch:      64,
		Steps:      8000,
		Seeds:      []int64{0, 1, 2},
		LR:         1e-3,
		Init:       0.01,
		Target:     Const,
		C:          0.45,
		Every:      50,
		Workers:    2,
	}
}

// PaperConfig returns the paper's full protocol: every straight-through-family estimator of the registry and
// seeds 0 to 9, with the settings of DefaultConfig.
func PaperConfig() Config {
	c := DefaultConfig()
	c.Estimators = reinmax.Names(reinmax.StraightThroughFamily)
	c.Seeds = []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	return c
}

// Validate returns an error naming the first field that is out of range.
func (c Config) Validate() error {
	if len(c.Estimators) == 0 {
		return fmt.Errorf("poly: no estimators (valid: %s)", strings.Join(reinmax.Names(), ", "))
	}
	seen := make(map[string]bool)
	for _, name := range c.Estimators {
		if seen[name] {
			return fmt.Errorf("poly: estimator %s is listed twice", name)
		}
		seen[name] = true
		if _, err := c.estimator(name); err != nil {
			return err
		}
	}
	for name := range c.Params {
		if !seen[name] {
			return fmt.Errorf("poly: parameters given for %s, which is not among the estimators (%s)", name, strings.Join(c.Estimators, ", "))
		}
	}
	if len(c.P) == 0 {
		return fmt.Errorf("poly: no exponent p given")
	}
	for _, p := range c.P {
		if !(p > 0) || math.IsInf(p, 0) {
			return fmt.Errorf("poly: p = %v, want a finite p > 0", p)
		}
	}
	if c.L < 1 {
		return fmt.Errorf("poly: L = %d binary variables, want L >= 1", c.L)
	}
	if c.Batch < 1 {
		return fmt.Errorf("poly: batch = %d, want batch >= 1", c.Batch)
	}
	if c.Steps < 1 {
		return fmt.Errorf("poly: steps = %d, want steps >= 1", c.Steps)
	}
	if len(c.Seeds) == 0 {
		return fmt.Errorf("poly: no seeds given")
	}
	seeds := make(map[int64]bool)
	for _, s := range c.Seeds {
		if seeds[s] {
			return fmt.Errorf("poly: seed %d is listed twice", s)
		}
		seeds[s] = true
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return fmt.Errorf("poly: learning rate %v, want a finite rate > 0", c.LR)
	}
	if !(c.Init >= 0) || math.IsInf(c.Init, 0) {
		return fmt.Errorf("poly: init half-width %v, want a finite value >= 0", c.Init)
	}
	if _, err := Targets(c.Target, c.L, c.C); err != nil {
		return err
	}
	if c.Target == Const && !(c.C >= 0 && c.C <= 1) {
		return fmt.Errorf("poly: target value c = %v, want c in [0, 1]", c.C)
	}
	if c.Every < 1 {
		return fmt.Errorf("poly: every = %d steps between records, want every >= 1", c.Every)
	}
	if c.Shard.N > 0 && (c.Shard.I < 0 || c.Shard.I >= c.Shard.N) {
		return fmt.Errorf("poly: shard %d/%d, want 0 <= i < n", c.Shard.I, c.Shard.N)
	}
	if c.Workers < 1 {
		return fmt.Errorf("poly: workers = %d, want workers >= 1", c.Workers)
	}
	return nil
}

// estimator builds the estimator name with its parameters from c.Params: a reinmax.StraightThrough, or a
// reinmax.ScoreFunction whose K evaluations divide the batch (each step then draws Batch/K examples of K samples, the
// same Batch evaluations of the loss as the straight-through estimators).
func (c Config) estimator(name string) (any, error) {
	spec, err := reinmax.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("poly: unknown estimator %q (valid: %s)", name, strings.Join(reinmax.Names(), ", "))
	}
	if spec.Family == reinmax.StraightThroughFamily {
		est, err := reinmax.NewStraightThrough(name, c.Params[name])
		if err != nil {
			return nil, fmt.Errorf("poly: %w", err)
		}
		return est, nil
	}
	if name == "exact" {
		return nil, fmt.Errorf("poly: exact enumeration of 2^%d outcomes is not feasible; choose another estimator", c.L)
	}
	est, err := reinmax.NewScoreFunction(name, c.Params[name])
	if err != nil {
		return nil, fmt.Errorf("poly: %w", err)
	}
	if k := est.Evaluations(); c.Batch%k != 0 {
		return nil, fmt.Errorf("poly: %s evaluates the loss K = %d times per example; batch %d is not a multiple of K", name, k, c.Batch)
	}
	return est, nil
}

// params returns the parameters estimator name runs with, defaults filled in from the registry.
func (c Config) params(name string) reinmax.Params {
	p := c.Params[name]
	if spec, err := reinmax.Lookup(name); err == nil {
		if p.Tau == 0 {
			p.Tau = spec.Tau
		}
		if p.K == 0 {
			p.K = spec.K
		}
	}
	return p
}
