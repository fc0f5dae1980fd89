package reinmax_test

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/f60e9205/reinmax"
)

// benchShape is the logits tensor of the benchmarks: 1000 examples of 30 categorical variables with 10 categories,
// the categorical VAE's 10x30 latent code at ten times its batch.
var benchShape = []int{1000, 30, 10}

// BenchmarkStraightThrough times one forward and backward pass of every straight-through estimator of the
// registry on logits of shape (1000, 30, 10): sampling, the loss L = <hard, a> + <soft, b> for fixed random a and
// b, and ∂L/∂logits, in one graph execution. GR-MCK runs with K = 10 (its default of 100 takes seconds). Run with
// GOEXPERIMENT=simd. The backend executes one operation at a time, as the experiments run (unless $GOMLX_BACKEND
// says otherwise), which makes the timings much less sensitive to other load on the machine.
func BenchmarkStraightThrough(b *testing.B) {
	backend, err := compute.NewWithConfig("go:ops_sequential")
	if _, ok := os.LookupEnv(compute.ConfigEnvVar); ok {
		backend, err = compute.New()
	}
	if err != nil {
		b.Fatal(err)
	}
	n := benchShape[0] * benchShape[1] * benchShape[2]
	rng := rand.New(rand.NewPCG(3, 4))
	random := func() *tensors.Tensor {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return tensors.FromFlatDataAndDimensions(x, benchShape...)
	}
	logits, a, c := random(), random(), random()
	for _, name := range reinmax.Names(reinmax.StraightThroughFamily) {
		b.Run(name, func(b *testing.B) {
			params := reinmax.Params{Tau: 1.5}
			if name == "stgs" || name == "gumbel-softmax" {
				params.Tau = 0.5
			}
			if name == "gr-mck" {
				params.K = 10
			}
			est, err := reinmax.NewStraightThrough(name, params)
			if err != nil {
				b.Fatal(err)
			}
			exec, err := NewExec(backend, func(logits, a, c *Node) *Node {
				src := reinmax.NewStateSource(logits.Graph(), 1)
				hard, soft := est.Sample(src, logits)
				loss := Add(ReduceAllSum(Mul(hard, a)), ReduceAllSum(Mul(soft, c)))
				return Gradient(loss, logits)[0]
			})
			if err != nil {
				b.Fatal(err)
			}
			defer exec.Finalize()
			if _, err := exec.Exec(logits, a, c); err != nil { // compilation
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := exec.Exec(logits, a, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
