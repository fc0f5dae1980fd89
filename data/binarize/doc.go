// Package binarize draws binary images from grey levels, x_b = 1[u < x] with u ~ U[0,1).
//
// Each pixel becomes 1 with probability equal to its grey level x in [0,1], so E[x_b] = x. Two
// uses are common in the discrete-VAE literature:
//
//   - dynamic binarisation draws a new x_b every time an image is visited (every epoch), which
//     acts as data augmentation; call Bernoulli on each minibatch with one generator that runs on;
//   - fixed binarisation draws x_b once, when the data set is built, and keeps it; call Fixed once.
//     The ReinMax Bernoulli-VAE code (after RODEO) does this, although its function is named
//     "dynamic_binalization" (reference, section 3.4).
package binarize // import "github.com/f60e9205/reinmax/data/binarize"
