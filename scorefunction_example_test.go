package reinmax_test

import (
	"fmt"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
)

// ExampleNewScoreFunction estimates the gradient of E f(b) for two Bernoulli variables with logits (1, −1) and
// f(b) = (b₀ + b₁ − 1)², exactly and with RLOO (K = 4 evaluations, averaged over 20000 examples that share the
// logits). f maps samples of shape (K, batch, L) to losses of shape (K, batch). By hand: q(00) = q(11) = σ(1)σ(−1)
// = 0.197, so E f = 0.393, and ∂E f/∂α₀ = σ(1)σ(−1)·(σ(−1) − σ(1)) = −0.091.
func ExampleNewScoreFunction() {
	backend := compute.MustNew()
	f := func(b *Node) *Node { return Square(AddScalar(ReduceSum(b, -1), -1)) }
	for _, name := range []string{"exact", "rloo"} {
		est, err := reinmax.NewScoreFunction(name, reinmax.Params{K: 4})
		if err != nil {
			fmt.Println(err)
			return
		}
		outs, err := ExecOnceN(backend, func(alpha *Node) []*Node {
			logits := BroadcastToDims(InsertAxes(alpha, 0), 20000, 2)
			src := reinmax.NewStateSource(alpha.Graph(), 1)
			loss := ReduceAllMean(est.Estimate(nil, src, reinmax.Bernoulli, logits, f))
			return []*Node{loss, Gradient(loss, alpha)[0]}
		}, []float64{1, -1})
		if err != nil {
			fmt.Println(err)
			return
		}
		g := outs[1].Value().([]float64)
		fmt.Printf("%-5s E f = %.2f, gradient = (%.2f, %.2f)\n", name, outs[0].Value(), g[0], g[1])
	}
	_, err := reinmax.NewScoreFunction("disarm", reinmax.Params{K: 3})
	fmt.Println(err)
	// Output:
	// exact E f = 0.39, gradient = (-0.09, 0.09)
	// rloo  E f = 0.39, gradient = (-0.09, 0.09)
	// reinmax: disarm: K = 3, want an even K >= 2 (K evaluations of f = K/2 antithetic pairs)
}
