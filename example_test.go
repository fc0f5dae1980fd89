package reinmax_test

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend
	"github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
)

// The gradient that ReinMax passes to the logits for a fixed sample: the first test vector of the reference
// (θ = [1, -0.5, 0.25], sample e2, ∂L/∂hard = [0.3, -1.2, 2], τ = 1).
func ExampleReinMax() {
	backend := compute.MustNew()
	exec := graph.MustNewExec(backend, func(logits, onehot, gHard *graph.Node) []*graph.Node {
		src := reinmax.NewStateSource(logits.Graph(), 1) // ReinMax draws no noise given the sample
		hard, soft := reinmax.ReinMax{Tau: 1}.Given(src, logits, onehot)
		loss := graph.ReduceAllSum(graph.Mul(hard, gHard)) // so that ∂L/∂hard = gHard
		return []*graph.Node{soft, graph.Gradient(loss, logits)[0]}
	})
	defer exec.Finalize()
	outs := exec.MustCall([][]float64{{1, -0.5, 0.25}}, [][]float64{{0, 1, 0}}, [][]float64{{0.3, -1.2, 2}})
	fmt.Printf("soft     %.4f\ngradient %.4f\n", outs[0].Value(), outs[1].Value())
	// Output:
	// soft     [[0.5898 0.1316 0.2786]]
	// gradient [[0.4423 -0.8881 0.4458]]
}

// The straight-through gradient (1/τ)·J(testutil.Softmax(θ/τ))·∂L/∂hard on the same input, at τ = 1 and τ = 2.
func ExampleST() {
	backend := compute.MustNew()
	for _, tau := range []float64{1, 2} {
		outs, err := graph.ExecOnceN(backend, func(logits, onehot, gHard *graph.Node) []*graph.Node {
			hard, _ := reinmax.ST{Tau: tau}.Given(nil, logits, onehot) // ST draws no noise given the sample
			loss := graph.ReduceAllSum(graph.Mul(hard, gHard))
			return []*graph.Node{hard, graph.Gradient(loss, logits)[0]}
		}, [][]float64{{1, -0.5, 0.25}}, [][]float64{{0, 1, 0}}, [][]float64{{0.3, -1.2, 2}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("tau %g: hard %v, gradient %.4f\n", tau, outs[0].Value(), outs[1].Value())
	}
	// Output:
	// tau 1: hard [[0 1 0]], gradient [[-0.1629 -0.2338 0.3967]]
	// tau 2: hard [[0 1 0]], gradient [[-0.0493 -0.1873 0.2366]]
}

// Sampling with ReinMax: 10000 rows of the same logits log(0.5, 0.3, 0.2). The mean of the one-hot samples is close
// to soft = testutil.Softmax(logits) (standard error below 0.005, so one decimal is stable).
func ExampleReinMax_Sample() {
	backend := compute.MustNew()
	outs, err := graph.ExecOnceN(backend, func(g *graph.Graph) []*graph.Node {
		logits := graph.Log(graph.Const(g, [][]float32{{0.5, 0.3, 0.2}}))
		logits = graph.BroadcastToDims(logits, 10000, 3)
		src := reinmax.NewStateSource(g, 42)
		hard, soft := reinmax.ReinMax{Tau: 1.3}.Sample(src, logits)
		return []*graph.Node{graph.ReduceMean(hard, 0), graph.ReduceMean(soft, 0)}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("mean of hard %.1f\nsoft         %.1f\n", outs[0].Value(), outs[1].Value())
	// Output:
	// mean of hard [0.5 0.3 0.2]
	// soft         [0.5 0.3 0.2]
}

// Estimators by name, as a command-line flag would select them.
func ExampleNewStraightThrough() {
	for _, name := range []string{"reinmax", "gr-mck", "nope"} {
		e, err := reinmax.NewStraightThrough(name, reinmax.Params{Tau: 1.3})
		if err != nil {
			// The error goes on to list the valid names.
			fmt.Println(strings.SplitN(err.Error(), " (", 2)[0])
			continue
		}
		fmt.Printf("%s: %T\n", e.Name(), e)
	}
	// Output:
	// reinmax: reinmax.ReinMax
	// gr-mck: reinmax.GRMCK
	// reinmax: unknown estimator "nope"
}

// ReinMax with a free mixing weight on the reference row: α = 1 is ReinMax; at τ = 1 the gradient for any α is
// (1 − 1/α)·ST + (1/α)·ReinMax, so α = 2 lies halfway between ST's [-0.1629 -0.2338 0.3967] and ReinMax's.
func ExampleReinMaxAlpha() {
	backend := compute.MustNew()
	for _, alpha := range []float64{1, 2} {
		outs, err := graph.ExecOnceN(backend, func(logits, onehot, gHard *graph.Node) *graph.Node {
			hard, _ := reinmax.ReinMaxAlpha{Alpha: alpha}.Given(nil, logits, onehot) // no noise given the sample
			return graph.Gradient(graph.ReduceAllSum(graph.Mul(hard, gHard)), logits)[0]
		}, [][]float64{{1, -0.5, 0.25}}, [][]float64{{0, 1, 0}}, [][]float64{{0.3, -1.2, 2}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("alpha %g: gradient %.4f\n", alpha, outs[0].Value())
	}
	// Output:
	// alpha 1: gradient [[0.4423 -0.8881 0.4458]]
	// alpha 2: gradient [[0.1397 -0.5609 0.4212]]
}

// The Bernoulli form of ReinMax for one binary variable with logit α = 0.4 and the sample b = 1: the gradient of
// L = b to α is 2q(1 − q) − ½σ'(α) with q = (σ(α) + 1)/2, the two-category ReinMax at logits (α, 0).
func ExampleNewBinary() {
	e, err := reinmax.NewBinary("reinmax", reinmax.Params{})
	if err != nil {
		fmt.Println(err)
		return
	}
	outs, err := graph.ExecOnceN(compute.MustNew(), func(alpha, bits *graph.Node) []*graph.Node {
		hard, soft := e.GivenBinary(nil, reinmax.Bernoulli, alpha, bits)
		return []*graph.Node{hard, soft, graph.Gradient(graph.ReduceAllSum(hard), alpha)[0]}
	}, []float64{0.4}, []float64{1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("hard %v, soft %.4f, gradient %.4f\n", outs[0].Value(), outs[1].Value(), outs[2].Value())
	if _, err := reinmax.NewBinary("gr-mck", reinmax.Params{}); err != nil {
		fmt.Println(strings.SplitN(err.Error(), " (", 2)[0])
	}
	// Output:
	// hard [1], soft [0.5987], gradient [0.2007]
	// reinmax: gr-mck has no Bernoulli form
}
