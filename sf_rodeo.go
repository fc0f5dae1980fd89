package reinmax

import (
	"cmp"
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// RODEO is the estimator of Shi, Zhou, Hwang, Titsias & Mackey (2022) for Bernoulli variables: RLOO with control
// variates built from a discrete Stein operator, adapted online, at no extra evaluation of f.
//
// Stein operator. For the Gibbs sampler of q that picks a coordinate i uniformly and redraws it, the operator
//
//	(A h)(x) = (1/L) Σ_i w_i(x) (h(x^(i)) − h(x)),   w_i(x) = q(x_i flipped) = x_i(1−θ_i) + (1−x_i)θ_i,
//
// where x^(i) is x with bit i flipped, satisfies E_q[(A h)(x)] = 0 for every function h (scalar or vector valued).
//
// Control variates. With K independent samples b_k ~ q, s_k = b_k − θ, f_k = f(b_k) and g_k = ∂f/∂b at b_k, the
// function of sample k is built from the other samples only, so that it does not depend on b_k:
//
//	h_k(y) = (1/(K−1)) Σ_{j≠k} H(⟨g_j, y − b_j⟩, f_j),   H: R² → R² a small network (Hidden units, LeakyReLU 0.3)
//
// (H sees the first-order Taylor increment of f from b_j to y, and f_j). Writing h_k = (h_k⁰, h_k¹):
//
//	a_k = (A h_k⁰)(b_k)                                   scalar control variate, used in the baseline
//	c_k = (A [h_k¹(y)·(y − θ)])(b_k)                      vector control variate for the score term
//	gradient: (1/K) Σ_k [ (f_k − (1/(K−1)) Σ_{j≠k} (f_j + α·a_j)) · s_k + β·c_k ]
//	value:    (1/K) Σ_k f_k
//
// Every added term has zero mean given the other samples, so the estimator is unbiased for any α, β and network.
// The network's inputs (and hence the estimate) use ∂f/∂b: f must be differentiable with respect to its samples (see
// Loss). This is the paper's "avg" form for K = 2; for K > 2 the network's outputs are averaged over the other
// samples (the authors' "output avg" form, their choice for K > 2).
//
// Learning. α and β start at 0 (RLOO) and, with the network, take one Adam step (learning rate LR) per call down the
// gradient of the mean of ‖ĝ‖²; they are stored in scope.In("rodeo") (see ScoreFunction). The estimate is a
// first-order function of these parameters, so no second-order derivative is needed. Frozen disables the update.
//
// Cost: K(K−1)·(L+1) network evaluations per example, each O(Hidden). K must be at least 2; the zero values select
// K = 2, Hidden = 100 and LR = 1e-3 (the authors' settings). Bernoulli variables only.
//
// Reference: J. Shi, Y. Zhou, J. Hwang, M. K. Titsias, L. Mackey, "Gradient Estimation with Discrete Stein
// Operators", NeurIPS 2022.
type RODEO struct {
	K      int
	Hidden int
	LR     float64
	Frozen bool
}

// Name implements ScoreFunction.
func (RODEO) Name() string { return "rodeo" }

// Evaluations implements ScoreFunction.
func (e RODEO) Evaluations() int { return cmp.Or(e.K, 2) }

func (e RODEO) hidden() int { return cmp.Or(e.Hidden, 100) }
func (e RODEO) lr() float64 { return cmp.Or(e.LR, 1e-3) }

// Validate returns an error unless the parameters are in range.
func (e RODEO) Validate() error {
	if err := checkK(e.Name(), e.Evaluations(), 2, 1, "K >= 2 samples (the control variates of a sample are built from the others)"); err != nil {
		return err
	}
	if e.hidden() < 1 {
		return fmt.Errorf("reinmax: %s: Hidden = %d, want Hidden >= 1", e.Name(), e.Hidden)
	}
	return checkLR(e.Name(), e.lr())
}

// Estimate implements ScoreFunction; it panics if scope is nil.
func (e RODEO) Estimate(scope *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node {
	mustSF(e.Validate())
	in := newInput(e.Name(), latent, logits, true)
	cv := newLearned(e.Name(), scope, logits.Graph(), in.alpha.DType())
	alpha, beta := cv.scalar("alpha", 0), cv.scalar("beta", 0)
	w1, b1 := cv.dense("h1", 2, e.hidden())
	w2, b2 := cv.dense("h2", e.hidden(), 2)
	net := func(t, fv *Node) *Node { // H(t, f) for t and f of one shape; the 2 outputs on a new last axis
		r := t.Rank() + 1
		row := func(i int) *Node { return ExpandLeftToRank(Reshape(SliceAxis(w1, 0, AxisElem(i)), e.hidden()), r) }
		h := Add(Add(Mul(InsertAxes(t, -1), row(0)), Mul(InsertAxes(fv, -1), row(1))), ExpandLeftToRank(b1, r))
		out := DotGeneral(leakyReLU(h, 0.3), []int{r - 1}, nil, w2, []int{0}, nil)
		return Add(out, ExpandLeftToRank(b2, r))
	}

	k := e.Evaluations()
	L := logits.Shape().Dimensions[logits.Rank()-1]
	theta := InsertAxes(in.probs(), 0)
	b := in.samples(src, k)
	x := gradientLeaf(b)
	fx := in.eval(f, x, k)
	grad := StopGradient(Gradient(ReduceAllSum(fx), x)[0])
	sf := StopGradient(fx)
	s := Sub(b, theta)
	flip := OneMinus(MulScalar(b, 2))                          // 1 − 2b: the change of a bit when flipped
	w := Add(Mul(b, OneMinus(theta)), Mul(OneMinus(b), theta)) // w_i(b_k)

	// Pairs (k, j ≠ k) as (K−1, K, ...): others(v)[m, k] = v[(k+m+1) mod K].
	gj, bj, fj := others(grad), others(b), others(sf)
	t0 := ReduceSum(Mul(gj, Sub(InsertAxes(b, 0), bj)), -1)                        // ⟨g_j, b_k − b_j⟩, (K−1, K, batch)
	tn := Add(InsertAxes(t0, -1), Mul(gj, InsertAxes(flip, 0)))                    // ⟨g_j, b_k^(i) − b_j⟩, (K−1, K, batch, L)
	hx := ReduceMean(net(t0, fj), 0)                                               // h_k(b_k), (K, batch, 2)
	hn := ReduceMean(net(tn, BroadcastToShape(InsertAxes(fj, -1), tn.Shape())), 0) // h_k(b_k^(i)), (K, batch, L, 2)
	h0x, h1x := SliceAxis(hx, -1, AxisElem(0)), SliceAxis(hx, -1, AxisElem(1))
	h0n, h1n := Squeeze(SliceAxis(hn, -1, AxisElem(0)), -1), Squeeze(SliceAxis(hn, -1, AxisElem(1)), -1)

	a := ReduceMean(Mul(w, Sub(h0n, h0x)), -1) // (A h⁰)(b_k), (K, batch)
	S := ReduceSum(Mul(w, Sub(h1n, h1x)), -1)  // Σ_i w_i (h¹(b^(i)) − h¹(b)), (K, batch)
	c := DivScalar(Add(Mul(InsertAxes(S, -1), s), Mul(Mul(w, h1n), flip)), float64(L))
	base := leaveOneOutMean(Add(sf, Mul(alpha, a)))
	ghat := ReduceMean(Add(Mul(InsertAxes(Sub(sf, base), -1), s), Mul(beta, c)), 0)
	if !e.Frozen {
		cv.minimise(squaredNorm(in, ghat), e.lr())
	}
	return in.surrogate(ReduceMean(fx, 0), ghat)
}

// others returns the (K−1, K, ...) tensor whose entry [m, k] is v[(k+m+1) mod K], the other samples of sample k.
func others(v *Node) *Node {
	k := v.Shape().Dimensions[0]
	rolled := make([]*Node, k-1)
	for m := 1; m < k; m++ {
		rolled[m-1] = Concatenate([]*Node{SliceAxis(v, 0, AxisRange(m, k)), SliceAxis(v, 0, AxisRange(0, m))}, 0)
	}
	return Stack(rolled, 0)
}

// leakyReLU returns max(x, slope·x) for 0 < slope < 1.
func leakyReLU(x *Node, slope float64) *Node {
	return Max(x, MulScalar(x, slope))
}
