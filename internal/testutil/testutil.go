// Package testutil holds what the tests of several packages share.
package testutil

import (
	"sync"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend
	"gonum.org/v1/gonum/stat"

	"github.com/f60e9205/reinmax/oracle"
)

var backend = sync.OnceValues(func() (compute.Backend, error) {
	return compute.NewWithConfig("go:ops_sequential")
})

// Backend returns the pure-Go backend, with operations executed one at a time as the experiments run them, shared
// by the tests of a test binary. It fails the test when the backend cannot be created.
func Backend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := backend()
	if err != nil {
		t.Fatalf("testutil: the pure-Go backend: %v", err)
	}
	return b
}

// Softmax returns softmax(x) in float64 (oracle.Softmax into a new slice).
func Softmax(x []float64) []float64 {
	p := make([]float64, len(x))
	oracle.Softmax(p, x)
	return p
}

// MeanVar returns the sample mean and the unbiased sample variance of x (gonum's stat.MeanVariance).
func MeanVar(x []float64) (mean, variance float64) { return stat.MeanVariance(x, nil) }

// Column returns column j of the row-major matrix x with c columns.
func Column(x []float64, c, j int) []float64 {
	col := make([]float64, len(x)/c)
	for i := range col {
		col[i] = x[i*c+j]
	}
	return col
}
