package reinmax

import (
	"cmp"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// RLOO is REINFORCE with the leave-one-out baseline (Kool, van Hoof & Welling 2019; the multi-sample baseline of
// VIMCO, Mnih & Rezende 2016, applied to a per-sample loss).
//
// With K independent samples x_k ~ q and s(x) = ∂ log q(x)/∂logits (see Reinforce):
//
//	value:    (1/K) Σ_k f(x_k)
//	gradient: (1/K) Σ_k (f(x_k) − (1/(K−1)) Σ_{j≠k} f(x_j)) · s(x_k)  =  (1/(K−1)) Σ_k (f(x_k) − f̄) · s(x_k)
//
// The baseline of sample k is built from the other samples only, hence independent of x_k: the estimator is unbiased
// for any f. It supports Bernoulli and one-hot categorical variables. K must be at least 2; the zero value selects
// K = 2.
//
// Reference: W. Kool, H. van Hoof, M. Welling, "Buy 4 REINFORCE samples, get a baseline for free!", ICLR 2019
// workshop DeepRLStructPred.
type RLOO struct {
	K int
}

// Name implements ScoreFunction.
func (RLOO) Name() string { return "rloo" }

// Evaluations implements ScoreFunction.
func (e RLOO) Evaluations() int { return cmp.Or(e.K, 2) }

// Validate returns an error unless the parameters are in range.
func (e RLOO) Validate() error {
	return checkK(e.Name(), e.Evaluations(), 2, 1, "K >= 2 samples (the leave-one-out baseline needs another sample)")
}

// Estimate implements ScoreFunction; the scope is not used and may be nil.
func (e RLOO) Estimate(_ *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node {
	mustSF(e.Validate())
	in := newInput(e.Name(), latent, logits, false)
	k := e.Evaluations()
	x := in.samples(src, k)
	fx := in.eval(f, x, k)
	sf := StopGradient(fx)
	centred := Sub(sf, leaveOneOutMean(sf))
	ghat := ReduceMean(Mul(in.perVariable(centred), in.score(x)), 0)
	return in.surrogate(ReduceMean(fx, 0), ghat)
}
