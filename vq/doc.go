// Package vq quantises vectors to a learned codebook, as GoMLX graph functions: the vector-quantisation layer of
// VQ-VAEs and of image and audio tokenisers, with the gradient through the quantisation chosen among the
// straight-through estimator of VQ-VAE, the rotation trick, and stochastic codes whose gradient comes from any
// straight-through estimator of package reinmax (ReinMax among them).
//
// A Quantizer maps each vector z (the last axis of a tensor, of dimension d) to one of the K rows e_k of a codebook
// (K, d). With q the code chosen for z and g = ∂L/∂(quantised output):
//
//	method      code chosen                           gradient to z             gradient to the codebook
//	ste         nearest: argmin_k ‖z − e_k‖²          g                         losses only
//	rotation    nearest                               λRᵀg (the rotation trick)  losses only
//	estimator   sampled: p(k|z) ∝ exp(−‖z−e_k‖²/T)    through the logits        through the logits and q = D·E
//
// where, for the rotation trick, λ = ‖q‖/‖z‖ and R is the rotation that takes z/‖z‖ to q/‖q‖ in the plane they span
// (Rotation), and for stochastic codes D is the one-hot sample drawn by the estimator from the logits
// −‖z − e_k‖²/T (Logits). Every method also returns the two losses of VQ-VAE, which train the codebook and keep z near
// its code:
//
//	codebook loss    mean ‖sg(z) − q‖²
//	commitment loss  mean ‖z − sg(q)‖²,   weighted by β in Result.Loss
//
// (sg is stop-gradient; means are over every element, so the losses are mean squared errors per coordinate.)
// Distances are computed on inputs scaled by a power of two, so that they stay finite in float32 for vectors of any
// finite norm (Distances). An optional refresh replaces codes that no input chose for a while by encoder outputs
// (Quantizer.Refresh). Usage measures how much of a codebook a set of inputs uses.
//
// References: A. van den Oord, O. Vinyals, K. Kavukcuoglu, "Neural Discrete Representation Learning", NeurIPS 2017
// (VQ-VAE); C. Fifty, R. G. Junkins, D. Duan, A. Iyengar, J. W. Liu, E. Amid, S. Thrun, C. Ré, "Restructuring Vector
// Quantization with the Rotation Trick", ICLR 2025, arXiv:2410.06424; L. Liu et al., "Bridging Discrete and
// Backpropagation: Straight-Through and Beyond", NeurIPS 2023 (ReinMax).
package vq // import "github.com/f60e9205/reinmax/vq"
