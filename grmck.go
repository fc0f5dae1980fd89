package reinmax

import (
	"cmp"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// GRMCK is the Gumbel-Rao estimator with K Monte-Carlo samples (GR-MCK) of Paulus, Maddison & Krause (2021): STGS
// Rao-Blackwellised over the Gumbel noise given the sample.
//
// With θ the logits, D ~ Cat(softmax(θ)) with category s, z_k = θ + G_k for K Gumbel vectors drawn conditionally on
// argmax z_k = s, g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D,  soft = softmax(θ)
//	backward: ∂L/∂θ = (1/K)·Σ_k (1/τ)·J(softmax(z_k/τ))·g_D + J(softmax(θ))·g_p
//
// Its expectation equals STGS's and its variance falls with K; the cost of the backward pass grows like K. The
// conditional Gumbels are computed in log space, so large logits cannot overflow. Tau must be positive and K at
// least 1; the zero value selects τ = 1 and K = 100 (the default of the original code).
//
// When the K perturbed copies of the logits exceed 2²⁰ numbers, the forward pass, which needs no noise besides the
// sample, draws none: the perturbations are drawn from src when the gradient is built, and the sum over k is
// accumulated in chunks inside a loop of the graph, so that the memory held at once is that of one chunk (about
// 2²⁰ perturbed logits), not K times the logits, while the time still grows like K.
//
// Reference: M. B. Paulus, C. J. Maddison, A. Krause, "Rao-Blackwellizing the Straight-Through Gumbel-Softmax
// Gradient Estimator", ICLR 2021.
type GRMCK struct {
	Tau float64
	K   int
}

// Name implements StraightThrough.
func (GRMCK) Name() string { return "gr-mck" }

// Validate returns an error unless the parameters are in range.
func (e GRMCK) Validate() error {
	if err := checkTau("gr-mck", e.tau(), 0); err != nil {
		return err
	}
	if e.K < 0 {
		return fmt.Errorf("reinmax: gr-mck: K = %d, want K >= 1", e.K)
	}
	return nil
}

func (e GRMCK) tau() float64 { return cmp.Or(e.Tau, 1) }
func (e GRMCK) k() int       { return cmp.Or(e.K, 100) }

// Sample implements StraightThrough.
func (e GRMCK) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits("gr-mck", logits)
	return e.Given(src, logits, Categorical(src, logits))
}

// Given implements StraightThrough.
func (e GRMCK) Given(src Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits("gr-mck", logits)
	checkOneHot("gr-mck", logits, onehot)
	must(e.Validate())
	theta := finite(logits)
	if k := e.k(); k > chunkSize(theta) {
		return gumbelRaoJacobian(src, theta, onehot, k, e.tau()), Softmax(logits, -1)
	}
	z := conditionalGumbel(src, theta, onehot, e.k())
	return relaxedJacobian(theta, onehot, z, e.tau()), Softmax(logits, -1)
}

// chunkSize is the number of perturbations of theta that make one chunk of gumbelRaoJacobian.
func chunkSize(theta *Node) int {
	return max(1, chunkElements/theta.Shape().Size())
}

// chunkElements bounds the number of perturbed logits gumbelRaoJacobian holds at once.
const chunkElements = 1 << 20

// gumbelRaoJacobian returns a node with the value of onehot whose gradient to theta is gumbelRaoVJP's: the same
// gradient as relaxedJacobian(theta, onehot, conditionalGumbel(src, theta, onehot, k), tau), with the noise drawn
// while the gradient is built.
func gumbelRaoJacobian(src Source, theta, onehot *Node, k int, tau float64) *Node {
	return withGradient(theta, onehot, gumbelRaoVJP(src, theta, onehot, k, tau))
}

// gumbelRaoVJP returns the function g_D ↦ (1/K)·Σ_k (1/τ)·J(softmax(z_k/τ))·g_D for K draws z_k of
// conditionalGumbel(src, theta, onehot, ·), drawn from src when the function is called (in the backward pass).
//
// The draws come in chunks of m = max(1, chunkElements/size(theta)) perturbations. When K ≤ m they are one
// draw from src, the one relaxedJacobian's caller would make; otherwise ⌊K/m⌋ chunks are drawn in a While loop
// from a random number generator state seeded from src, and the K mod m left over are drawn from src after it.
// A chunk is folded into a running sum of m terms as soon as it is drawn, so the live memory is O(m·size(theta)).
func gumbelRaoVJP(src Source, theta, onehot *Node, k int, tau float64) func(gD *Node) *Node {
	fixed := StopGradient(theta)
	return func(gD *Node) *Node {
		g := theta.Graph()
		m := chunkSize(theta)
		if k <= m {
			return DivScalar(ReduceSum(jacobianTerms(src, chunkInputs(fixed, onehot, gD, k, tau), tau), 0), tau*float64(k))
		}
		n, rest := k/m, k%m
		in := chunkInputs(fixed, onehot, gD, m, tau)
		terms := chunkLoop(derivedState(src, g), n, ZerosLike(in.d), func(src Source, acc *Node) *Node {
			return Add(acc, jacobianTerms(src, in, tau))
		})
		sum := ReduceSum(terms, 0)
		if rest > 0 {
			sum = Add(sum, ReduceSum(jacobianTerms(src, chunkInputs(fixed, onehot, gD, rest, tau), tau), 0))
		}
		return DivScalar(sum, tau*float64(k))
	}
}

// chunk holds what every chunk of m perturbations needs, computed once and broadcast to the chunk's shape
// (m, ..., C) or (m, ..., 1), so that the chunk's element-wise operations take the backend's fast path for operands
// of equal shapes. With θ̃ = θ − max θ and Z̃ = Σ exp θ̃:
type chunk struct {
	d, gD *Node // the one-hot sample and ∂L/∂hard
	a     *Node // exp(−θ̃) at τ = 1 (+Inf for masked categories), θ̃ otherwise
	z     *Node // Z̃ at τ = 1, log Z̃ otherwise
}

// chunkInputs prepares the inputs of a chunk of m perturbations of theta (without gradient) given onehot.
func chunkInputs(theta, onehot, gD *Node, m int, tau float64) chunk {
	shape := theta.Shape().Clone()
	shape.Dimensions = append([]int{m}, shape.Dimensions...)
	narrow := shape.Clone()
	narrow.Dimensions[narrow.Rank()-1] = 1
	wide := func(x *Node) *Node { return BroadcastToShape(InsertAxes(x, 0), shape) }
	shifted := Sub(theta, ReduceAndKeep(theta, ReduceMax, -1))
	z := ReduceAndKeep(Exp(shifted), ReduceSum, -1) // in [1, C]
	c := chunk{d: wide(onehot), gD: wide(gD)}
	if tau == 1 {
		c.a, c.z = wide(Exp(Neg(shifted))), BroadcastToShape(InsertAxes(z, 0), narrow)
	} else {
		c.a, c.z = wide(shifted), BroadcastToShape(InsertAxes(Log(z), 0), narrow)
	}
	return c
}

// jacobianTerms draws the m conditional Gumbel perturbations z_k of a chunk from src and returns the m terms
// J(softmax(z_k/τ))·g_D, shaped (m, ...).
//
// The perturbations are those of conditionalGumbel, from the same uniforms, written relative to θ̃ = θ − max θ
// (softmax ignores the shift) with E ~ Exp(1):
//
//	z̃_s = log Z̃ − log E_s,   z̃_j = −logaddexp(log E_j − θ̃_j, log E_s − log Z̃),  j ≠ s
//
// At τ = 1 the probabilities need no logarithm of E: the weights exp z̃ are Z̃/E_s and 1/(E_j·exp(−θ̃_j) + E_s/Z̃),
// and softmax(z̃) is the weights over their sum. Other temperatures use the log-space form, accurate for very
// negative logits at any τ.
//
// The terms are built inside a While loop (chunkLoop), where the pure-Go backend of GoMLX v0.28.2 compiles
// closures before its graph optimisations, which then rewire a binary operation fed by a same-rank BroadcastInDim
// to the broadcast's input: the compiled closure frees that input early and fails ("input not computed yet"). So
// the broadcasts are done by chunkInputs outside the loop, and here only implicitly by binary operations.
func jacobianTerms(src Source, c chunk, tau float64) *Node {
	e := Neg(Log(src.Uniform(c.d.Graph(), c.d.Shape()))) // E ~ Exp(1)
	es := ReduceAndKeep(Mul(e, c.d), ReduceSum, -1)      // E_s, (m, ..., 1)
	var p *Node
	if tau == 1 {
		others := Reciprocal(Add(Mul(e, c.a), Div(es, c.z)))
		w := Add(Mul(c.d, Div(c.z, es)), Mul(OneMinus(c.d), others))
		p = Div(w, ReduceAndKeep(w, ReduceSum, -1))
	} else {
		top := Sub(c.z, Log(es)) // z̃_s
		x := Sub(Log(e), c.a)    // log E_j − θ̃_j, finite (masked logits are finite, see finite)
		y := Neg(top)            // log E_s − log Z̃
		rest := Neg(Add(Max(x, y), Log1p(Exp(Neg(Abs(Sub(x, y)))))))
		p = Softmax(DivScalar(Add(Mul(c.d, top), Mul(OneMinus(c.d), rest)), tau), -1)
	}
	return softmaxJVP(p, c.gD)
}

// derivedState returns a random number generator state (graph.RNGStateShape) whose words are drawn from src, for
// a loop that cannot call src itself.
func derivedState(src Source, g *Graph) *Node {
	u := src.Uniform(g, shapes.Make(dtypes.Float64, RNGStateShape.Dimensions...))
	return ConvertDType(MulScalar(u, math.Ldexp(1, 64)), RNGStateShape.DType)
}

// chunkLoop runs body n times in a While loop of the graph, threading acc through it; body draws from a
// StateSource on a state that starts at state and advances at every iteration.
func chunkLoop(state *Node, n int, acc *Node, body func(src Source, acc *Node) *Node) *Node {
	g := acc.Graph()
	counter := shapes.Make(dtypes.Int32)
	// GoMLX v0.28.2 caches scalar constants per graph, not per function: a scalar first made inside a closure and
	// used again outside it (or in the other closure) breaks the graph ("a node from a different function scope").
	// Building the body once in the enclosing function first puts every scalar it makes in the cache in that
	// function's scope, where the closures capture them. The nodes of that build are never used, so never run.
	body(&StateSource{State: state}, acc)
	Scalar(g, dtypes.Int32, n)
	Scalar(g, dtypes.Int32, 1)
	cond := NewClosure(g, func(g *Graph) []*Node {
		i := Parameter(g, "i", counter)
		Parameter(g, "state", state.Shape())
		Parameter(g, "acc", acc.Shape())
		return []*Node{LessThan(i, Scalar(g, dtypes.Int32, n))}
	})
	loop := NewClosure(g, func(g *Graph) []*Node {
		i := Parameter(g, "i", counter)
		src := &StateSource{State: Parameter(g, "state", state.Shape())}
		next := body(src, Parameter(g, "acc", acc.Shape()))
		return []*Node{AddScalar(i, 1), src.State, next}
	})
	return While(cond, loop, ScalarZero(g, dtypes.Int32), state, acc)[2]
}
