package poly

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
)

// Config is one run: every setting that changes its numbers (its JSON is the run's identity, see experiments.ID).
// DefaultConfig gives the paper's settings.
type Config struct {
	// Estimator is a registry name of either family (see reinmax.Names).
	Estimator string `json:"estimator"`
	// Tau is the estimator's temperature and K its number of samples (GR-MCK's Gumbels, a score-function
	// estimator's loss evaluations per example); each is 0 for an estimator that has none.
	Tau float64 `json:"tau"`
	K   int     `json:"k"`
	// Alpha is the mixing weight of reinmax-alpha and TauForward the forward temperature of the decoupled
	// estimators; each is 0 for an estimator that has none.
	Alpha      float64 `json:"alpha"`
	TauForward float64 `json:"tau_forward"`
	// P is the exponent p > 0 of the loss |z − c|^p; the paper uses 1.5, 2 and 3.
	P float64 `json:"p"`
	// Target selects the vector c: Const (c_l = C) or Ramp (c_l = (l − 0.5)/L).
	Target Target `json:"target"`
	// C is the value of the Const target, in [0, 1]; the paper uses 0.45. It is 0 for the Ramp target.
	C float64 `json:"c"`
	// L is the number of binary variables (rows of θ), at least 1; the paper uses 128.
	L int `json:"L"`
	// Batch is the number of independent samples of the L variables drawn at each step, at least 1; the paper
	// uses 64. A score-function estimator draws Batch/K examples of K samples each.
	Batch int `json:"batch"`
	// Steps is the number of Adam steps, at least 1; the paper runs 40 epochs of 200 steps, 8000.
	Steps int `json:"steps"`
	// LR is Adam's learning rate (β = 0.9, 0.999, ε = 1e-8 as in PyTorch); the paper uses 1e-3.
	LR float64 `json:"lr"`
	// Init is the half-width of the initialisation θ ~ U(−Init, Init); the paper uses 0.01.
	Init float64 `json:"init"`
	// Every is the number of steps between two records, at least 1; a record is also written at step 0 and at the
	// last step.
	Every int `json:"every"`
	// Seed gives the initial θ (the same for every estimator and p) and the sampling noise.
	Seed int64 `json:"seed"`
	// Binary runs a straight-through estimator in its Bernoulli form (reinmax.Binary, one logit θ_l0 − θ_l1 per
	// variable, element-wise backward) instead of its two-category form; the two draw the same samples from the
	// same uniforms and give the same gradient up to rounding. Only estimators with a Bernoulli form take it.
	Binary bool `json:"binary"`
}

// DefaultConfig returns the paper's settings for ReinMax with p = 2 and seed 0: L = 128, batch 64, Adam lr 1e-3,
// θ ~ U(−0.01, 0.01), c = 0.45, 8000 steps, a record every 50.
func DefaultConfig() Config {
	return Config{Estimator: "reinmax", Tau: 1, P: 2, Target: Const, C: 0.45, L: 128, Batch: 64, Steps: 8000, LR: 1e-3,
		Init: 0.01, Every: 50}
}

// Label implements experiments.Config, e.g. "reinmax p=2 seed=0".
func (c Config) Label() string { return runLabel(c.Estimator, c.P, c.Seed) }

func runLabel(estimator string, p float64, seed int64) string {
	return fmt.Sprintf("%s p=%s seed=%d", estimator, strconv.FormatFloat(p, 'g', -1, 64), seed)
}

// Validate returns an error naming the first field that is out of range.
func (c Config) Validate() error {
	if _, err := c.estimator(); err != nil {
		return err
	}
	switch {
	case !(c.P > 0) || math.IsInf(c.P, 0):
		return fmt.Errorf("poly: p = %v, want a finite p > 0", c.P)
	case c.L < 1:
		return fmt.Errorf("poly: L = %d binary variables, want L >= 1", c.L)
	case c.Batch < 1:
		return fmt.Errorf("poly: batch = %d, want batch >= 1", c.Batch)
	case c.Steps < 1:
		return fmt.Errorf("poly: steps = %d, want steps >= 1", c.Steps)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("poly: learning rate %v, want a finite rate > 0", c.LR)
	case !(c.Init >= 0) || math.IsInf(c.Init, 0):
		return fmt.Errorf("poly: init half-width %v, want a finite value >= 0", c.Init)
	case c.Every < 1:
		return fmt.Errorf("poly: every = %d steps between records, want every >= 1", c.Every)
	case c.Target != Const && c.Target != Ramp:
		return fmt.Errorf("poly: unknown target %q (valid: %s, %s)", c.Target, Const, Ramp)
	case c.Target == Const && !(c.C >= 0 && c.C <= 1):
		return fmt.Errorf("poly: target value c = %v, want c in [0, 1]", c.C)
	}
	return nil
}

// estimator builds the run's estimator, of either family; a score-function estimator's K evaluations must divide
// the batch (each step then draws Batch/K examples of K samples, the same Batch evaluations of the loss as the
// straight-through estimators).
func (c Config) estimator() (reinmax.Estimator, error) {
	if c.Estimator == "exact" {
		return reinmax.Estimator{}, fmt.Errorf("poly: exact enumeration of 2^%d outcomes is not feasible; choose another estimator", c.L)
	}
	if _, err := reinmax.Lookup(c.Estimator); err != nil {
		return reinmax.Estimator{}, fmt.Errorf("poly: unknown estimator %q (valid: %s)", c.Estimator, strings.Join(reinmax.Names(), ", "))
	}
	est, err := reinmax.New(c.Estimator, c.params())
	if err != nil {
		return est, fmt.Errorf("poly: %w", err)
	}
	if c.Binary && !est.Spec.Bernoulli {
		return est, fmt.Errorf("poly: %s has no Bernoulli form; --binary takes %s", c.Estimator, strings.Join(bernoulliForms(), ", "))
	}
	if sf := est.ScoreFunction; sf != nil && c.Batch%sf.Evaluations() != 0 {
		return est, fmt.Errorf("poly: %s evaluates the loss K = %d times per example; batch %d is not a multiple of K", c.Estimator, sf.Evaluations(), c.Batch)
	}
	return est, nil
}

// params are the estimator's parameters.
func (c Config) params() reinmax.Params {
	return reinmax.Params{Tau: c.Tau, K: c.K, Alpha: c.Alpha, TauForward: c.TauForward}
}

// resolved returns c with the estimator's parameters written out (reinmax.Resolve), no C for the Ramp target,
// which does not read it, and no Binary for a score-function estimator.
func (c Config) resolved() (Config, error) {
	p, err := reinmax.Resolve(c.Estimator, c.params())
	if err != nil {
		return c, fmt.Errorf("poly: %w", err)
	}
	c.Tau, c.K, c.Alpha, c.TauForward = p.Tau, p.K, p.Alpha, p.TauForward
	if spec, _ := reinmax.Lookup(c.Estimator); spec.Family == reinmax.ScoreFunctionFamily {
		c.Binary = false // a score-function estimator takes one logit per variable already
	}
	if c.Target == Ramp {
		c.C = 0
	}
	return c, nil
}

// Sweep lists runs: every estimator × p × seed, in that order, each with DefaultConfig's settings, the estimator's
// Params, then Modify.
type Sweep struct {
	// Estimators are registry names of either family, trained in this order.
	Estimators []string
	// Params holds per-estimator parameters (τ, K, α, τ_f) by name; a missing estimator or a zero field gets the
	// estimator's default.
	Params map[string]reinmax.Params
	P      []float64 // exponents p > 0 of the loss
	Seeds  []int64
	Modify func(*Config) // changes every run's settings, e.g. the target; nil for none
}

// DefaultSweep is the paper's setting with four estimators (st, stgs, gst-1.0, reinmax) at their default τ,
// p ∈ {1.5, 2, 3} and 3 seeds: a few minutes on two cores.
func DefaultSweep() Sweep {
	return Sweep{Estimators: []string{"st", "stgs", "gst-1.0", "reinmax"}, P: []float64{1.5, 2, 3}, Seeds: []int64{0, 1, 2}}
}

// PaperSweep is the paper's full protocol: every straight-through-family estimator of the registry, p ∈ {1.5, 2,
// 3}, seeds 0 to 9.
func PaperSweep() Sweep {
	return Sweep{Estimators: reinmax.Names(reinmax.StraightThroughFamily), P: []float64{1.5, 2, 3},
		Seeds: []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
}

// Runs returns the configurations of the sweep's runs, in order, or an error naming the first that cannot run.
func (s Sweep) Runs() ([]Config, error) {
	for name := range s.Params {
		if !slices.Contains(s.Estimators, name) {
			return nil, fmt.Errorf("poly: parameters given for %s, which is not among the estimators (%s)", name, strings.Join(s.Estimators, ", "))
		}
	}
	var out []Config
	for _, est := range s.Estimators {
		for _, p := range s.P {
			for _, seed := range s.Seeds {
				c := DefaultConfig()
				c.Estimator, c.P, c.Seed = est, p, seed
				ep := s.Params[est]
				c.Tau, c.K, c.Alpha, c.TauForward = ep.Tau, ep.K, ep.Alpha, ep.TauForward
				c, err := experiments.Complete(c, s.Modify, Config.resolved)
				if err != nil {
					return nil, err
				}
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("poly: the sweep is empty: give at least one estimator, p and seed")
	}
	return out, nil
}

// bernoulliForms lists the estimators that have a Bernoulli form.
func bernoulliForms() []string {
	var out []string
	for _, s := range reinmax.Estimators() {
		if s.Bernoulli {
			out = append(out, s.Name)
		}
	}
	return out
}
