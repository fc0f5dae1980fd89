package reinmax

import (
	"cmp"
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// GST is the Gapped Straight-Through estimator of Fan et al. (2022), in its two variants: a fixed gap (GST-1.0 for
// Gap = 1) and the probability-dependent gap of GST-p.
//
// With θ the logits, π = softmax(θ), D ~ Cat(π) with category s, m = max θ, g_D = ∂L/∂hard and g_p = ∂L/∂soft, the
// gapped logits raise the sampled logit to the maximum and push every other one at least the gap below it:
//
//	θ'_s = m,  θ'_j = min(θ_j, m − gap) for j ≠ s
//	gap  = Gap (GST-1.0),  or  gap = −log(1 − p)/p with p = π_s·(1 − 10⁻⁵) (GST-p, when Adaptive is set)
//
//	forward:  hard = D,  soft = π
//	backward: ∂L/∂θ = (1/τ)·J(softmax(θ'/τ))·g_D + J(π)·g_p
//
// θ' is a deterministic relaxation consistent with D (its argmax is s), which removes the Gumbel noise of STGS.
// Tau and Gap must be positive; the zero value selects τ = 1 and Gap = 1 (GST-1.0).
//
// Reference: T.-H. Fan, T.-C. Chi, A. I. Rudnicky, P. J. Ramadge, "Training Discrete Deep Generative Models via
// Gapped Straight-Through Estimator", ICML 2022.
type GST struct {
	Tau      float64
	Gap      float64
	Adaptive bool // GST-p: the gap is −log(1−π_s)/π_s instead of Gap
}

// Name implements StraightThrough.
func (e GST) Name() string {
	if e.Adaptive {
		return "gst-p"
	}
	return "gst-1.0"
}

// Validate returns an error unless the parameters are in range.
func (e GST) Validate() error {
	if err := checkTau(e.Name(), e.tau(), 0); err != nil {
		return err
	}
	if gap := e.gap(); !(gap > 0) || math.IsInf(gap, 0) {
		return fmt.Errorf("reinmax: %s: gap = %v, want a finite gap > 0", e.Name(), gap)
	}
	return nil
}

func (e GST) tau() float64 { return cmp.Or(e.Tau, 1) }
func (e GST) gap() float64 { return cmp.Or(e.Gap, 1) }

// Sample implements StraightThrough.
func (e GST) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	return e.Given(src, logits, Categorical(src, logits))
}

// Given implements StraightThrough; GST needs no noise besides the sample.
func (e GST) Given(_ Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	checkOneHot(e.Name(), logits, onehot)
	must(e.Validate())
	theta := finite(logits)
	fixed := StopGradient(theta)
	m := ReduceAndKeep(fixed, ReduceMax, -1)
	var gap *Node
	if e.Adaptive {
		p := MulScalar(ReduceAndKeep(Mul(StopGradient(Softmax(fixed, -1)), onehot), ReduceSum, -1), 1-1e-5)
		p = MaxScalar(p, 1e-30) // π_s can underflow to 0; the gap tends to 1 as p → 0
		gap = Div(Neg(Log1p(Neg(p))), p)
	} else {
		gap = Scalar(logits.Graph(), logits.DType(), e.gap())
	}
	others := Min(fixed, Sub(m, gap))
	gapped := Add(Mul(onehot, m), Mul(OneMinus(onehot), others))
	return relaxedJacobian(theta, onehot, gapped, e.tau()), Softmax(logits, -1)
}
