package reinmax

import (
	"cmp"
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// DoubleCV is the double control variate estimator of Titsias & Shi (2022) for Bernoulli variables: RLOO whose
// leave-one-out baseline is corrected by a second, global control variate built from first-order Taylor expansions
// of f at the other samples.
//
// With α the logits, θ = σ(α), K independent samples b_k ~ q, s_k = b_k − θ, g_k = ∂f/∂b at b_k (one backward pass
// through f, no extra evaluation), ḡ_{−k} = (1/(K−1)) Σ_{j≠k} g_j and ḡ = (1/K) Σ_k g_k:
//
//	f̃_k = f(b_k) − a·⟨ḡ_{−k}, s_k⟩                       (f minus the linear Taylor term, scaled by a)
//	gradient: (1/K) Σ_k (f̃_k − (1/(K−1)) Σ_{j≠k} f̃_j) · s_k + a·ḡ ⊙ θ(1−θ)
//	value:    (1/K) Σ_k f(b_k)
//
// The term a·ḡ⊙θ(1−θ) adds back the expectation of what the linear term removed (∂/∂α E⟨g, b⟩ = g⊙θ(1−θ) for fixed
// g, and ḡ_{−k} does not depend on b_k), so the estimator is unbiased for every a. The scalar a is learned: it starts
// at 0 (RLOO) and takes one Adam step (learning rate LR) per call down the gradient of the mean of ‖ĝ‖², stored in
// scope.In("double-cv") (see ScoreFunction); Frozen disables the update. a is linear in the estimate, so no
// second-order derivative is needed.
//
// f must be differentiable with respect to its samples (see Loss). K must be at least 2; the zero values select
// K = 2 and LR = 1e-3 (the authors' setting). Bernoulli variables only.
//
// Reference: M. K. Titsias, J. Shi, "Double Control Variates for Gradient Estimation in Discrete Latent Variable
// Models", AISTATS 2022.
type DoubleCV struct {
	K      int
	LR     float64
	Frozen bool
}

// Name implements ScoreFunction.
func (DoubleCV) Name() string { return "double-cv" }

// Evaluations implements ScoreFunction.
func (e DoubleCV) Evaluations() int { return cmp.Or(e.K, 2) }

func (e DoubleCV) lr() float64 { return cmp.Or(e.LR, 1e-3) }

// Validate returns an error unless the parameters are in range.
func (e DoubleCV) Validate() error {
	if err := checkK(e.Name(), e.Evaluations(), 2, 1, "K >= 2 samples (the leave-one-out baseline needs another sample)"); err != nil {
		return err
	}
	return checkLR(e.Name(), e.lr())
}

// Estimate implements ScoreFunction; it panics if scope is nil.
func (e DoubleCV) Estimate(scope *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node {
	mustSF(e.Validate())
	in := newInput(e.Name(), latent, logits, true)
	cv := newLearned(e.Name(), scope, logits.Graph(), in.alpha.DType())
	a := cv.scalar("a", 0)
	k := e.Evaluations()
	theta := in.probs()

	b := in.samples(src, k)
	x := gradientLeaf(b)
	fx := in.eval(f, x, k)
	grad := StopGradient(Gradient(ReduceAllSum(fx), x)[0])
	sf := StopGradient(fx)

	s := in.score(b)
	lin := ReduceSum(Mul(leaveOneOutMean(grad), s), -1) // ⟨ḡ_{−k}, s_k⟩, (K, batch)
	ft := Sub(sf, Mul(a, lin))
	rloo := ReduceMean(Mul(in.perVariable(Sub(ft, leaveOneOutMean(ft))), s), 0)
	global := Mul(ReduceMean(grad, 0), Mul(theta, OneMinus(theta)))
	ghat := Add(rloo, Mul(a, global))
	if !e.Frozen {
		cv.minimise(squaredNorm(in, ghat), e.lr())
	}
	return in.surrogate(ReduceMean(fx, 0), ghat)
}

// checkLR returns an error unless lr is a finite positive learning rate.
func checkLR(name string, lr float64) error {
	if !(lr > 0) || lr > 1e300 {
		return fmt.Errorf("reinmax: %s: LR = %v, want a finite LR > 0", name, lr)
	}
	return nil
}
