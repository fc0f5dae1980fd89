package vq_test

import (
	"fmt"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend
	"github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/vq"
)

// Two vectors quantised to a codebook of three codes with VQ-VAE's straight-through estimator: the nearest codes,
// and the loss (1 + β)·mean((z − q)²) = 1.25 · (0.01 + 0.01 + 0 + 1)/4.
func ExampleQuantizer() {
	backend := compute.MustNew()
	q := vq.Quantizer{Codes: 3, Dim: 2, Method: vq.STE, Beta: 0.25}
	outs, err := graph.ExecOnceN(backend, func(z, codebook *graph.Node) []*graph.Node {
		r := q.Quantize(nil, z, codebook) // ste draws no random numbers
		return []*graph.Node{r.Index, r.Quantized, r.Loss}
	}, [][]float32{{0.9, 0.1}, {-1, 2}}, [][]float32{{1, 0}, {0, 1}, {-1, 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("codes %v, quantized %v, loss %.5f\n", outs[0].Value(), outs[1].Value(), outs[2].Value())
	// Output:
	// codes [0 2], quantized [[1 0] [-1 1]], loss 0.31875
}

// A stochastic code with ReinMax: z = (0.2, 0.1) is quantised to code (0, 0) of the codebook {(0, 0), (1, 1)} (drawn
// with probability 0.9963 at T = 1/4), yet the gradient of L = ⟨q, (1, 2)⟩ reaches z through the logits
// −‖z − e_k‖²/T: by hand, ∂L/∂θ = 2J(π₁)g_D − ½J(π₀)g_D = (−0.005526, 0.005526) with g_D = E·(1, 2) = (0, 3), and
// ∂L/∂z = −(2/T) Σ_k (∂L/∂θ_k)(z − e_k) = (0.04421, 0.04421).
func ExampleSample() {
	backend := compute.MustNew()
	est, err := reinmax.NewStraightThrough("reinmax", reinmax.Params{})
	if err != nil {
		fmt.Println(err)
		return
	}
	outs, err := graph.ExecOnceN(backend, func(z, codebook *graph.Node) []*graph.Node {
		quantized, _ := vq.Sample(est, reinmax.NewStateSource(z.Graph(), 1), z, codebook, 0.25)
		loss := graph.ReduceAllSum(graph.Mul(quantized, graph.Const(z.Graph(), [][]float64{{1, 2}})))
		return []*graph.Node{quantized, graph.Gradient(loss, z)[0]}
	}, [][]float64{{0.2, 0.1}}, [][]float64{{0, 0}, {1, 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("quantized %v, gradient %.5f\n", outs[0].Value(), outs[1].Value())
	// Output:
	// quantized [[0 0]], gradient [[0.04421 0.04421]]
}
