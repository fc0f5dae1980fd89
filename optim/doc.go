// Package optim provides the optimisers the paper's experiments use that GoMLX lacks (RAdam), and picks an optimiser
// by name.
package optim // import "github.com/f60e9205/reinmax/optim"
