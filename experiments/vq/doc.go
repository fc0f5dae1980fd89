// Package vq is the vector-quantisation experiment: an MLP autoencoder with one VQ bottleneck trained on Fashion-MNIST
// or MNIST with each gradient method of package vq, VQ-VAE's straight-through estimator ("ste"), the rotation trick
// ("rotation") and stochastic codes with any straight-through estimator of the registry ("reinmax", "st", ...).
//
// The encoder 784-H-H/2-(L·d) maps an image to L vectors of dimension d, each quantised to one of K codes of a shared
// codebook; the decoder (L·d)-H/2-H-784 returns grey levels through a sigmoid. The loss per step is
//
//	mean_pixels (x̂ − x)² + codebook loss + β·commitment loss
//
// (vq.Result.Loss, means over elements). Records report the reconstruction error while training and on the test set
// (with the nearest codes; with sampled codes too for stochastic methods), how much of the codebook the test set uses
// (fraction of codes and perplexity; a collapse to one code is flagged), and the wall time of the steps.
package vq // import "github.com/f60e9205/reinmax/experiments/vq"
