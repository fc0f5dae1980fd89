package moe_test

import (
	"fmt"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/moe"
)

// Four tokens routed by Switch over two experts, expert 0 doubling its input and expert 1 negating it, each
// expert taking at most ⌈1·4/2⌉ = 2 tokens: the third token that prefers expert 0 is dropped (its output is 0).
// The router's gradient is that of the gates of the chosen experts.
func ExampleRouter_Forward() {
	experts := func(x *Node) *Node { // x: (2, n, 1) -> (2, n, 1)
		scale := Reshape(Const(x.Graph(), []float64{2, -1}), 2, 1, 1)
		return Mul(x, scale)
	}
	router := moe.Router{Method: moe.Switch, TopK: 1, Capacity: 1}
	outs, err := ExecOnceN(compute.MustNew(), func(logits, x *Node) []*Node {
		y, d := router.Forward(reinmax.NewStateSource(logits.Graph(), 1), logits, x, experts)
		grad := Gradient(ReduceAllSum(y), logits)[0]
		return []*Node{y, d.Choice, d.Kept, d.Dropped, grad}
	}, [][]float64{{1, 0}, {2, 0}, {0, 1}, {3, 0}}, [][]float64{{1}, {1}, {1}, {1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("y        %.4f\nchoice   %v\nkept     %v\ndropped  %v\ngradient %.4f\n",
		outs[0].Value(), outs[1].Value(), outs[2].Value(), outs[3].Value(), outs[4].Value())
	// Output:
	// y        [[1.4621] [1.7616] [-0.7311] [0.0000]]
	// choice   [[0] [0] [1] [0]]
	// kept     [[1] [1] [1] [0]]
	// dropped  1
	// gradient [[0.3932 -0.3932] [0.2100 -0.2100] [0.1966 -0.1966] [0.0000 0.0000]]
}
