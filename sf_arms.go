package reinmax

import (
	"cmp"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// ARMS is the antithetic REINFORCE multi-sample estimator of Dimitriev & Zhou (2021) for Bernoulli variables, with
// the Dirichlet copula.
//
// With α the logits, θ = σ(α) and θ' = min(θ, 1 − θ), the K samples of each variable are negatively correlated: for
// Exp(1) variates e_1..e_K, d_k = e_k / Σ_j e_j is Dirichlet(1, ..., 1), so that u_k = (1 − d_k)^(K−1) is U(0,1)
// and
//
//	b_k = 1[u_k < θ] if θ < ½,   b_k = 1[1 − u_k < θ] otherwise.
//
// Each b_k is a sample of q, but E[f(b_j) (b_k − θ)] ≠ 0 for j ≠ k, so the leave-one-out estimator is rescaled by
// the factor that makes it unbiased:
//
//	gradient: (1/(K−1)) Σ_k (f(b_k) − f̄) (b_k − θ) · θ(1−θ) / (θ − P(b_j = 1, b_k = 1))
//	P(b_j = 1, b_k = 1) = θ − θ' + B(θ'),   B(p) = max(2 p^(1/(K−1)) − 1, 0)^(K−1)
//	value:    (1/K) Σ_k f(b_k)
//
// (B(p) is the probability that two coordinates of the copula both fall below p.) For K = 2 the samples are
// antithetic, u_2 = 1 − u_1, and ARMS equals DisARM. It is unbiased for any f. K counts evaluations of f and must be
// at least 2; the zero value selects K = 2. Bernoulli variables only.
//
// Reference: A. Dimitriev, M. Zhou, "ARMS: Antithetic-REINFORCE-Multi-Sample Gradient for Binary Variables",
// ICML 2021.
type ARMS struct {
	K int
}

// Name implements ScoreFunction.
func (ARMS) Name() string { return "arms" }

// Evaluations implements ScoreFunction.
func (e ARMS) Evaluations() int { return cmp.Or(e.K, 2) }

// Validate returns an error unless the parameters are in range.
func (e ARMS) Validate() error {
	return checkK(e.Name(), e.Evaluations(), 2, 1, "K >= 2 correlated samples")
}

// Estimate implements ScoreFunction; the scope is not used and may be nil.
func (e ARMS) Estimate(_ *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node {
	mustSF(e.Validate())
	in := newInput(e.Name(), latent, logits, true)
	g, dtype := logits.Graph(), in.alpha.DType()
	k := e.Evaluations()
	km1 := float64(k - 1)
	theta := in.probs()

	// Dirichlet copula: u_k = (1 − d_k)^(K−1), d = e / Σ e, e ~ Exp(1).
	ex := Neg(Log(src.Uniform(g, in.sampleShape(k))))
	d := Div(ex, ReduceAndKeep(ex, ReduceSum, 0))
	u := Exp(MulScalar(Log1p(Neg(d)), km1))
	low := LessThan(in.alpha, ScalarZero(g, dtype)) // θ < ½
	u = Where(BroadcastToShape(InsertAxes(low, 0), u.Shape()), u, OneMinus(u))
	b := bernoulliBelow(u, theta)

	fx := in.eval(f, b, k)
	sf := StopGradient(fx)
	centred := Sub(sf, ReduceAndKeep(sf, ReduceMean, 0))
	loo := DivScalar(ReduceSum(Mul(in.perVariable(centred), Sub(b, InsertAxes(theta, 0))), 0), km1)

	// debias = θ'(1−θ') / (θ' − B(θ')), with θ' = σ(−|α|) and θ'^(1/(K−1)) = exp(log σ(−|α|)/(K−1)).
	small := Sigmoid(Neg(Abs(in.alpha)))
	root := Exp(DivScalar(Neg(Softplus(Abs(in.alpha))), km1))
	both := PowScalar(Max(AddScalar(MulScalar(root, 2), -1), ZerosLike(root)), km1)
	denom := Sub(small, both)
	zero := ZerosLike(denom)
	safe := Where(GreaterThan(denom, zero), denom, OnesLike(denom))
	debias := Where(GreaterThan(denom, zero), Div(Mul(small, OneMinus(small)), safe), OnesLike(denom))
	return in.surrogate(ReduceMean(fx, 0), Mul(loo, debias))
}
