package vq

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestMixCodesMatchesAutodiff checks mixCodes' value and closed-form gradients against GoMLX's autodiff of D·E, in
// float64: for relaxed samples (rows of a softmax) and for one-hot ones (read by a gather), through L = Σ w ⊙ (D·E).
func TestMixCodesMatchesAutodiff(t *testing.T) {
	t.Parallel()
	backend, err := compute.New()
	if err != nil {
		t.Fatal(err)
	}
	const n, k, d = 6, 5, 3
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(dims ...int) *tensors.Tensor {
		v := make([]float64, dims[0]*dims[1])
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	for _, relaxed := range []bool{true, false} {
		outs, err := ExecOnceN(backend, func(logits, e, w *Node) []*Node {
			hard := Softmax(logits, -1)
			if !relaxed {
				hard = Add(hard, StopGradient(Sub(OneHot(ArgMax(logits, -1), k, hard.DType()), hard))) // one-hot value
			}
			got, want := mixCodes(hard, e, relaxed), DotGeneral(hard, []int{1}, nil, e, []int{0}, nil)
			gg := Gradient(ReduceAllSum(Mul(w, got)), logits, e)
			gw := Gradient(ReduceAllSum(Mul(w, want)), logits, e)
			return []*Node{got, want, gg[0], gw[0], gg[1], gw[1]}
		}, random(n, k), random(k, d), random(n, d))
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range []string{"value", "∂L/∂logits", "∂L/∂E"} {
			got, err1 := tensors.CopyFlatData[float64](outs[2*i])
			want, err2 := tensors.CopyFlatData[float64](outs[2*i+1])
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			for j := range got {
				if !(math.Abs(got[j]-want[j]) <= 1e-14*(1+math.Abs(want[j]))) {
					t.Errorf("relaxed %v: %s[%d] = %.16g, autodiff of D·E gives %.16g", relaxed, name, j, got[j], want[j])
				}
			}
		}
	}
}
