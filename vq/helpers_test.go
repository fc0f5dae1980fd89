package vq_test

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

var (
	backendOnce sync.Once
	backendVal  compute.Backend
	backendErr  error
)

// testBackend returns the pure-Go backend shared by the tests.
func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	backendOnce.Do(func() { backendVal, backendErr = compute.New() })
	if backendErr != nil {
		t.Fatalf("compute.New: %v", backendErr)
	}
	return backendVal
}

// mat is a row-major matrix of float64 values.
type mat struct {
	rows, cols int
	x          []float64
}

func (m mat) row(i int) []float64 { return m.x[i*m.cols : (i+1)*m.cols] }

// tensor returns m as a tensor of dtype.
func (m mat) tensor(dtype dtypes.DType) *tensors.Tensor {
	if dtype == dtypes.Float32 {
		f := make([]float32, len(m.x))
		for i, v := range m.x {
			f[i] = float32(v)
		}
		return tensors.FromFlatDataAndDimensions(f, m.rows, m.cols)
	}
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), m.x...), m.rows, m.cols)
}

// rounded returns m with its values rounded to dtype, the inputs a graph of that dtype sees.
func (m mat) rounded(dtype dtypes.DType) mat {
	out := mat{m.rows, m.cols, append([]float64(nil), m.x...)}
	if dtype == dtypes.Float32 {
		for i, v := range out.x {
			out.x[i] = float64(float32(v))
		}
	}
	return out
}

// run executes fn on the matrices in dtype and returns every output flattened to float64 (integers converted).
func run(t *testing.T, dtype dtypes.DType, fn func(in []*Node) []*Node, in ...mat) [][]float64 {
	t.Helper()
	args := make([]any, len(in))
	for i, m := range in {
		args[i] = m.tensor(dtype)
	}
	outs, err := ExecOnceN(testBackend(t), fn, args...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		res[i] = flat(t, o)
	}
	return res
}

// flat returns the values of a tensor as float64.
func flat(t *testing.T, o *tensors.Tensor) []float64 {
	t.Helper()
	var out []float64
	switch o.DType() {
	case dtypes.Float32:
		v, err := tensors.CopyFlatData[float32](o)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range v {
			out = append(out, float64(x))
		}
	case dtypes.Float64:
		v, err := tensors.CopyFlatData[float64](o)
		if err != nil {
			t.Fatal(err)
		}
		out = v
	case dtypes.Int32:
		v, err := tensors.CopyFlatData[int32](o)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range v {
			out = append(out, float64(x))
		}
	default:
		t.Fatalf("unexpected dtype %s", o.DType())
	}
	return out
}

// eps is the rounding unit of dtype.
func eps(dtype dtypes.DType) float64 {
	if dtype == dtypes.Float32 {
		return 0x1p-24
	}
	return 0x1p-53
}

// close reports whether got is within tol of want; NaN is never close, and infinities only to themselves.
func close(got, want, tol float64) bool {
	return got == want || math.Abs(got-want) <= tol
}

// sqDist returns ‖a − b‖² in float64.
func sqDist(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return s
}

func dotf(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// meanRow returns the mean of the rows of m.
func meanRow(m mat) []float64 {
	c := make([]float64, m.cols)
	for i := 0; i < m.rows; i++ {
		for j, v := range m.row(i) {
			c[j] += v / float64(m.rows)
		}
	}
	return c
}

func allFinite(x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("element %d is %v", i, v)
		}
	}
	return nil
}
