package reinmax

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// MaxExactOutcomes is the largest number of joint outcomes (2^L for L Bernoulli variables, C^L for L categorical
// ones) that Exact enumerates: 65536, enough for 16 binary variables or the 8×4 categorical VAE.
const MaxExactOutcomes = 1 << 16

// Exact computes the expectation of f and its gradient exactly, by enumerating every joint outcome x of the L
// variables of an example:
//
//	value:    Σ_x q(x) f(x)
//	gradient: Σ_x ∂q(x)/∂logits · f(x)   (by automatic differentiation of q(x))
//
// with log q(x) = Σ_l x_l α_l − softplus(α_l) (Bernoulli) or Σ_l ⟨x_l, log softmax(θ_l)⟩ (categorical). f's own
// parameters receive the exact gradient Σ_x q(x) ∂f(x)/∂params.
//
// f is called once, on all N outcomes with size-1 batch axes, shape (N, 1, ..., 1, L[, C]), in lexicographic order
// (the last variable changes fastest). A decoder therefore runs once per outcome, not once per outcome and example;
// f broadcasts its output against the per-example data and returns shape (N, ...) (the batch axes of the logits), or
// (N, 1, ..., 1) when it does not depend on the example. The probabilities are an (N × batch) matrix product, so
// memory grows like N·(batch + L·C) plus whatever f needs.
//
// Exact refuses (panics while building the graph) when N exceeds MaxExactOutcomes; ExactOutcomes returns the count or
// the error beforehand. Evaluations returns 0, K is not used, and Estimate accepts a nil scope.
type Exact struct{}

// Name implements ScoreFunction.
func (Exact) Name() string { return "exact" }

// Evaluations implements ScoreFunction: 0, because f is evaluated at every joint outcome (see ExactOutcomes).
func (Exact) Evaluations() int { return 0 }

// Validate returns nil: Exact has no parameters.
func (Exact) Validate() error { return nil }

// ExactOutcomes returns the number of joint outcomes Exact enumerates for logits of the given shape, or an error
// that gives the count and MaxExactOutcomes when there are too many.
func ExactOutcomes(latent Latent, logits shapes.Shape) (int, error) {
	L, C := 0, 2
	switch {
	case latent == Bernoulli && logits.Rank() >= 1:
		L = logits.Dimensions[logits.Rank()-1]
	case latent == OneHotCategorical && logits.Rank() >= 2:
		L, C = logits.Dimensions[logits.Rank()-2], logits.Dimensions[logits.Rank()-1]
	default:
		return 0, fmt.Errorf("reinmax: exact: %s logits of shape %s have no variable axes", latent, logits)
	}
	count := new(big.Int).Exp(big.NewInt(int64(C)), big.NewInt(int64(L)), nil)
	if count.Cmp(big.NewInt(MaxExactOutcomes)) > 0 {
		return 0, fmt.Errorf("reinmax: exact: %d variables with %d categories have %d^%d = %s joint outcomes, more than MaxExactOutcomes = %d",
			L, C, C, L, count, MaxExactOutcomes)
	}
	return int(count.Int64()), nil
}

// Estimate implements ScoreFunction; src and scope are not used and may be nil.
func (e Exact) Estimate(_ *model.Scope, _ Source, latent Latent, logits *Node, f Loss) *Node {
	in := newInput(e.Name(), latent, logits, false)
	n, err := ExactOutcomes(latent, logits.Shape())
	mustSF(err)
	g, dtype := logits.Graph(), in.alpha.DType()
	dims := logits.Shape().Dimensions
	nb := len(in.batch)
	latentDims := dims[nb:]
	width := 1 // L or L·C
	for _, d := range latentDims {
		width *= d
	}
	batch := 1
	for _, d := range in.batch {
		batch *= d
	}

	outcomeDims := append([]int{n}, slices.Repeat([]int{1}, nb)...)
	outcomeDims = append(outcomeDims, latentDims...)
	flat := Const(g, outcomeTensor(dtype, latent, latentDims, n))
	x := Reshape(flat, outcomeDims...)

	// log q(x) for every outcome and example, (N, batch): an (N × width)·(width × batch) product.
	var logq *Node
	if latent == Bernoulli {
		a := Reshape(in.logits, batch, width)
		logq = Sub(Einsum("nd,bd->nb", flat, a), InsertAxes(ReduceSum(Softplus(a), -1), 0))
	} else {
		ls := Reshape(LogSoftmax(in.logits, -1), batch, width)
		logq = Einsum("nd,bd->nb", flat, ls)
	}
	q := Reshape(Exp(logq), append([]int{n}, in.batch...)...)

	fx := f(x)
	want := append([]int{n}, in.batch...)
	if !broadcastable(fx, want) || fx.DType() != dtype {
		got := "nil"
		if fx != nil {
			got = fx.Shape().String()
		}
		panic(fmt.Errorf("reinmax: exact: the loss f must return one %s value per outcome, shape %v or (%d, 1, ..., 1), got %s",
			dtype, want, n, got))
	}
	if !slices.Equal(fx.Shape().Dimensions, want) {
		fx = BroadcastToDims(fx, want...)
	}
	return ReduceSum(Mul(q, fx), 0)
}

// broadcastable reports whether y has the rank of want and every axis equals want's or is 1 (the first must equal).
func broadcastable(y *Node, want []int) bool {
	if y == nil || y.Rank() != len(want) {
		return false
	}
	for i, d := range y.Shape().Dimensions {
		if d != want[i] && (i == 0 || d != 1) {
			return false
		}
	}
	return true
}

// outcomeTensor returns the n joint outcomes of the variables with the given latent dimensions ([L] or [L, C]), as an
// (n × L) matrix of bits or an (n × L·C) matrix of one-hot rows, in lexicographic order.
func outcomeTensor(dtype dtypes.DType, latent Latent, latentDims []int, n int) *tensors.Tensor {
	L, C := latentDims[0], 2
	width := L
	if latent == OneHotCategorical {
		C = latentDims[1]
		width = L * C
	}
	x := make([]float64, n*width)
	for i := range n {
		rest := i
		for l := L - 1; l >= 0; l-- {
			v := rest % C
			rest /= C
			if latent == Bernoulli {
				x[i*width+l] = float64(v)
			} else {
				x[i*width+l*C+v] = 1
			}
		}
	}
	if dtype == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(x, n, width)
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return tensors.FromFlatDataAndDimensions(y, n, width)
}
