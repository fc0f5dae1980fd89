package reinmax

import (
	"cmp"
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// DecoupledST is straight-through with decoupled temperatures (Shah et al. 2024): τ_f sets the law of the forward
// sample (how much the sample explores), τ_b the surrogate of the backward pass (how the gradient spreads over the
// categories).
//
// With θ the logits, π₀ = softmax(θ), g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D ~ Cat(softmax(θ/τ_f)),  soft = π₀
//	backward: ∂L/∂θ = (1/τ_b)·J(softmax(θ/τ_b))·g_D + J(π₀)·g_p
//
// τ_f = 1 is ST with τ = τ_b, sample for sample; τ_f = τ_b is the single-temperature "softmax straight-through".
// τ_f ≠ 1 changes the objective, E_{D ~ Cat(softmax(θ/τ_f))} f(D): below 1 the sample is greedier, above 1 it
// explores more. Given takes the sample as given, so averaging it over D ~ Cat(softmax(θ/τ_f)) (not
// Cat(softmax(θ))) reproduces Sample.
//
// soft is softmax(θ), not the law of the sample: a loss that needs the sample's law (the KL term of a VAE, for the
// −ELBO to stay a bound) takes softmax(θ/τ_f), as package catvae does.
//
// Tau (τ_b) and TauForward (τ_f) must be finite and positive; the zero values select 1. Masked categories (logit
// -Inf) are never sampled and receive a zero gradient.
//
// Reference: R. Shah, M. Yan, M. C. Mozer, D. Liu, "Improving Discrete Optimisation Via Decoupled Straight-Through
// Estimator", arXiv:2410.13331, 2024.
type DecoupledST struct {
	Tau        float64 // τ_b, the temperature of the backward surrogate
	TauForward float64 // τ_f, the temperature of the forward sample
}

// Name implements StraightThrough.
func (DecoupledST) Name() string { return "decoupled-st" }

// Validate returns an error unless the parameters are in range.
func (e DecoupledST) Validate() error { return checkDecoupled(e.Name(), e.Tau, e.TauForward) }

// checkDecoupled returns an error naming the estimator unless τ_b and τ_f (0: 1) are finite and positive.
func checkDecoupled(name string, tau, tauForward float64) error {
	if err := checkTau(name, cmp.Or(tau, 1), 0); err != nil {
		return err
	}
	if tf := cmp.Or(tauForward, 1); !(tf > 0) || math.IsInf(tf, 0) {
		return fmt.Errorf("reinmax: %s: tau-forward = %v, want a finite tau-forward > 0", name, tf)
	}
	return nil
}

// Sample implements StraightThrough.
func (e DecoupledST) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	must(e.Validate())
	pf := StopGradient(Softmax(DivScalar(logits, cmp.Or(e.TauForward, 1)), -1))
	return ST{Tau: e.Tau}.given(logits, sampleOneHot(src, pf), StopGradient(Softmax(logits, -1)))
}

// Given implements StraightThrough; DecoupledST needs no noise besides the sample, and given it, it is ST at τ_b.
func (e DecoupledST) Given(_ Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	checkOneHot(e.Name(), logits, onehot)
	must(e.Validate())
	return ST{Tau: e.Tau}.given(logits, onehot, StopGradient(Softmax(logits, -1)))
}

// DecoupledSTGS is straight-through Gumbel-Softmax with decoupled temperatures (Shah et al. 2024): the Gumbel
// perturbation is scaled by τ_f, which sets the law of the sample, and the relaxation of the backward pass has
// temperature τ_b.
//
// With θ the logits, G standard Gumbel noise, z = θ + τ_f·G, y = softmax(z/τ_b), g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D = onehot(argmax z),  soft = softmax(θ)
//	backward: ∂L/∂θ = (1/τ_b)·J(y)·g_D + J(softmax(θ))·g_p
//
// argmax z = argmax(θ/τ_f + G), so D ~ Cat(softmax(θ/τ_f)) exactly. τ_f = 1 is STGS with τ = τ_b, draw for draw.
// Given draws G from its law conditioned on the sample (z/τ_f is Gumbel-perturbed θ/τ_f with argmax at D), so that
// averaging it over D ~ Cat(softmax(θ/τ_f)) reproduces Sample. As for DecoupledST, soft is softmax(θ), not the law
// of the sample.
//
// Tau (τ_b) and TauForward (τ_f) must be finite and positive; the zero values select 1.
//
// Reference: R. Shah, M. Yan, M. C. Mozer, D. Liu, "Improving Discrete Optimisation Via Decoupled Straight-Through
// Estimator", arXiv:2410.13331, 2024 (first version: "... Decoupled Straight-Through Gumbel-Softmax").
type DecoupledSTGS struct {
	Tau        float64 // τ_b, the temperature of the backward relaxation
	TauForward float64 // τ_f, the scale of the Gumbel perturbation of the forward sample
}

// Name implements StraightThrough.
func (DecoupledSTGS) Name() string { return "decoupled-stgs" }

// Validate returns an error unless the parameters are in range.
func (e DecoupledSTGS) Validate() error { return checkDecoupled(e.Name(), e.Tau, e.TauForward) }

// Sample implements StraightThrough.
func (e DecoupledSTGS) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	must(e.Validate())
	tf := cmp.Or(e.TauForward, 1)
	theta := finite(logits)
	z := Add(StopGradient(scaledLogits(logits, tf)), gumbel(src, logits.Graph(), logits.Shape()))
	if tf != 1 {
		z = MulScalar(z, tf)
	}
	return relaxedJacobian(theta, oneHotArgMax(z), z, cmp.Or(e.Tau, 1)), Softmax(logits, -1)
}

// Given implements StraightThrough.
func (e DecoupledSTGS) Given(src Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	checkOneHot(e.Name(), logits, onehot)
	must(e.Validate())
	tf := cmp.Or(e.TauForward, 1)
	theta := finite(logits)
	z := Squeeze(conditionalGumbel(src, scaledLogits(logits, tf), onehot, 1), 0)
	if tf != 1 {
		z = MulScalar(z, tf)
	}
	return relaxedJacobian(theta, onehot, z, cmp.Or(e.Tau, 1)), Softmax(logits, -1)
}

// scaledLogits returns finite(logits/τ_f): masked logits stay the lowest finite value, whatever τ_f.
func scaledLogits(logits *Node, tf float64) *Node {
	if tf == 1 {
		return finite(logits)
	}
	return finite(DivScalar(logits, tf))
}
