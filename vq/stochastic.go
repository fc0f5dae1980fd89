package vq

import (
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
)

// Sample draws a stochastic code for each vector of z (..., d) from the rows e_k of codebook (K, d) with the
// straight-through estimator est, and returns the quantised vectors and the sample:
//
//	θ = Logits(z, codebook, T)                 θ_k = −‖z − e_k‖²/T up to a constant
//	D, _ = est.Sample(src, θ)                  D ~ Cat(softmax(θ)), one-hot (..., K)
//	quantized = D·E                            the sampled code, exactly (D is one-hot)
//
// The gradient reaches the codebook twice, the encoder once: g = ∂L/∂quantized gives ∂L/∂D = g·Eᵀ, which the
// estimator turns into ∂L/∂θ (ReinMax: 2J(π₁)g_D − ½J(π₀)g_D), and Logits' closed form carries it to z and to every
// code e_k, ∂L/∂z = −(2/T) Σ_k (∂L/∂θ_k)(z − e_k), ∂L/∂e_k = (2/T) Σ_n (∂L/∂θ_nk)(z_n − e_k); and the sampled code gets
// g directly, ∂L/∂E += Dᵀg. The encoder's only signal is the estimator's, as in a categorical VAE whose logits are
// distances: a small T concentrates the law on the nearest code and shrinks the Jacobians the estimator evaluates.
//
// The relaxed GumbelSoftmax returns a convex combination of codes instead of one. It panics as Logits and the
// estimator do.
func Sample(est reinmax.StraightThrough, src reinmax.Source, z, codebook *Node, temperature float64) (quantized, hard *Node) {
	flat, k := checkShapes("Sample", z, codebook)
	hard, _ = est.Sample(src, Logits(flat, codebook, temperature))
	quantized = mixCodes(hard, codebook, relaxed(est))
	return Reshape(quantized, z.Shape().Dimensions...), Reshape(hard, append(leading(z), k)...)
}

// relaxed reports whether the estimator's sample is relaxed (a point of the simplex) rather than one-hot.
func relaxed(est reinmax.StraightThrough) bool { return est.Name() == "gumbel-softmax" }

// mixCodes returns D·E for samples D (N, K) and the codebook E (K, d): for one-hot samples the rows they pick, read
// exactly (a gather), for relaxed ones the convex combinations. The gradient g reaches D as g·Eᵀ and E as Dᵀ·g, each a
// product in a layout the pure-Go backend multiplies without transposing the (N, K) samples (autodiff of the product
// transposes them).
func mixCodes(hard, e *Node, isRelaxed bool) *Node {
	value := DotGeneral(StopGradient(hard), []int{1}, nil, StopGradient(e), []int{0}, nil)
	if !isRelaxed {
		value = Gather(StopGradient(e), InsertAxes(ArgMax(hard, -1), -1))
	}
	return withVJP(value, []*Node{hard, e}, func(v *Node, i int) *Node {
		if i == 0 {
			return DotGeneral(v, []int{1}, nil, StopGradient(e), []int{1}, nil)
		}
		return Transpose(DotGeneral(Transpose(v, 0, 1), []int{1}, nil, StopGradient(hard), []int{0}, nil), 0, 1)
	})
}
