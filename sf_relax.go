package reinmax

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// RELAX is the estimator of Grathwohl, Choi, Wu, Roeder & Duvenaud (2018) for Bernoulli variables: REINFORCE with a
// learned, differentiable control variate evaluated at the continuous relaxation of the sample and at the relaxation
// conditioned on it, whose reparameterised gradients cancel its bias.
//
// With α the logits, θ = σ(α) and u, v ~ U(0,1)^L:
//
//	z = α + log u − log(1−u)                   (logistic; b = H(z) = 1[z > 0] is a sample of q)
//	z̃ = α + log v' − log(1−v'),  v' = 1 − θ + vθ if b = 1, v' = v(1−θ) if b = 0     (z̃ ~ p(z | b))
//	c(z) = η·f(σ(z/λ)) + r_ρ(z)                (REBAR's relaxed loss plus a network r_ρ: L → Hidden → 1)
//	gradient: (f(b) − c(z̃))·(b − θ) + ∂c(z)/∂α − ∂c(z̃)/∂α
//	value:    f(b)
//
// where ∂c(z̃)/∂α differentiates through z̃ = z̃(α, v, b) with b fixed. The estimator is unbiased for every control
// variate c, because E[∂c(z̃)/∂α + c(z̃) ∂log q(b)/∂α] = ∂/∂α E[c(z)]. f is evaluated three times per estimate (at b,
// σ(z/λ) and σ(z̃/λ)), in one call: K counts these evaluations, so K must be a multiple of 3, and K/3 independent
// estimates are averaged (the value averages f over the K/3 samples b). The relaxed evaluations need f to accept
// samples in (0, 1) and to be twice differentiable with respect to them (see Loss).
//
// Learning. φ = (η, log λ, ρ) starts at η = 1, λ = 0.5 and a Glorot-initialised ρ (from the store's initialiser
// seed), and takes one Adam step (learning rate LR) per call down ∂/∂φ of the mean of ‖ĝ‖² (eq. 5 of the paper: the
// mean of ĝ does not depend on φ, so this is the gradient of its variance). ĝ contains ∂c/∂α, so this is a
// second-order derivative through f, which GoMLX builds by differentiating the gradient graph. φ is stored in
// scope.In("relax") (see ScoreFunction); Frozen disables the update.
//
// The zero values select K = 3, Hidden = 100 and LR = 1e-3. Bernoulli variables only: the paper's categorical form
// (Gumbel-max with conditional Gumbels) is not implemented. Unlike the paper's VAE, r_ρ sees z only (the estimator
// does not know the example's input x).
//
// Reference: W. Grathwohl, D. Choi, Y. Wu, G. Roeder, D. Duvenaud, "Backpropagation through the Void: Optimizing
// control variates for black-box gradient estimation", ICLR 2018; G. Tucker et al., "REBAR", NeurIPS 2017.
type RELAX struct {
	K      int
	Hidden int
	LR     float64
	Frozen bool
}

// Name implements ScoreFunction.
func (RELAX) Name() string { return "relax" }

// Evaluations implements ScoreFunction: three per estimate (f(b), f(σ(z/λ)), f(σ(z̃/λ))).
func (e RELAX) Evaluations() int { return cmp.Or(e.K, 3) }

func (e RELAX) hidden() int { return cmp.Or(e.Hidden, 100) }
func (e RELAX) lr() float64 { return cmp.Or(e.LR, 1e-3) }

// Validate returns an error unless the parameters are in range.
func (e RELAX) Validate() error {
	if err := checkK(e.Name(), e.Evaluations(), 3, 3, "a multiple of 3 (each estimate evaluates f at b, σ(z/λ) and σ(z̃/λ))"); err != nil {
		return err
	}
	if e.hidden() < 1 {
		return fmt.Errorf("reinmax: %s: Hidden = %d, want Hidden >= 1", e.Name(), e.Hidden)
	}
	return checkLR(e.Name(), e.lr())
}

// Estimate implements ScoreFunction; it panics if scope is nil.
func (e RELAX) Estimate(scope *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node {
	mustSF(e.Validate())
	in := newInput(e.Name(), latent, logits, true)
	g := logits.Graph()
	L := logits.Shape().Dimensions[logits.Rank()-1]
	cv := newLearned(e.Name(), scope, g, in.alpha.DType())
	eta := cv.scalar("eta", 1)
	logLambda := cv.scalar("log_lambda", math.Log(0.5))
	w1, b1 := cv.dense("r1", L, e.hidden())
	w2, b2 := cv.dense("r2", e.hidden(), 1)
	r := func(z *Node) *Node { // r_ρ(z): (R, batch..., L) → (R, batch...)
		h := Add(DotGeneral(z, []int{z.Rank() - 1}, nil, w1, []int{0}, nil), ExpandLeftToRank(b1, z.Rank()))
		out := DotGeneral(leakyReLU(h, 0.3), []int{z.Rank() - 1}, nil, w2, []int{0}, nil)
		return Squeeze(Add(out, ExpandLeftToRank(b2, z.Rank())), -1)
	}

	k := e.Evaluations()
	reps := k / 3
	a := gradientLeaf(in.logits) // the logits as a leaf for ∂c/∂α
	aK := InsertAxes(a, 0)
	u := src.Uniform(g, in.sampleShape(reps))
	v := src.Uniform(g, in.sampleShape(reps))
	z := Add(aK, Sub(Log(u), Log1p(Neg(u))))
	b := StopGradient(ConvertDType(GreaterThan(z, ZerosLike(z)), z.DType()))
	// z̃ ~ p(z | b), through log v' and log(1 − v') computed without cancellation:
	// b = 1: v' = 1 − θ(1−v), 1 − v' = θ(1−v);  b = 0: v' = v(1−θ), 1 − v' = 1 − v(1−θ).
	logTheta, logOneMinus := Neg(Softplus(Neg(aK))), Neg(Softplus(aK))
	theta, oneMinus := Sigmoid(aK), Sigmoid(Neg(aK))
	one := GreaterThan(b, ZerosLike(b))
	logV := Where(one, Log1p(Neg(Mul(theta, OneMinus(v)))), Add(Log(v), logOneMinus))
	log1mV := Where(one, Add(logTheta, Log1p(Neg(v))), Log1p(Neg(Mul(v, oneMinus))))
	zt := Add(aK, Sub(logV, log1mV))

	lambda := Exp(logLambda)
	fx := in.eval(f, Concatenate([]*Node{b, Sigmoid(Div(z, lambda)), Sigmoid(Div(zt, lambda))}, 0), k)
	fb := SliceAxis(fx, 0, AxisRange(0, reps))
	czt := Add(Mul(eta, SliceAxis(fx, 0, AxisRange(2*reps, k))), r(zt))
	// Σ_r c(z_r) − c(z̃_r), written as a signed sum over the rows of fx rather than with slices: the gradient of a
	// slice is a Pad, which GoMLX v0.28.2 cannot differentiate again for the second-order update.
	sign := make([]float64, k)
	for i := reps; i < k; i++ {
		sign[i] = 1
		if i >= 2*reps {
			sign[i] = -1
		}
	}
	signs := ConvertDType(Const(g, sign), fx.DType())
	signs = Reshape(signs, append([]int{k}, slices.Repeat([]int{1}, fx.Rank()-1)...)...)
	diff := Add(Mul(eta, ReduceAllSum(Mul(signs, fx))), Sub(ReduceAllSum(r(z)), ReduceAllSum(r(zt))))
	dc := Gradient(diff, a)[0] // Σ_r ∂c(z_r)/∂α − ∂c(z̃_r)/∂α
	score := ReduceSum(Mul(InsertAxes(Sub(StopGradient(fb), czt), -1), Sub(b, Sigmoid(aK))), 0)
	ghat := DivScalar(Add(score, dc), float64(reps))
	if !e.Frozen {
		cv.minimise(squaredNorm(in, ghat), e.lr())
	}
	return in.surrogate(ReduceMean(fb, 0), ghat)
}
