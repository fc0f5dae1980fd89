package reinmax

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Helpers shared by the internal tests (package reinmax).

// tensorOf returns a tensor of the given dtype (Float32 or Float64) and dimensions holding x.
func tensorOf(dtype dtypes.DType, x []float64, dims ...int) *tensors.Tensor {
	if dtype == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(append([]float64(nil), x...), dims...)
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return tensors.FromFlatDataAndDimensions(y, dims...)
}

// valuesOf returns the flat data of a Float32 or Float64 tensor as float64.
func valuesOf(t testing.TB, x *tensors.Tensor) []float64 {
	t.Helper()
	switch x.DType() {
	case dtypes.Float64:
		return tensors.MustCopyFlatData[float64](x)
	case dtypes.Float32:
		y := tensors.MustCopyFlatData[float32](x)
		z := make([]float64, len(y))
		for i, v := range y {
			z[i] = float64(v)
		}
		return z
	}
	t.Fatalf("unexpected dtype %s", x.DType())
	return nil
}

// run builds and runs fn once on the test backend and returns its outputs as float64 slices.
func run(t testing.TB, fn func(g *Graph, in []*Node) []*Node, args ...any) [][]float64 {
	t.Helper()
	outs, err := ExecOnceN(testutil.Backend(t), fn, args...)
	if err != nil {
		t.Fatalf("executing graph: %v", err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		res[i] = valuesOf(t, o)
	}
	return res
}

// allFinite returns the index of the first value that is NaN or ±Inf, or -1.
func allFinite(x []float64) int {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i
		}
	}
	return -1
}

// nearlyEqual reports whether got is within tol of want, relative to max(1, |want|); NaN is never near anything.
func nearlyEqual(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// oneHotRows returns the n×c one-hot matrix of the given categories, row-major.
func oneHotRows(cats []int, c int) []float64 {
	x := make([]float64, len(cats)*c)
	for i, s := range cats {
		x[i*c+s] = 1
	}
	return x
}

// normals returns n standard normal draws.
func normals(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// uniforms returns n draws of U(lo, hi).
func uniforms(rng *rand.Rand, n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*rng.Float64()
	}
	return x
}

// fixedSource is a Source that returns the values vals (converted to the requested dtype) cycled over the elements of
// the requested shape, in row-major order. It ignores any random state: it feeds extreme uniforms to the estimators.
type fixedSource struct {
	name     string
	f32, f64 []float64
}

func (s fixedSource) Uniform(g *Graph, shape shapes.Shape) *Node {
	vals := s.f64
	if shape.DType == dtypes.Float32 {
		vals = s.f32
	}
	x := make([]float64, shape.Size())
	for i := range x {
		x[i] = vals[i%len(vals)]
	}
	return Const(g, tensorOf(shape.DType, x, shape.Dimensions...))
}
