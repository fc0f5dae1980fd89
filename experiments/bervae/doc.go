// Package bervae is the Bernoulli variational auto-encoder with 200 binary latent variables of the RODEO protocol,
// on which the paper compares ReinMax with the REINFORCE family under a budget of K evaluations of the decoder
// (its Table 6; reference section 3.4).
//
// Encoder 784-200-200-200 and decoder 200-200-200-784 with LeakyReLU(0.3), binarised images, a learned prior
// p(z_l = 1) = σ(π_l) (π initialised at 0). The encoder's output a gives the logits α = 2a − 1 of the 200 Bernoulli
// variables: the reference code feeds the categorical logits [a, 1 − a] to the straight-through estimators, whose
// first category has probability σ(2a − 1). The loss, averaged over K independent samples z_k of q(z|x), is
//
//	−ELBO = (1/K) Σ_k Σ_pixels BCE(decoder(z_k), x) + KL(q(z|x) ‖ p(z))
//
// with the KL term in closed form (its gradient is exact for every estimator); the estimator supplies the gradient
// of the reconstruction term with respect to α. Straight-through estimators draw K samples of the two-category
// variables; score-function estimators evaluate the decoder on their own K samples (K is their number of
// evaluations). Both families therefore spend the same K decoder evaluations per image.
package bervae // import "github.com/f60e9205/reinmax/experiments/bervae"
