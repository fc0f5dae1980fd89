package reinmax

import (
	"cmp"
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// ReinMaxRao is ReinMax with the Jacobian at the shifted point replaced by the Gumbel-Rao Jacobian given the sample
// (ReinMax-Rao, Wang & Bui 2026): the Jacobian J(π₁) of ReinMax becomes the average, over K Gumbel perturbations
// conditioned on the sample, of the Jacobian of the Gumbel-Softmax relaxation, as GR-MCK does for STGS.
//
// With θ the logits, π₀ = softmax(θ), D ~ Cat(π₀) with category s, z_k = θ + G_k for K Gumbel vectors drawn
// conditionally on argmax z_k = s, g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D,  soft = π₀
//	backward: ∂L/∂θ = 2·(1/K)·Σ_k (1/τ)·J(softmax(z_k/τ))·g_D − ½·J(π₀)·g_D + J(π₀)·g_p
//
// It is the Rao-Blackwellisation, over the Gumbel noise given D, of "ReinMax-GS": the same formula with K = 1 and
// the perturbation z = θ + G whose argmax drew D. So its expectation is that of ReinMax-GS for every K, and its
// variance falls with K towards that of the exact conditional expectation. Its expectation is not ReinMax's: an
// estimator that sees only D and g_D and has ReinMax's expectation for every loss is ReinMax itself (Σ_j π_j R(e_j,
// g_j) fixes R(e_j, ·) for every j with π_j > 0). Even for a loss linear in D its expectation,
// 2·E_G[(1/τ)J(softmax((θ+G)/τ))]·g − ½J(π₀)·g, equals the true J(π₀)·g only where the expected relaxed Jacobian
// is ¾·J(π₀), a condition on τ that depends on θ. Whether its lower variance is worth that bias is what package
// gradlab measures.
//
// The cost and the memory are GR-MCK's: the K perturbations are drawn in the backward pass, in chunks of about 2²⁰
// perturbed logits folded into a running sum, so memory does not grow with K while time does. Tau must be positive
// and K at least 1; the zero values select τ = 1 and K = 10.
//
// Reference: D. Wang, T. D. Bui, "Beyond ReinMax: Low-Variance Gradient Estimators for Discrete Latent Variables",
// arXiv:2603.08257, 2026; M. B. Paulus, C. J. Maddison, A. Krause, "Rao-Blackwellizing the Straight-Through
// Gumbel-Softmax Gradient Estimator", ICLR 2021.
type ReinMaxRao struct {
	Tau float64
	K   int
}

// Name implements StraightThrough.
func (ReinMaxRao) Name() string { return "reinmax-rao" }

// Validate returns an error unless the parameters are in range.
func (e ReinMaxRao) Validate() error {
	if err := checkTau(e.Name(), e.tau(), 0); err != nil {
		return err
	}
	return checkConditionalK(e.Name(), e.K)
}

func (e ReinMaxRao) tau() float64 { return cmp.Or(e.Tau, 1) }
func (e ReinMaxRao) k() int       { return cmp.Or(e.K, 10) }

// checkConditionalK returns an error naming the estimator unless k (0: the default) is at least 1.
func checkConditionalK(name string, k int) error {
	if k < 0 {
		return fmt.Errorf("reinmax: %s: K = %d, want K >= 1 conditional samples", name, k)
	}
	return nil
}

// Sample implements StraightThrough.
func (e ReinMaxRao) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	must(e.Validate())
	return e.given(src, logits, sampleOneHot(src, StopGradient(Softmax(logits, -1))))
}

// Given implements StraightThrough: the K perturbations are drawn conditioned on the sample.
func (e ReinMaxRao) Given(src Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	checkOneHot(e.Name(), logits, onehot)
	must(e.Validate())
	return e.given(src, logits, onehot)
}

func (e ReinMaxRao) given(src Source, logits, onehot *Node) (hard, soft *Node) {
	pi0 := StopGradient(Softmax(logits, -1))
	rao := gumbelRaoVJP(src, finite(logits), onehot, e.k(), e.tau())
	return withGradients(logits, onehot, pi0, func(gD, gP *Node) *Node {
		var grad, u *Node
		if gD != nil {
			grad, u = MulScalar(rao(gD), 2), MulScalar(gD, -0.5)
		}
		return addGradients(grad, softmaxJVP(pi0, addGradients(u, gP)))
	})
}

// ReinMaxCV is ReinMax plus a control variate built from the Gumbel-Softmax Jacobian minus its conditional
// expectation given the sample (ReinMax-CV, Wang & Bui 2026).
//
// With θ the logits, π₀ = softmax(θ), π₁ = (softmax(θ/τ) + D)/2, z₀ = θ + G the Gumbel perturbation whose argmax is
// the sample D (D ~ Cat(π₀) by the Gumbel-max trick), z_1..z_K further perturbations conditioned on the same argmax,
// J_τ(z) = (1/τ)·J(softmax(z/τ)), g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D = onehot(argmax z₀),  soft = π₀
//	backward: ∂L/∂θ = 2·J(π₁)·g_D − ½·J(π₀)·g_D + η·[(1/K)·Σ_k J_τ(z_k) − J_τ(z₀)]·g_D + J(π₀)·g_p
//
// The bracket has mean zero given D (z₀ and the z_k have the same law given D), so the expectation is ReinMax's
// exactly, for every η, τ and K. By the same token the control variate cannot lower ReinMax's variance: ReinMax's
// estimate is a function of D, a term with mean zero given D is uncorrelated with it, and
//
//	Var[ReinMaxCV] = Var[ReinMax] + η²·(1 + 1/K)·E_D[Var(J_τ(z)·g_D | D)]
//
// (trace of the covariance). The type implements the construction so that the claim can be measured; the tests
// and package gradlab confirm the formula. Given draws z₀ from its law given D, like the z_k.
//
// Tau must be at least 1 (it is ReinMax's, and the relaxation's), K at least 1 and Eta finite; the zero values select
// τ = 1, K = 10 and η = 1.
//
// Reference: D. Wang, T. D. Bui, "Beyond ReinMax: Low-Variance Gradient Estimators for Discrete Latent Variables",
// arXiv:2603.08257, 2026.
type ReinMaxCV struct {
	Tau float64
	K   int
	Eta float64 // weight η of the control variate
}

// Name implements StraightThrough.
func (ReinMaxCV) Name() string { return "reinmax-cv" }

// Validate returns an error unless the parameters are in range.
func (e ReinMaxCV) Validate() error {
	if err := checkTau(e.Name(), e.tau(), 1); err != nil {
		return err
	}
	if err := checkConditionalK(e.Name(), e.K); err != nil {
		return err
	}
	if math.IsNaN(e.Eta) || math.IsInf(e.Eta, 0) {
		return fmt.Errorf("reinmax: %s: eta = %v, want a finite weight", e.Name(), e.Eta)
	}
	return nil
}

func (e ReinMaxCV) tau() float64 { return cmp.Or(e.Tau, 1) }
func (e ReinMaxCV) k() int       { return cmp.Or(e.K, 10) }
func (e ReinMaxCV) eta() float64 { return cmp.Or(e.Eta, 1) }

// Sample implements StraightThrough: D and z₀ come from one Gumbel perturbation.
func (e ReinMaxCV) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	must(e.Validate())
	theta := finite(logits)
	z0 := Add(StopGradient(theta), gumbel(src, logits.Graph(), logits.Shape()))
	return e.given(src, logits, oneHotArgMax(z0), z0)
}

// Given implements StraightThrough: z₀ and the K perturbations are drawn conditioned on the sample.
func (e ReinMaxCV) Given(src Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	checkOneHot(e.Name(), logits, onehot)
	must(e.Validate())
	return e.given(src, logits, onehot, Squeeze(conditionalGumbel(src, finite(logits), onehot, 1), 0))
}

func (e ReinMaxCV) given(src Source, logits, onehot, z0 *Node) (hard, soft *Node) {
	tau, eta := e.tau(), e.eta()
	pi0 := StopGradient(Softmax(logits, -1))
	p := pi0
	if tau != 1 {
		p = StopGradient(Softmax(DivScalar(logits, tau), -1))
	}
	a := StopGradient(Add(p, onehot)) // 2π₁
	p0 := StopGradient(Softmax(DivScalar(z0, tau), -1))
	rao := gumbelRaoVJP(src, finite(logits), onehot, e.k(), tau)
	return withGradients(logits, onehot, pi0, func(gD, gP *Node) *Node {
		var grad, u *Node
		if gD != nil {
			cv := Sub(rao(gD), DivScalar(softmaxJVP(p0, gD), tau))
			grad, u = Add(shiftedJVP(a, gD), MulScalar(cv, eta)), MulScalar(gD, -0.5)
		}
		return addGradients(grad, softmaxJVP(pi0, addGradients(u, gP)))
	})
}
