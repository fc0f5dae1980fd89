// Package catvae is the paper's categorical variational auto-encoder on MNIST (Table 2; reference section 3.2):
// L categorical latent variables with C categories each, trained with any straight-through estimator.
//
// Encoder 784-512-256-(L·C) and decoder (L·C)-256-512-784 with ReLU, grey-level pixels as Bernoulli targets (no
// binarisation), analytic KL to the uniform prior, batch 100. The loss is the negative ELBO per image:
//
//	−ELBO = Σ_pixels BCE(decoder(D), x) + Σ_l KL(softmax(θ_l) ‖ Uniform(C)),   D ~ Π_l Cat(softmax(θ_l))
//
// where the KL term's gradient flows through soft = softmax(θ) and the reconstruction term's through the estimator.
package catvae // import "github.com/f60e9205/reinmax/experiments/catvae"
