// Package poly is the polynomial programming experiment of Liu et al. (NeurIPS 2023, section 3.1 of the
// project's reference): minimise E_{z ~ P_θ} (1/L)·Σ_l |z_l − c_l|^p over θ ∈ R^{L×2} by Adam, with the gradient of
// the sampled loss supplied by a straight-through estimator, and record the exact expected loss on the way.
package poly // import "github.com/f60e9205/reinmax/experiments/poly"
