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

// TestKLIsOfTheSampleLaw checks that the KL term is that of the law the code is drawn from: softmax(θ/τ_f) for the
// decoupled estimators, softmax(θ) for the others (τ_f = 0 or 1), against Σ q log(q + 1e-10) + L·log C computed here
// in float64.
func TestKLIsOfTheSampleLaw(t *testing.T) {
	backend, err := compute.New()
	if err != nil {
		t.Fatal(err)
	}
	const latents, categories = 2, 3
	theta := []float64{0.3, -1.2, 2.0, 1.5, 0.1, -0.4} // one image, two latents
	kl := func(tf float64) float64 {
		var sum float64
		for l := range latents {
			row := theta[l*categories : (l+1)*categories]
			var z float64
			for _, v := range row {
				z += math.Exp(v / tf)
			}
			for _, v := range row {
				q := math.Exp(v/tf) / z
				sum += q * math.Log(q+1e-10)
			}
		}
		return sum + latents*math.Log(categories)
	}
	for _, tf := range []float64{0, 1, 0.5, 2} {
		m := vae{cfg: Config{Latents: latents, Categories: categories, TauForward: tf}}
		got, err := ExecOnce(backend, func(logits *Node) *Node {
			return m.klUniform(m.sampleLaw(logits, Softmax(logits, -1)))
		}, tensors.FromFlatDataAndDimensions(theta, 1, latents, categories))
		if err != nil {
			t.Fatal(err)
		}
		want := kl(1)
		if tf != 0 && tf != 1 {
			want = kl(tf)
		}
		if v := tensors.ToScalar[float64](got); !(math.Abs(v-want) <= 1e-12) {
			t.Errorf("τ_f = %g: KL = %.15g, want %.15g", tf, v, want)
		}
	}
}
