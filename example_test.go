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

// The straight-through gradient (1/τ)·J(softmax(θ/τ))·∂L/∂hard on the same input, at τ = 1 and τ = 2.
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
// to soft = softmax(logits) (standard error below 0.005, so one decimal is stable).
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
