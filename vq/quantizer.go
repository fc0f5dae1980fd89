package vq

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/f60e9205/reinmax"
)

// The deterministic methods of a Quantizer; every other method is the name of a straight-through estimator of
// package reinmax, which makes the codes stochastic.
const (
	STE      = "ste"      // nearest code, VQ-VAE's straight-through gradient (StraightThrough)
	Rotation = "rotation" // nearest code, the rotation trick of Fifty et al. (RotationTrick)
)

// Methods returns the names of the methods a Quantizer accepts: "ste", "rotation", then every straight-through
// estimator of package reinmax.
func Methods() []string {
	return append([]string{STE, Rotation}, reinmax.Names(reinmax.StraightThroughFamily)...)
}

// Quantizer quantises vectors of dimension Dim to a codebook of Codes vectors, with the gradient of Method.
//
// Method "ste" and "rotation" choose the nearest code; any other method is a straight-through estimator of package
// reinmax ("st", "stgs", "reinmax", "gr-mck", ...), which samples the code from p(k | z) ∝ exp(−‖z − e_k‖²/T) and
// gives the gradient (see Sample).
type Quantizer struct {
	Codes  int    // K, codes in the codebook, ≥ 2
	Dim    int    // d, dimension of a code, ≥ 1
	Method string // "ste", "rotation" or a straight-through estimator of the registry
	// Beta is β, the weight of the commitment loss in Result.Loss, ≥ 0 (VQ-VAE uses 0.25).
	Beta float64
	// Temperature is T > 0 of the stochastic codes; it must be 0 for "ste" and "rotation", which do not read it.
	Temperature float64
	// Estimator holds the parameters (τ, K) of a stochastic method's estimator; zero fields select its defaults.
	Estimator reinmax.Params
	// RefreshEvery is the number of training steps after which a code that no input chose during them is replaced
	// (see Refresh); 0 never refreshes.
	RefreshEvery int
}

// Stochastic reports whether the method samples codes, that is, whether it is an estimator's name.
func (q Quantizer) Stochastic() bool { return q.Method != STE && q.Method != Rotation }

// Validate returns an error naming the first setting out of range.
func (q Quantizer) Validate() error {
	switch {
	case q.Codes < 2:
		return fmt.Errorf("vq: codes K = %d, want K >= 2", q.Codes)
	case q.Dim < 1:
		return fmt.Errorf("vq: dimension d = %d, want d >= 1", q.Dim)
	case !(q.Beta >= 0) || math.IsInf(q.Beta, 1):
		return fmt.Errorf("vq: commitment weight beta = %v, want a finite beta >= 0", q.Beta)
	case q.RefreshEvery < 0:
		return fmt.Errorf("vq: refresh every %d steps, want >= 1, or 0 for never", q.RefreshEvery)
	}
	if !q.Stochastic() {
		if q.Temperature != 0 {
			return fmt.Errorf("vq: %s: temperature T = %v is for stochastic codes; leave it 0", q.Method, q.Temperature)
		}
		return nil
	}
	if _, err := q.estimator(); err != nil {
		return err
	}
	if !(q.Temperature > 0) || math.IsInf(q.Temperature, 1) {
		return fmt.Errorf("vq: %s: temperature T = %v, want a finite T > 0", q.Method, q.Temperature)
	}
	return nil
}

// estimator returns the straight-through estimator of a stochastic method, or an error naming the valid methods.
func (q Quantizer) estimator() (reinmax.StraightThrough, error) {
	spec, err := reinmax.Lookup(q.Method)
	if err != nil {
		return nil, fmt.Errorf("vq: unknown method %q (valid: %s)", q.Method, strings.Join(Methods(), ", "))
	}
	if spec.Family != reinmax.StraightThroughFamily {
		return nil, fmt.Errorf("vq: %s is a %s estimator, which needs the loss of every sample; a quantiser takes %s",
			q.Method, spec.Family, strings.Join(Methods(), ", "))
	}
	est, err := reinmax.NewStraightThrough(q.Method, q.Estimator)
	if err != nil {
		return nil, fmt.Errorf("vq: %w", err)
	}
	return est, nil
}

// Result is what a Quantizer returns for vectors z of shape (..., d).
type Result struct {
	// Quantized has the shape of z and the value of the chosen codes; its gradient is the method's.
	Quantized *Node
	// Index is the chosen code of each vector, int32 of shape (...); no gradient.
	Index *Node
	// CodebookLoss is mean ‖sg(z) − q‖² over every element (it trains the codebook); CommitmentLoss is
	// mean ‖z − sg(q)‖² (it trains the encoder); Loss is CodebookLoss + β·CommitmentLoss. Scalars.
	CodebookLoss, CommitmentLoss, Loss *Node
}

// Quantize quantises z, shape (..., d), to the rows of codebook (K, d) with the quantiser's method; stochastic
// methods draw their sample and noise from src (deterministic ones may be given nil).
//
// It panics (with an error, which GoMLX's Exec returns) on an invalid quantiser or shapes that do not match it.
func (q Quantizer) Quantize(src reinmax.Source, z, codebook *Node) Result {
	if err := q.Validate(); err != nil {
		panic(err)
	}
	flat, k := checkShapes("Quantize", z, codebook)
	if k != q.Codes || codebook.Shape().Dimensions[1] != q.Dim {
		panic(fmt.Errorf("vq: Quantize: codebook of shape %s, want (K, d) = (%d, %d)", codebook.Shape(), q.Codes, q.Dim))
	}
	var out, index, code *Node
	switch q.Method {
	case STE, Rotation:
		index = Nearest(flat, codebook)
		code = Gather(codebook, InsertAxes(index, -1))
		if q.Method == STE {
			out = StraightThrough(flat, code)
		} else {
			out = RotationTrick(flat, code)
		}
	default:
		est, err := q.estimator()
		if err != nil {
			panic(err)
		}
		var hard *Node
		out, hard = Sample(est, src, flat, codebook, q.Temperature)
		index = ArgMax(hard, -1)
		if relaxed(est) {
			code = DotGeneral(StopGradient(hard), []int{1}, nil, codebook, []int{0}, nil)
		} else {
			code = Gather(codebook, InsertAxes(index, -1))
		}
	}
	codebookLoss := ReduceAllMean(Square(Sub(StopGradient(flat), code)))
	commitment := ReduceAllMean(Square(Sub(flat, StopGradient(code))))
	return Result{
		Quantized:      Reshape(out, z.Shape().Dimensions...),
		Index:          Reshape(index, leading(z)...),
		CodebookLoss:   codebookLoss,
		CommitmentLoss: commitment,
		Loss:           Add(codebookLoss, MulScalar(commitment, q.Beta)),
	}
}

// CodebookVariable is the name of the codebook's variable in a scope (Apply).
const CodebookVariable = "codebook"

// Apply quantises z with the codebook held by scope (the variable "codebook", shape (K, d), created on first use
// and initialised U(−1/K, 1/K) as in VQ-VAE), drawing the randomness of stochastic codes from scope's generator.
func (q Quantizer) Apply(scope *model.Scope, z *Node) Result {
	return q.Quantize(reinmax.ScopeSource(scope), z, q.Codebook(scope, z))
}

// Codebook returns the value, in z's graph, of the codebook variable of scope that Apply uses: shape (K, d) and z's
// dtype, created on first use and initialised U(−1/K, 1/K).
func (q Quantizer) Codebook(scope *model.Scope, z *Node) *Node {
	if err := q.Validate(); err != nil {
		panic(err)
	}
	bound := 1 / float64(q.Codes)
	scope = scope.WithInitializer(initializer.RandomUniformFn(scope, -bound, bound))
	return scope.VariableWithShape(CodebookVariable, shapes.Make(z.DType(), q.Codes, q.Dim)).NodeValue(z.Graph())
}
