package moe_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/f60e9205/reinmax/internal/testutil"
	"github.com/f60e9205/reinmax/oracle"
)

// testBackend returns the pure-Go backend shared by the tests.
func testBackend(t testing.TB) compute.Backend { return testutil.Backend(t) }

// matrix is a row-major float64 matrix.
type matrix struct {
	r, c int
	v    []float64
}

func (m matrix) row(i int) []float64 { return m.v[i*m.c : (i+1)*m.c] }

func (m matrix) tensor() *tensors.Tensor { return tensors.FromFlatDataAndDimensions(m.v, m.r, m.c) }

// normalMatrix returns an r×c matrix of N(mean, sd²) draws.
func normalMatrix(rnd *rand.Rand, r, c int, mean, sd float64) matrix {
	m := matrix{r, c, make([]float64, r*c)}
	for i := range m.v {
		m.v[i] = mean + sd*rnd.NormFloat64()
	}
	return m
}

// flat returns the float64 data of t.
func flat(t *testing.T, x *tensors.Tensor) []float64 {
	t.Helper()
	v, err := tensors.CopyFlatData[float64](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ints returns the int32 data of t as ints.
func ints(t *testing.T, x *tensors.Tensor) []int {
	t.Helper()
	v, err := tensors.CopyFlatData[int32](x)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// softmax returns softmax(x) over the entries where keep is true (all when keep is nil), 0 elsewhere.
func softmax(x []float64, keep []bool) []float64 {
	m := math.Inf(-1)
	for i, v := range x {
		if keep == nil || keep[i] {
			m = math.Max(m, v)
		}
	}
	p := make([]float64, len(x))
	var s float64
	for i, v := range x {
		if keep == nil || keep[i] {
			p[i] = math.Exp(v - m)
			s += p[i]
		}
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// jvp returns J(p)v = p⊙v − p⟨p, v⟩.
func jvp(p, v []float64) []float64 {
	out := make([]float64, len(p))
	oracle.JVP(out, p, v)
	return out
}

// keepMask is SparseMixer's mask in float64: with m the largest θ_e not excluded, e is kept when
// (m − θ_e) <= 2ε·max(|θ_e|, m) and it is not excluded.
func keepMask(theta []float64, eps float64, excluded []bool) []bool {
	m := math.Inf(-1)
	for i, v := range theta {
		if excluded == nil || !excluded[i] {
			m = math.Max(m, v)
		}
	}
	keep := make([]bool, len(theta))
	for i, v := range theta {
		keep[i] = (excluded == nil || !excluded[i]) && m-v <= 2*eps*math.Max(math.Abs(v), m)
	}
	return keep
}

// argmax returns the index of the largest entry among those not excluded (the first on ties).
func argmax(x []float64, excluded []bool) int {
	best := -1
	for i, v := range x {
		if (excluded == nil || !excluded[i]) && (best < 0 || v > x[best]) {
			best = i
		}
	}
	return best
}

// near reports whether got is within tol·(1 + |want|) of want; NaN is never near.
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*(1+math.Abs(want))
}

// checkNear reports the entries of got that are not near want.
func checkNear(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !near(got[i], want[i], tol) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.15g, want %.15g", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d more values differ", what, bad-5)
	}
}

// recovered runs f and returns the message of its panic, or "" when it did not panic.
func recovered(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
