package catvae

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestClosedFormGradients checks the model's closed-form gradients against GoMLX's autodiff of the textbook forms,
// in float64 on random inputs (pixel logits up to ±40, where the naive forms overflow e^o in float32):
// bernoulliNLL against softplus(o) − x·o (value and gradient). (The ReLU's are tested in package nn.)
func TestClosedFormGradients(t *testing.T) {
	backend, err := compute.New()
	if err != nil {
		t.Fatal(err)
	}
	const b, n = 4, 9
	rng := rand.New(rand.NewPCG(7, 8))
	o, x, c := make([]float64, b*n), make([]float64, b*n), make([]float64, b*n)
	for i := range o {
		o[i] = 80 * (rng.Float64() - 0.5)
		if i%5 == 0 {
			o[i] = rng.NormFloat64() // some near 0, where the stable form switches branch
		}
		x[i] = rng.Float64()
		c[i] = rng.NormFloat64()
	}
	tensor := func(v []float64) *tensors.Tensor { return tensors.FromFlatDataAndDimensions(v, b, n) }
	exec, err := NewExec(backend, func(o, x, c *Node) []*Node {
		nll := bernoulliNLL(x, o)
		nllRef := DivScalar(ReduceAllSum(Sub(Softplus(o), Mul(x, o))), b)
		return []*Node{
			nll, nllRef,
			Gradient(nll, o)[0], Gradient(nllRef, o)[0],
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(tensor(o), tensor(x), tensor(c))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"bernoulliNLL", "∂bernoulliNLL/∂o"} {
		got, err1 := tensors.CopyFlatData[float64](outs[2*i])
		want, err2 := tensors.CopyFlatData[float64](outs[2*i+1])
		if err1 != nil || err2 != nil || len(got) != len(want) {
			t.Fatalf("%s: %v %v, %d values, want %d", name, err1, err2, len(got), len(want))
		}
		for j := range got {
			if !(math.Abs(got[j]-want[j]) <= 1e-12*(1+math.Abs(want[j]))) {
				t.Errorf("%s[%d] = %.15g, autodiff of the textbook form gives %.15g", name, j, got[j], want[j])
			}
		}
	}
}
