package reinmax_test

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
)

// Helpers shared by the external tests (package reinmax_test).

var (
	backendOnce sync.Once
	backendVal  compute.Backend
	backendErr  error
)

// testBackend returns the pure-Go backend shared by every external test.
func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	backendOnce.Do(func() { backendVal, backendErr = compute.New() })
	if backendErr != nil {
		t.Fatalf("compute.New: %v", backendErr)
	}
	return backendVal
}

// recovered runs f and returns the message of the panic it raised, or "" when it did not panic.
func recovered(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
			if msg == "" {
				msg = "(empty panic)"
			}
		}
	}()
	f()
	return ""
}

// softmax returns softmax(x) in float64, max-shifted.
func softmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	p := make([]float64, len(x))
	var s float64
	for i, v := range x {
		p[i] = math.Exp(v - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// meanVarCol returns the sample mean and unbiased variance of column j of the row-major matrix x with c columns.
func meanVarCol(x []float64, c, j int) (mean, variance float64) {
	n := len(x) / c
	for i := 0; i < n; i++ {
		mean += x[i*c+j]
	}
	mean /= float64(n)
	for i := 0; i < n; i++ {
		variance += (x[i*c+j] - mean) * (x[i*c+j] - mean)
	}
	return mean, variance / float64(n-1)
}
