package reinmax

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Family says how an estimator is called.
type Family int

const (
	// StraightThroughFamily estimators map logits to a sample whose gradient is the estimator (StraightThrough).
	StraightThroughFamily Family = iota
	// ScoreFunctionFamily estimators need the loss evaluated for each of their K samples.
	ScoreFunctionFamily
)

func (f Family) String() string {
	switch f {
	case StraightThroughFamily:
		return "straight-through"
	case ScoreFunctionFamily:
		return "score-function"
	}
	return fmt.Sprintf("Family(%d)", int(f))
}

// Params are the parameters the registry passes to an estimator. A zero field selects the estimator's default.
type Params struct {
	Tau float64 // temperature τ (for the decoupled estimators, τ of the backward pass)
	K   int     // number of samples or loss evaluations
	// Alpha is the mixing weight α of reinmax-alpha (α = 1 is ReinMax).
	Alpha float64
	// TauForward is the temperature of the forward sample of the decoupled estimators, D ~ Cat(softmax(θ/τ_f)).
	TauForward float64
}

// Spec describes a registered estimator.
type Spec struct {
	Name    string
	Family  Family
	Summary string   // one line: what the forward pass returns and what the backward pass computes
	Params  []string // the fields of Params the estimator reads: "tau", "k", "alpha", "tau-forward"
	Tau     float64  // default τ, 0 when the estimator has none
	K       int      // default K, 0 when the estimator has none
	// Alpha and TauForward are the defaults of α and τ_f, 0 when the estimator has none.
	Alpha, TauForward float64
	// Categorical says whether a score-function estimator accepts OneHotCategorical latents; all of them accept
	// Bernoulli ones, and the straight-through family is categorical by construction.
	Categorical bool
	// Bernoulli says whether a straight-through estimator has a Bernoulli form (Binary, see NewBinary).
	Bernoulli bool

	// build makes the estimator with parameters p, not yet validated: a StraightThrough or a ScoreFunction,
	// as Family says.
	build func(p Params) validator
}

// validator is a registered estimator of either family before New checks its parameters.
type validator interface {
	Name() string
	Validate() error
}

var registry = []Spec{
	{
		Name: "st", Family: StraightThroughFamily, Bernoulli: true, Params: []string{"tau"}, Tau: 1,
		Summary: "straight-through: D ~ Cat(π); grad (1/τ)J(softmax(θ/τ))g_D (first order, Euler)",
		build:   func(p Params) validator { return ST{Tau: p.Tau} },
	},
	{
		Name: "stgs", Family: StraightThroughFamily, Bernoulli: true, Params: []string{"tau"}, Tau: 1,
		Summary: "straight-through Gumbel-Softmax: D = onehot(argmax(θ+G)); grad (1/τ)J(softmax((θ+G)/τ))g_D",
		build:   func(p Params) validator { return STGS{Tau: p.Tau} },
	},
	{
		Name: "gumbel-softmax", Family: StraightThroughFamily, Params: []string{"tau"}, Tau: 1,
		Summary: "relaxed Gumbel-Softmax: forward y = softmax((θ+G)/τ), not one-hot; exact gradient of y",
		build:   func(p Params) validator { return GumbelSoftmax{Tau: p.Tau} },
	},
	{
		Name: "gst-1.0", Family: StraightThroughFamily, Params: []string{"tau"}, Tau: 1,
		Summary: "gapped straight-through, gap 1: D ~ Cat(π); grad (1/τ)J(softmax(θ'/τ))g_D, θ' gapped logits",
		build:   func(p Params) validator { return GST{Tau: p.Tau, Gap: 1} },
	},
	{
		Name: "gst-p", Family: StraightThroughFamily, Params: []string{"tau"}, Tau: 1,
		Summary: "gapped straight-through, gap -log(1-π_s)/π_s: as gst-1.0 with a probability-dependent gap",
		build:   func(p Params) validator { return GST{Tau: p.Tau, Adaptive: true} },
	},
	{
		Name: "gr-mck", Family: StraightThroughFamily, Params: []string{"tau", "k"}, Tau: 1, K: 100,
		Summary: "Gumbel-Rao: D ~ Cat(π); grad STGS's averaged over K Gumbels conditioned on D",
		build:   func(p Params) validator { return GRMCK{Tau: p.Tau, K: p.K} },
	},
	{
		Name: "reinmax", Family: StraightThroughFamily, Bernoulli: true, Params: []string{"tau"}, Tau: 1,
		Summary: "ReinMax: D ~ Cat(π); grad 2J((softmax(θ/τ)+D)/2)g_D - J(π)g_D/2 (second order, Heun); tau >= 1",
		build:   func(p Params) validator { return ReinMax{Tau: p.Tau} },
	},
	{
		Name: "reinmax-alpha", Family: StraightThroughFamily, Bernoulli: true, Params: []string{"tau", "alpha"}, Tau: 1, Alpha: 1,
		Summary: "ReinMax with mixing weight alpha: D ~ Cat(π); grad J(P)g_D + β(D-P)<D-P,g_D> - βJ(π)g_D, P = softmax(θ/τ), β = 1/(2α); alpha=1 is reinmax; alpha >= 0.5, tau >= 1",
		build:   func(p Params) validator { return ReinMaxAlpha{Tau: p.Tau, Alpha: p.Alpha} },
	},
	{
		Name: "reinmax-rao", Family: StraightThroughFamily, Params: []string{"tau", "k"}, Tau: 1, K: 10,
		Summary: "ReinMax-Rao: D ~ Cat(π); grad 2(1/K)Σ J_τ(θ+G_k)g_D - J(π)g_D/2, G_k Gumbels conditioned on D (J(π₁) of reinmax replaced by GR-MCK's)",
		build:   func(p Params) validator { return ReinMaxRao{Tau: p.Tau, K: p.K} },
	},
	{
		Name: "reinmax-cv", Family: StraightThroughFamily, Params: []string{"tau", "k"}, Tau: 1, K: 10,
		Summary: "ReinMax-CV: reinmax + [(1/K)Σ J_τ(θ+G_k) - J_τ(θ+G_0)]g_D, mean 0 given D: reinmax's expectation, more variance; tau >= 1",
		build:   func(p Params) validator { return ReinMaxCV{Tau: p.Tau, K: p.K} },
	},
	{
		Name: "decoupled-st", Family: StraightThroughFamily, Bernoulli: true, Params: []string{"tau", "tau-forward"}, Tau: 1, TauForward: 1,
		Summary: "decoupled straight-through: D ~ Cat(softmax(θ/τ_f)); grad (1/τ)J(softmax(θ/τ))g_D; tau-forward=1 is st",
		build:   func(p Params) validator { return DecoupledST{Tau: p.Tau, TauForward: p.TauForward} },
	},
	{
		Name: "decoupled-stgs", Family: StraightThroughFamily, Bernoulli: true, Params: []string{"tau", "tau-forward"}, Tau: 1, TauForward: 1,
		Summary: "decoupled STGS: D = onehot(argmax(θ+τ_f G)) ~ Cat(softmax(θ/τ_f)); grad (1/τ)J(softmax((θ+τ_f G)/τ))g_D; tau-forward=1 is stgs",
		build:   func(p Params) validator { return DecoupledSTGS{Tau: p.Tau, TauForward: p.TauForward} },
	},
	{
		Name: "reinforce", Family: ScoreFunctionFamily, Params: []string{"k"}, K: 1, Categorical: true,
		Summary: "REINFORCE: x_k ~ q; grad (1/K)Σ f(x_k)∂log q(x_k); binary and categorical",
		build:   func(p Params) validator { return Reinforce{K: p.K} },
	},
	{
		Name: "reinforce-baseline", Family: ScoreFunctionFamily, Params: []string{"k"}, K: 1, Categorical: true,
		Summary: "REINFORCE with a moving-average baseline c: grad (1/K)Σ (f(x_k)-c)∂log q(x_k); binary and categorical",
		build:   func(p Params) validator { return ReinforceBaseline{K: p.K} },
	},
	{
		Name: "rloo", Family: ScoreFunctionFamily, Params: []string{"k"}, K: 2, Categorical: true,
		Summary: "REINFORCE leave-one-out: grad (1/(K-1))Σ (f(x_k)-mean f)∂log q(x_k); K >= 2; binary and categorical",
		build:   func(p Params) validator { return RLOO{K: p.K} },
	},
	{
		Name: "arms", Family: ScoreFunctionFamily, Params: []string{"k"}, K: 2,
		Summary: "ARMS: K antithetic samples (Dirichlet copula), debiased leave-one-out; K >= 2; binary only",
		build:   func(p Params) validator { return ARMS{K: p.K} },
	},
	{
		Name: "disarm", Family: ScoreFunctionFamily, Params: []string{"k"}, K: 2,
		Summary: "DisARM: K/2 antithetic pairs; grad ½(f(b)-f(b~))(b-b~)σ(|α|); K even >= 2; binary only",
		build:   func(p Params) validator { return DisARM{K: p.K} },
	},
	{
		Name: "relax", Family: ScoreFunctionFamily, Params: []string{"k"}, K: 3,
		Summary: "RELAX: learned control variate ηf(σ(z/λ))+r(z), trained on the variance; K multiple of 3; binary only",
		build:   func(p Params) validator { return RELAX{K: p.K} },
	},
	{
		Name: "double-cv", Family: ScoreFunctionFamily, Params: []string{"k"}, K: 2,
		Summary: "Double CV: leave-one-out plus a learned Taylor control variate from ∂f/∂b; K >= 2; binary only",
		build:   func(p Params) validator { return DoubleCV{K: p.K} },
	},
	{
		Name: "rodeo", Family: ScoreFunctionFamily, Params: []string{"k"}, K: 2,
		Summary: "RODEO: leave-one-out plus learned discrete-Stein control variates; K >= 2; binary only",
		build:   func(p Params) validator { return RODEO{K: p.K} },
	},
	{
		Name: "indecater", Family: ScoreFunctionFamily, Params: []string{"k"}, K: 1, Categorical: true,
		Summary: "IndeCateR: per variable, the sum over its C outcomes with the others sampled; K·L·C evaluations; binary and categorical",
		build:   func(p Params) validator { return IndeCateR{K: p.K} },
	},
	{
		Name: "exact", Family: ScoreFunctionFamily, Categorical: true,
		Summary: "exact: value and gradient by enumerating all 2^L or C^L outcomes (at most 65536); binary and categorical",
		build:   func(p Params) validator { return Exact{} },
	},
}

// Estimators returns the specs of every registered estimator, in a stable order.
func Estimators() []Spec {
	return append([]Spec(nil), registry...)
}

// Names returns the names of the registered estimators of the given families (all when none is given).
func Names(families ...Family) []string {
	var names []string
	for _, s := range registry {
		if len(families) == 0 || slices.Contains(families, s.Family) {
			names = append(names, s.Name)
		}
	}
	return names
}

// Lookup returns the spec registered under name; the error lists the valid names.
func Lookup(name string) (Spec, error) {
	for _, s := range registry {
		if s.Name == name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("reinmax: unknown estimator %q (valid: %s)", name, strings.Join(Names(), ", "))
}

// Estimator is a registered estimator of either family, as New builds it. Exactly one of StraightThrough and
// ScoreFunction is set, the one of Spec.Family.
type Estimator struct {
	Spec            Spec
	Params          Params          // the parameters it runs with, defaults written out (Resolve)
	StraightThrough StraightThrough // the estimator, when Spec.Family is StraightThroughFamily
	ScoreFunction   ScoreFunction   // the estimator, when Spec.Family is ScoreFunctionFamily
}

// New returns the estimator registered under name with parameters p (a zero field selects the estimator's default),
// or an error naming the parameter that is out of range.
func New(name string, p Params) (Estimator, error) {
	s, err := Lookup(name)
	if err != nil {
		return Estimator{}, err
	}
	if err := checkParams(s, p); err != nil {
		return Estimator{}, err
	}
	v := s.build(p)
	if err := v.Validate(); err != nil {
		return Estimator{}, err
	}
	e := Estimator{Spec: s, Params: resolve(s, p)}
	switch s.Family {
	case StraightThroughFamily:
		e.StraightThrough = v.(StraightThrough)
	case ScoreFunctionFamily:
		e.ScoreFunction = v.(ScoreFunction)
	}
	return e, nil
}

// NewStraightThrough returns the straight-through-family estimator registered under name with parameters p, or an
// error naming the parameter that is out of range.
func NewStraightThrough(name string, p Params) (StraightThrough, error) {
	e, err := New(name, p)
	if err != nil {
		return nil, err
	}
	if e.StraightThrough == nil {
		return nil, fmt.Errorf("reinmax: %s is a %s estimator: it needs the loss of every sample, not a straight-through sample",
			name, e.Spec.Family)
	}
	return e.StraightThrough, nil
}

// NewBinary returns the Bernoulli form of the straight-through estimator registered under name with parameters p
// (see Binary), or an error naming the parameter that is out of range, or saying that the estimator has no Bernoulli
// form and listing those that have one.
func NewBinary(name string, p Params) (Binary, error) {
	e, err := NewStraightThrough(name, p)
	if err != nil {
		return nil, err
	}
	b, ok := e.(Binary)
	if !ok {
		var have []string
		for _, s := range registry {
			if s.Bernoulli {
				have = append(have, s.Name)
			}
		}
		return nil, fmt.Errorf("reinmax: %s has no Bernoulli form (estimators with one: %s)", name, strings.Join(have, ", "))
	}
	return b, nil
}

// NewScoreFunction returns the score-function-family estimator registered under name with parameters p, or an error
// naming the parameter that is out of range (for example K too small for the estimator).
func NewScoreFunction(name string, p Params) (ScoreFunction, error) {
	e, err := New(name, p)
	if err != nil {
		return nil, err
	}
	if e.ScoreFunction == nil {
		return nil, fmt.Errorf("reinmax: %s is a %s estimator: it returns a sample whose gradient is the estimator, not a surrogate of the loss",
			name, e.Spec.Family)
	}
	return e.ScoreFunction, nil
}

// checkParams rejects values that a zero-means-default convention would otherwise hide: a negative, NaN or infinite
// tau, alpha or tau-forward, or a negative K.
func checkParams(s Spec, p Params) error {
	if p.Tau < 0 || math.IsNaN(p.Tau) || math.IsInf(p.Tau, 0) {
		return fmt.Errorf("reinmax: %s: tau = %v, want a finite tau > 0", s.Name, p.Tau)
	}
	if p.TauForward < 0 || math.IsNaN(p.TauForward) || math.IsInf(p.TauForward, 0) {
		return fmt.Errorf("reinmax: %s: tau-forward = %v, want a finite tau-forward > 0", s.Name, p.TauForward)
	}
	if p.Alpha < 0 || math.IsNaN(p.Alpha) || math.IsInf(p.Alpha, 0) {
		return fmt.Errorf("reinmax: %s: alpha = %v, want a finite alpha >= 0.5", s.Name, p.Alpha)
	}
	if p.K < 0 {
		return fmt.Errorf("reinmax: %s: K = %d, want K >= 1", s.Name, p.K)
	}
	return nil
}
