package reinmax

import (
	"cmp"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// DisARM is the antithetic estimator for Bernoulli variables of Dong, Mnih & Tucker (2020), averaged over K/2
// independent antithetic pairs.
//
// With α the logits, θ = σ(α) and u ~ U(0,1)^L, each pair evaluates f at the antithetic samples
//
//	b = 1[u < θ],   b̃ = 1[1 − u < θ]
//
// and estimates
//
//	gradient: ½ (f(b) − f(b̃)) · (−1)^b̃ · 1[b ≠ b̃] · σ(|α|)   (per variable; (−1)^b̃·1[b ≠ b̃] = b − b̃)
//	value:    the mean of f over all K evaluations (b and b̃ are both samples of q)
//
// It is ARM (Yin & Zhou 2019) with the augmentation variable integrated out, unbiased for any f, and never has higher
// variance than ARM. K counts evaluations of f: K/2 pairs, so K must be even and at least 2; the zero value selects
// K = 2. Bernoulli variables only.
//
// References: Z. Dong, A. Mnih, G. Tucker, "DisARM: An Antithetic Gradient Estimator for Binary Latent Variables",
// NeurIPS 2020; M. Yin, M. Zhou, "ARM: Augment-REINFORCE-Merge Gradient for Stochastic Binary Networks", ICLR 2019.
type DisARM struct {
	K int
}

// Name implements ScoreFunction.
func (DisARM) Name() string { return "disarm" }

// Evaluations implements ScoreFunction: twice the number of antithetic pairs.
func (e DisARM) Evaluations() int { return cmp.Or(e.K, 2) }

// Validate returns an error unless the parameters are in range.
func (e DisARM) Validate() error {
	return checkK(e.Name(), e.Evaluations(), 2, 2, "an even K >= 2 (K evaluations of f = K/2 antithetic pairs)")
}

// Estimate implements ScoreFunction; the scope is not used and may be nil.
func (e DisARM) Estimate(_ *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node {
	mustSF(e.Validate())
	in := newInput(e.Name(), latent, logits, true)
	k := e.Evaluations()
	pairs := k / 2
	theta := in.probs()
	u := src.Uniform(logits.Graph(), in.sampleShape(pairs))
	b := bernoulliBelow(u, theta)
	anti := bernoulliBelow(OneMinus(u), theta)
	fx := in.eval(f, Concatenate([]*Node{b, anti}, 0), k)
	sf := StopGradient(fx)
	diff := Sub(SliceAxis(sf, 0, AxisRange(0, pairs)), SliceAxis(sf, 0, AxisRange(pairs, k)))
	weight := Mul(Sub(b, anti), InsertAxes(Sigmoid(Abs(in.alpha)), 0))
	ghat := MulScalar(ReduceMean(Mul(in.perVariable(diff), weight), 0), 0.5)
	return in.surrogate(ReduceMean(fx, 0), ghat)
}
