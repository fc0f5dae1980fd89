// Package probe evaluates what a straight-through estimator does at a fixed sample: the forward values and the
// gradient it passes to the logits, on the real GoMLX path. The command-line tool's grad command and the tests use it.
package probe // import "github.com/f60e9205/reinmax/probe"
