package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestDenseMatchesAutodiff checks Dense's value and its closed-form gradients with respect to W, b and x against
// GoMLX's autodiff of the textbook product x·Wᵀ + b, for inputs of rank 2 and 3, through a loss L = Σ c ⊙ y with
// fixed random c. Both sides run in float64, so they agree to rounding.
func TestDenseMatchesAutodiff(t *testing.T) {
	backend, err := compute.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		dims []int // of x; the last is the number of inputs
		out  int
	}{
		{"matrix", []int{5, 7}, 3},
		{"rank 3", []int{2, 4, 6}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(tc.dims))))
			random := func(dims ...int) *tensors.Tensor {
				n := 1
				for _, d := range dims {
					n *= d
				}
				v := make([]float64, n)
				for i := range v {
					v[i] = rng.NormFloat64()
				}
				return tensors.FromFlatDataAndDimensions(v, dims...)
			}
			yDims := append(append([]int(nil), tc.dims[:len(tc.dims)-1]...), tc.out)
			x, c := random(tc.dims...), random(yDims...)
			store := model.NewStore()
			outs, err := model.ExecOnceN(backend, store, func(scope *model.Scope, x, c *Node) []*Node {
				y := Dense(scope, x, tc.out)
				w := scope.GetVariable("weights").NodeValue(x.Graph())
				b := scope.GetVariable("biases").NodeValue(x.Graph())
				got := Gradient(ReduceAllSum(Mul(y, c)), w, b, x)
				yRef := Add(DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{1}, nil), ExpandLeftToRank(b, x.Rank()))
				want := Gradient(ReduceAllSum(Mul(yRef, c)), w, b, x)
				return []*Node{y, yRef, got[0], want[0], got[1], want[1], got[2], want[2]}
			}, x, c)
			if err != nil {
				t.Fatal(err)
			}
			names := []string{"y", "dL/dW", "dL/db", "dL/dx"}
			for i, name := range names {
				got, want := flat(t, outs[2*i]), flat(t, outs[2*i+1])
				if len(got) != len(want) {
					t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
				}
				for j := range got {
					if !(math.Abs(got[j]-want[j]) <= 1e-12*(1+math.Abs(want[j]))) {
						t.Errorf("%s[%d] = %.15g, autodiff gives %.15g", name, j, got[j], want[j])
					}
				}
			}
		})
	}
}

func flat(t *testing.T, x *tensors.Tensor) []float64 {
	t.Helper()
	v, err := tensors.CopyFlatData[float64](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
