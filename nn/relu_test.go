package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestReLUMatchesAutodiff checks ReLU's value and closed-form gradient against GoMLX's autodiff of max(x, 0) in
// float64 (no input is exactly 0, where the two conventions differ), through L = Σ c ⊙ ReLU(x).
func TestReLUMatchesAutodiff(t *testing.T) {
	backend, err := compute.New()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	x, c := make([]float64, 36), make([]float64, 36)
	for i := range x {
		x[i], c[i] = 10*rng.NormFloat64(), rng.NormFloat64()
	}
	outs, err := ExecOnceN(backend, func(x, c *Node) []*Node {
		r, ref := ReLU(x), Max(x, ZerosLike(x))
		return []*Node{r, ref, Gradient(ReduceAllSum(Mul(r, c)), x)[0], Gradient(ReduceAllSum(Mul(ref, c)), x)[0]}
	}, tensors.FromFlatDataAndDimensions(x, 4, 9), tensors.FromFlatDataAndDimensions(c, 4, 9))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"ReLU", "∂ReLU/∂x"} {
		got, err1 := tensors.CopyFlatData[float64](outs[2*i])
		want, err2 := tensors.CopyFlatData[float64](outs[2*i+1])
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for j := range got {
			if !(math.Abs(got[j]-want[j]) <= 1e-15*(1+math.Abs(want[j]))) {
				t.Errorf("%s[%d] = %v, autodiff of max(x, 0) gives %v", name, j, got[j], want[j])
			}
		}
	}
}
