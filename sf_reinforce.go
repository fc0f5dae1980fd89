package reinmax

import (
	"cmp"
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Reinforce is the score-function estimator of Williams (1992), without a baseline.
//
// With q the distribution of the variables (Bernoulli or one-hot categorical, see Latent), K independent samples
// x_k ~ q and s(x) = ∂ log q(x)/∂logits:
//
//	value:    (1/K) Σ_k f(x_k)
//	gradient: (1/K) Σ_k f(x_k) · s(x_k),   s(b) = b − σ(α) (Bernoulli),  s(D) = D − softmax(θ) (categorical)
//
// It is unbiased for any f and K; its variance grows with E[f²], so it is the reference the variance-reduced
// estimators are compared with. K must be at least 1; the zero value selects K = 1.
//
// Reference: R. J. Williams, "Simple statistical gradient-following algorithms for connectionist reinforcement
// learning", Machine Learning 8, 229–256, 1992.
type Reinforce struct {
	K int
}

// Name implements ScoreFunction.
func (Reinforce) Name() string { return "reinforce" }

// Evaluations implements ScoreFunction.
func (e Reinforce) Evaluations() int { return cmp.Or(e.K, 1) }

// Validate returns an error unless the parameters are in range.
func (e Reinforce) Validate() error {
	return checkK("reinforce", e.Evaluations(), 1, 1, "K >= 1 samples")
}

// Estimate implements ScoreFunction; the scope is not used and may be nil.
func (e Reinforce) Estimate(_ *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node {
	mustSF(e.Validate())
	in := newInput(e.Name(), latent, logits, false)
	k := e.Evaluations()
	x := in.samples(src, k)
	fx := in.eval(f, x, k)
	ghat := ReduceMean(Mul(in.perVariable(StopGradient(fx)), in.score(x)), 0)
	return in.surrogate(ReduceMean(fx, 0), ghat)
}

// ReinforceBaseline is REINFORCE with a moving-average baseline c subtracted from the loss (Williams 1992, section 4;
// the exponential moving average of Mnih & Gregor 2014, without their input-dependent part):
//
//	gradient: (1/K) Σ_k (f(x_k) − c) · s(x_k),   c = m_t / (1 − Decay^t)
//	update:   m_{t+1} = Decay·m_t + (1 − Decay)·mean(f),   t ← t + 1
//
// where mean(f) is the mean loss over the K samples and every example of the batch, and c is the bias-corrected
// average of the previous steps (c = 0 at the first step). Since c does not depend on the current samples the
// estimator stays unbiased; it removes the variance that the mean of f causes. The value is (1/K) Σ_k f(x_k), as for
// Reinforce.
//
// The state (m_t and t) lives in the variables "ema" and "steps" of scope.In("reinforce-baseline"), which Estimate
// updates unless Frozen is set (for measurements that must not move the baseline). K must be at least 1 and Decay in
// [0, 1); the zero values select K = 1 and Decay = 0.95.
type ReinforceBaseline struct {
	K      int
	Decay  float64
	Frozen bool
}

// Name implements ScoreFunction.
func (ReinforceBaseline) Name() string { return "reinforce-baseline" }

// Evaluations implements ScoreFunction.
func (e ReinforceBaseline) Evaluations() int { return cmp.Or(e.K, 1) }

func (e ReinforceBaseline) decay() float64 { return cmp.Or(e.Decay, 0.95) }

// Validate returns an error unless the parameters are in range.
func (e ReinforceBaseline) Validate() error {
	if err := checkK(e.Name(), e.Evaluations(), 1, 1, "K >= 1 samples"); err != nil {
		return err
	}
	if d := e.decay(); !(d >= 0 && d < 1) {
		return fmt.Errorf("reinmax: %s: Decay = %v, want 0 <= Decay < 1", e.Name(), d)
	}
	return nil
}

// Estimate implements ScoreFunction; it panics if scope is nil.
func (e ReinforceBaseline) Estimate(scope *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node {
	mustSF(e.Validate())
	mustScope(e.Name(), scope)
	in := newInput(e.Name(), latent, logits, false)
	g, dtype := logits.Graph(), in.alpha.DType()
	s := scope.In("%s", e.Name())
	emaVar := s.VariableWithValue("ema", filled(dtype, 0))
	stepsVar := s.VariableWithValue("steps", filled(dtype, 0))
	emaVar.SetTrainable(false)
	stepsVar.SetTrainable(false)
	ema, steps := emaVar.NodeValue(g), stepsVar.NodeValue(g)
	decay := e.decay()
	// c = ema / (1 − decay^steps), and 0 before the first step.
	corr := OneMinus(Exp(MulScalar(steps, math.Log(decay))))
	c := Where(GreaterThan(steps, ScalarZero(g, dtype)), Div(ema, Max(corr, Scalar(g, dtype, 1e-30))), ScalarZero(g, dtype))
	if decay == 0 {
		c = Where(GreaterThan(steps, ScalarZero(g, dtype)), ema, ScalarZero(g, dtype))
	}

	k := e.Evaluations()
	x := in.samples(src, k)
	fx := in.eval(f, x, k)
	centred := Sub(StopGradient(fx), c)
	ghat := ReduceMean(Mul(in.perVariable(centred), in.score(x)), 0)

	if !e.Frozen {
		mean := ReduceAllMean(StopGradient(fx))
		ok := IsFinite(mean)
		emaVar.SetNodeValue(Where(ok, Add(MulScalar(ema, decay), MulScalar(mean, 1-decay)), ema))
		stepsVar.SetNodeValue(Where(ok, AddScalar(steps, 1), steps))
	}
	return in.surrogate(ReduceMean(fx, 0), ghat)
}
