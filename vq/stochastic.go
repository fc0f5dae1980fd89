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
	quantized = DotGeneral(hard, []int{1}, nil, codebook, []int{0}, nil)
	return Reshape(quantized, z.Shape().Dimensions...), Reshape(hard, append(leading(z), k)...)
}
