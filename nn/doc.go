// Package nn holds the small network pieces the experiments share, initialised as PyTorch initialises them so that
// runs are comparable with the paper's code.
package nn // import "github.com/f60e9205/reinmax/nn"
