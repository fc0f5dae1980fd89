package reinmax

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// The closed-form backward passes (IdentityWithCustomGradient) must equal the textbook stop-gradient forms, built
// here from the papers' formulas and differentiated by GoMLX's autodiff, with the same sample and the same noise.

// surrogate returns D + P − sg(P): value D, gradient that of P.
func surrogate(d, p *Node) *Node { return Add(d, Sub(p, StopGradient(p))) }

// textbookCategorical draws D = onehot(argmax(θ + G)), G = −log(−log u), with u from src.
func textbookCategorical(src Source, theta *Node) *Node {
	u := src.Uniform(theta.Graph(), theta.Shape())
	z := Sub(StopGradient(theta), Log(Neg(Log(u))))
	return OneHot(ArgMax(z, -1), numCategories(theta), theta.DType())
}

// textbookFn builds the textbook stop-gradient form of an estimator given the one-hot d; out has the value of the
// estimator's hard output and soft is testutil.Softmax(θ).
type textbookFn func(src Source, theta, d *Node) (out, soft *Node)

// textbookST: out = D + P − sg(P), P = testutil.Softmax(θ/τ) (ST, reference section 2).
func textbookST(tau float64) textbookFn {
	return func(_ Source, theta, d *Node) (*Node, *Node) {
		return surrogate(d, Softmax(DivScalar(theta, tau), -1)), Softmax(theta, -1)
	}
}

// textbookReinMax is Algorithm 2 of the ReinMax paper (reference section 1.2):
//
//	π0 = testutil.Softmax(θ); π1 = (D + testutil.Softmax(θ/τ))/2; π1 ← testutil.Softmax(sg(ln π1 − θ) + θ); π2 = 2π1 − π0/2; out = D + π2 − sg(π2).
func textbookReinMax(tau float64) textbookFn {
	return func(_ Source, theta, d *Node) (*Node, *Node) {
		pi0 := Softmax(theta, -1)
		pi1 := MulScalar(Add(d, Softmax(DivScalar(theta, tau), -1)), 0.5)
		pi1 = Softmax(Add(StopGradient(Sub(Log(pi1), theta)), theta), -1)
		pi2 := Sub(MulScalar(pi1, 2), MulScalar(pi0, 0.5))
		return surrogate(d, pi2), pi0
	}
}

// textbookReinMaxAlpha is Algorithm 2 of the ReinMax paper with the Jacobian taken at π_α = (1 − β)testutil.Softmax(θ/τ) + βD,
// β = 1/(2α) < 1, and the coefficients of the ReinMaxAlpha doc comment:
//
//	π_α ← testutil.Softmax(sg(ln π_α − θ) + θ) (value π_α, Jacobian J(π_α)); π₂ = π_α/(1 − β) − βπ₀; out = D + π₂ − sg(π₂).
func textbookReinMaxAlpha(tau, alpha float64) textbookFn {
	beta := 1 / (2 * alpha)
	return func(_ Source, theta, d *Node) (*Node, *Node) {
		pi0 := Softmax(theta, -1)
		pa := Add(MulScalar(Softmax(DivScalar(theta, tau), -1), 1-beta), MulScalar(d, beta))
		pa = Softmax(Add(StopGradient(Sub(Log(pa), theta)), theta), -1)
		pi2 := Sub(DivScalar(pa, 1-beta), MulScalar(pi0, beta))
		return surrogate(d, pi2), pi0
	}
}

// textbookReinMaxHalf is ReinMaxAlpha at α = ½ (β = 1, where the Jacobian form divides by zero) in its other form,
// J(P) + (D − P)(D − P)ᵀ − J(π₀), each term a stop-gradient surrogate: testutil.Softmax(θ + sg(θ/τ − θ)) has the value P and
// the Jacobian J(P), and (D − P)⟨D − P, θ − sg(θ)⟩ has the value 0 and the Jacobian (D − P)(D − P)ᵀ.
func textbookReinMaxHalf(tau float64) textbookFn {
	return func(_ Source, theta, d *Node) (*Node, *Node) {
		pi0 := Softmax(theta, -1)
		p := Softmax(Add(theta, StopGradient(Sub(DivScalar(theta, tau), theta))), -1)
		dp := StopGradient(Sub(d, p))
		outer := Mul(dp, ReduceAndKeep(Mul(dp, Sub(theta, StopGradient(theta))), ReduceSum, -1))
		return surrogate(d, Add(Sub(p, pi0), outer)), pi0
	}
}

// textbookGRMCK: z_k = conditionalGumbel(θ, D) for k = 1..K, P = mean_k testutil.Softmax((θ + sg(z_k − θ))/τ), out = D + P − sg(P)
// (GR-MCK, reference section 2; STGS given D is K = 1).
func textbookGRMCK(tau float64, k int) textbookFn {
	return func(src Source, theta, d *Node) (*Node, *Node) {
		z := conditionalGumbel(src, theta, d, k)
		th := BroadcastToShape(InsertAxes(theta, 0), z.Shape())
		p := ReduceMean(Softmax(DivScalar(Add(th, StopGradient(Sub(z, th))), tau), -1), 0)
		return surrogate(d, p), Softmax(theta, -1)
	}
}

// textbookReinMaxRao: z_k = conditionalGumbel(θ, D) for k = 1..K, P = mean_k testutil.Softmax((θ + sg(z_k − θ))/τ),
// π₂ = 2P − π₀/2, out = D + π₂ − sg(π₂) (the ReinMaxRao doc comment).
func textbookReinMaxRao(tau float64, k int) textbookFn {
	return func(src Source, theta, d *Node) (*Node, *Node) {
		pi0 := Softmax(theta, -1)
		p := relaxedMean(theta, conditionalGumbel(src, theta, d, k), tau)
		pi2 := Sub(MulScalar(p, 2), MulScalar(pi0, 0.5))
		return surrogate(d, pi2), pi0
	}
}

// relaxedMean returns mean_k testutil.Softmax((θ + sg(z_k − θ))/τ) for z of shape (K, ...): its Jacobian is the mean of the
// relaxed Jacobians (1/τ)J(testutil.Softmax(z_k/τ)).
func relaxedMean(theta, z *Node, tau float64) *Node {
	th := BroadcastToShape(InsertAxes(theta, 0), z.Shape())
	return ReduceMean(Softmax(DivScalar(Add(th, StopGradient(Sub(z, th))), tau), -1), 0)
}

// textbookReinMaxCV is the ReinMax surrogate of textbookReinMax plus η(P_K − P₀), P_K = relaxedMean over K
// perturbations conditioned on D and P₀ = testutil.Softmax((θ + sg(z₀ − θ))/τ). Given D, z₀ is one more conditional draw,
// made first; with sampled set, z₀ = θ + G is the Gumbel perturbation that draws D, as PyTorch's gumbel_softmax does.
func textbookReinMaxCV(tau float64, k int, eta float64, sampled bool) textbookFn {
	return func(src Source, theta, d *Node) (*Node, *Node) {
		var z0 *Node
		if sampled {
			u := src.Uniform(theta.Graph(), theta.Shape())
			z0 = Sub(StopGradient(theta), Log(Neg(Log(u))))
			d = OneHot(ArgMax(z0, -1), numCategories(theta), theta.DType())
		} else {
			z0 = Squeeze(conditionalGumbel(src, theta, d, 1), 0)
		}
		rm, pi0 := textbookReinMax(tau)(src, theta, d)
		cv := Sub(relaxedMean(theta, conditionalGumbel(src, theta, d, k), tau), relaxedMean(theta, InsertAxes(z0, 0), tau))
		return Add(rm, MulScalar(Sub(cv, StopGradient(cv)), eta)), pi0
	}
}

// textbookDecoupledSTGS: z = θ + τ_f·G with G = −log(−log u) when sampling, or z = τ_f·conditionalGumbel(θ/τ_f, D)
// given D; D = onehot(argmax z), y = testutil.Softmax((θ + sg(z − θ))/τ_b), out = D + y − sg(y).
func textbookDecoupledSTGS(tauB, tauF float64, sampled bool) textbookFn {
	return func(src Source, theta, d *Node) (*Node, *Node) {
		var z *Node
		if sampled {
			u := src.Uniform(theta.Graph(), theta.Shape())
			z = Add(StopGradient(theta), MulScalar(Neg(Log(Neg(Log(u)))), tauF))
			d = OneHot(ArgMax(z, -1), numCategories(theta), theta.DType())
		} else {
			z = MulScalar(Squeeze(conditionalGumbel(src, DivScalar(theta, tauF), d, 1), 0), tauF)
		}
		return surrogate(d, relaxedMean(theta, InsertAxes(z, 0), tauB)), Softmax(theta, -1)
	}
}

// sampledAt is sampled with D drawn from Cat(testutil.Softmax(θ/τ_f)).
func sampledAt(tauF float64, f textbookFn) textbookFn {
	return func(src Source, theta, _ *Node) (*Node, *Node) {
		return f(src, theta, textbookCategorical(src, DivScalar(theta, tauF)))
	}
}

// textbookSTGSSample is PyTorch's gumbel_softmax(θ, τ, hard=True): z = θ + G, D = onehot(argmax z),
// y = testutil.Softmax((θ + sg(G))/τ), out = D + y − sg(y). With relaxed set, out = y (the relaxed Gumbel-Softmax sample).
func textbookSTGSSample(tau float64, relaxed bool) textbookFn {
	return func(src Source, theta, _ *Node) (*Node, *Node) {
		u := src.Uniform(theta.Graph(), theta.Shape())
		gumbel := Neg(Log(Neg(Log(u))))
		d := OneHot(ArgMax(Add(StopGradient(theta), gumbel), -1), numCategories(theta), theta.DType())
		y := Softmax(DivScalar(Add(theta, gumbel), tau), -1)
		if relaxed {
			return y, Softmax(theta, -1)
		}
		return surrogate(d, y), Softmax(theta, -1)
	}
}

// textbookGumbelSoftmaxGiven: y = testutil.Softmax((θ + sg(z − θ))/τ) with z = conditionalGumbel(θ, D), out = y.
func textbookGumbelSoftmaxGiven(tau float64) textbookFn {
	return func(src Source, theta, d *Node) (*Node, *Node) {
		z := Squeeze(conditionalGumbel(src, theta, d, 1), 0)
		return Softmax(DivScalar(Add(theta, StopGradient(Sub(z, theta))), tau), -1), Softmax(theta, -1)
	}
}

// textbookGST: the gapped logits of the GST doc comment, θ'_s = m, θ'_j = min(θ_j, m − gap) (j ≠ s), m = max θ,
// gap = fixed or −log(1 − p)/p with p = π_s(1 − 10⁻⁵); P = testutil.Softmax((θ + sg(θ' − θ))/τ); out = D + P − sg(P).
func textbookGST(tau, gap float64, adaptive bool) textbookFn {
	return func(_ Source, theta, d *Node) (*Node, *Node) {
		g := theta.Graph()
		th := StopGradient(theta)
		m := BroadcastToShape(ReduceAndKeep(th, ReduceMax, -1), th.Shape())
		var gp *Node
		if adaptive {
			p := MulScalar(ReduceAndKeep(Mul(Softmax(th, -1), d), ReduceSum, -1), 1-1e-5)
			gp = BroadcastToShape(Div(Neg(Log(OneMinus(p))), p), th.Shape())
		} else {
			gp = BroadcastToShape(Scalar(g, th.DType(), gap), th.Shape())
		}
		isSample := GreaterThan(d, BroadcastToShape(Scalar(g, th.DType(), 0.5), th.Shape()))
		gapped := Where(isSample, m, Min(th, Sub(m, gp)))
		p := Softmax(DivScalar(Add(theta, StopGradient(Sub(gapped, theta))), tau), -1)
		return surrogate(d, p), Softmax(theta, -1)
	}
}

// sampled turns a textbook form given D into one that first draws D from src, as the estimators' Sample do.
func sampled(f textbookFn) textbookFn {
	return func(src Source, theta, _ *Node) (*Node, *Node) {
		return f(src, theta, textbookCategorical(src, theta))
	}
}

// estimatorFn calls an estimator's Sample (d ignored) or Given.
type estimatorFn func(src Source, logits, d *Node) (hard, soft *Node)

func given(e StraightThrough) estimatorFn { return e.Given }

func sample(e StraightThrough) estimatorFn {
	return func(src Source, logits, _ *Node) (*Node, *Node) { return e.Sample(src, logits) }
}

type textbookCase struct {
	name     string
	closed   estimatorFn
	textbook textbookFn
	gradOnly bool // compare the gradients only (an identity between two estimators with different forward values)
}

// textbookCases returns every estimator's closed form and textbook form, Sample and Given, with temperatures drawn
// from rng in each estimator's valid range: τ ∈ [1, 3] for ReinMax, τ ∈ [0.25, 3] (log-uniform) for the others.
func textbookCases(rng *rand.Rand) []textbookCase {
	tau := func() float64 { return math.Exp(math.Log(0.25) + rng.Float64()*math.Log(3/0.25)) }
	tST, tRM, tSTGS, tGS, tGST, tGSTp, tGR := tau(), 1+2*rng.Float64(), tau(), tau(), tau(), tau(), tau()
	gap := 0.5 + rng.Float64()
	tRA, alpha, tRH, alpha1 := 1+2*rng.Float64(), 0.55+2.45*rng.Float64(), 1+2*rng.Float64(), 0.55+2.45*rng.Float64()
	tRao, tCV, eta := tau(), 1+2*rng.Float64(), 3*rng.Float64()-1
	tDB, tDF, tDGB, tDGF := tau(), tau(), tau(), tau()
	const k = 7
	f := func(name string, v float64) string { return fmt.Sprintf("%s(%.3g)", name, v) }
	var cases []textbookCase
	add := func(name string, e StraightThrough, tb textbookFn, sampleTB textbookFn) {
		cases = append(cases,
			textbookCase{name: name + ".Given", closed: given(e), textbook: tb},
			textbookCase{name: name + ".Sample", closed: sample(e), textbook: sampleTB})
	}
	add(f("ST", tST), ST{Tau: tST}, textbookST(tST), sampled(textbookST(tST)))
	add(f("ReinMax", tRM), ReinMax{Tau: tRM}, textbookReinMax(tRM), sampled(textbookReinMax(tRM)))
	add(f("ReinMaxAlpha", alpha), ReinMaxAlpha{Tau: tRA, Alpha: alpha}, textbookReinMaxAlpha(tRA, alpha),
		sampled(textbookReinMaxAlpha(tRA, alpha)))
	add(f("ReinMaxAlpha(0.5) tau", tRH), ReinMaxAlpha{Tau: tRH, Alpha: 0.5}, textbookReinMaxHalf(tRH), sampled(textbookReinMaxHalf(tRH)))
	add("ReinMaxAlpha(1)", ReinMaxAlpha{Alpha: 1}, textbookReinMax(1), sampled(textbookReinMax(1)))
	add(f("ReinMaxAlpha(tau=1)", alpha1), ReinMaxAlpha{Alpha: alpha1}, textbookReinMaxAlpha(1, alpha1),
		sampled(textbookReinMaxAlpha(1, alpha1)))
	add(f("STGS", tSTGS), STGS{Tau: tSTGS}, textbookGRMCK(tSTGS, 1), textbookSTGSSample(tSTGS, false))
	add(f("GumbelSoftmax", tGS), GumbelSoftmax{Tau: tGS}, textbookGumbelSoftmaxGiven(tGS), textbookSTGSSample(tGS, true))
	add(f("GST", gap), GST{Tau: tGST, Gap: gap}, textbookGST(tGST, gap, false), sampled(textbookGST(tGST, gap, false)))
	add(f("GST-p", tGSTp), GST{Tau: tGSTp, Adaptive: true}, textbookGST(tGSTp, 0, true), sampled(textbookGST(tGSTp, 0, true)))
	add(f("GRMCK", tGR), GRMCK{Tau: tGR, K: k}, textbookGRMCK(tGR, k), sampled(textbookGRMCK(tGR, k)))
	add(f("ReinMaxRao", tRao), ReinMaxRao{Tau: tRao, K: k}, textbookReinMaxRao(tRao, k), sampled(textbookReinMaxRao(tRao, k)))
	add("ReinMaxRao(1)", ReinMaxRao{K: k}, textbookReinMaxRao(1, k), sampled(textbookReinMaxRao(1, k)))
	add(f("ReinMaxCV", eta), ReinMaxCV{Tau: tCV, K: k, Eta: eta}, textbookReinMaxCV(tCV, k, eta, false),
		textbookReinMaxCV(tCV, k, eta, true))
	add(f("DecoupledST", tDF), DecoupledST{Tau: tDB, TauForward: tDF}, textbookST(tDB), sampledAt(tDF, textbookST(tDB)))
	add(f("DecoupledSTGS", tDGF), DecoupledSTGS{Tau: tDGB, TauForward: tDGF}, textbookDecoupledSTGS(tDGB, tDGF, false),
		textbookDecoupledSTGS(tDGB, tDGF, true))
	// The relaxed sample's gradient equals STGS's for the same noise: both are (1/τ)·J(testutil.Softmax((θ+G)/τ))·g.
	cases = append(cases,
		textbookCase{name: f("GumbelSoftmax=STGS", tGS) + ".Given", closed: given(GumbelSoftmax{Tau: tGS}),
			textbook: STGS{Tau: tGS}.Given, gradOnly: true},
		textbookCase{name: f("GumbelSoftmax=STGS", tGS) + ".Sample", closed: sample(GumbelSoftmax{Tau: tGS}),
			textbook: textbookFn(sample(STGS{Tau: tGS})), gradOnly: true})
	return cases
}

// TestClosedFormEqualsTextbook compares, on random logits, samples, temperatures and upstream gradients, the gradient
// of L = ⟨hard, g_D⟩ + ⟨soft, g_p⟩ to the logits through each estimator with that through its textbook form, and the
// forward values. It also checks that every estimator's gradient sums to 0 over the categories.
func TestClosedFormEqualsTextbook(t *testing.T) {
	t.Parallel()
	const n = 64
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, c := range []int{2, 5, 10} {
			t.Run(fmt.Sprintf("%s/C=%d", dtype, c), func(t *testing.T) {
				t.Parallel()
				// Relative tolerances: float32 rounding (ε ≈ 6e-8) amplified by C ≤ 10, 1/τ ≤ 4 and reinmax-alpha's
				// 1/(1 − β) ≤ 11; float64 (ε ≈ 1e-16) likewise.
				tol, sumTol := 1e-5, 1e-6
				if dtype == dtypes.Float64 {
					tol, sumTol = 1e-12, 1e-14
				}
				rng := rand.New(rand.NewPCG(uint64(c), uint64(dtype)))
				logits := uniforms(rng, n*c, -3, 3)
				cats := make([]int, n)
				for i := range cats {
					cats[i] = rng.IntN(c) // any category, including improbable ones
				}
				gD, gP := normals(rng, n*c), normals(rng, n*c)
				cases := textbookCases(rng)
				outs := run(t, func(g *Graph, in []*Node) []*Node {
					logits, onehot, gD, gP := in[0], in[1], in[2], in[3]
					loss := func(hard, soft *Node) *Node {
						return Add(ReduceAllSum(Mul(hard, gD)), ReduceAllSum(Mul(soft, gP)))
					}
					var res []*Node
					for i, tc := range cases {
						seed := int64(1000 + i)
						hard, soft := tc.closed(NewStateSource(g, seed), logits, onehot)
						out, soft2 := tc.textbook(NewStateSource(g, seed), logits, onehot)
						res = append(res, hard, out, soft, soft2,
							Gradient(loss(hard, soft), logits)[0], Gradient(loss(out, soft2), logits)[0])
					}
					return res
				}, tensorOf(dtype, logits, n, c), tensorOf(dtype, oneHotRows(cats, c), n, c),
					tensorOf(dtype, gD, n, c), tensorOf(dtype, gP, n, c))
				for i, tc := range cases {
					hard, out, soft, soft2, grad, want := outs[6*i], outs[6*i+1], outs[6*i+2], outs[6*i+3], outs[6*i+4], outs[6*i+5]
					compare := func(what string, got, want []float64, tol float64) {
						for j := range got {
							if !nearlyEqual(got[j], want[j], tol) {
								t.Errorf("%s: %s[row %d, cat %d] = %.10g, textbook %.10g", tc.name, what, j/c, j%c, got[j], want[j])
								return
							}
						}
					}
					compare("gradient", grad, want, tol)
					if !tc.gradOnly {
						compare("hard", hard, out, tol)
						compare("soft", soft, soft2, tol)
					}
					// Σ_j ∂L/∂θ_j = 0 because every term is J(p)v with Σ_j (J(p)v)_j = 0. Rounding leaves about
					// ε·Σ_j |v_j|, so the tolerance is relative to the row's Σ_j (|g_D,j| + |g_p,j|).
					for r := 0; r < n; r++ {
						var sum, scale float64
						for j := r * c; j < (r+1)*c; j++ {
							sum += grad[j]
							scale += math.Abs(gD[j]) + math.Abs(gP[j])
						}
						if !(math.Abs(sum) <= sumTol*scale) {
							t.Errorf("%s: gradient of row %d sums to %g, want 0 (tolerance %g)", tc.name, r, sum, sumTol*scale)
							break
						}
					}
				}
			})
		}
	}
}
