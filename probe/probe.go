package probe

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/f60e9205/reinmax"
)

// Query fixes the inputs of one evaluation: N rows of C logits, the sampled category of each row, and the upstream
// gradients. The loss whose gradient is taken is L = ⟨hard, GHard⟩ + ⟨soft, GSoft⟩, so that ∂L/∂hard = GHard and
// ∂L/∂soft = GSoft.
type Query struct {
	Estimator reinmax.StraightThrough
	C         int          // categories per row
	Logits    []float64    // N·C logits, row-major; -Inf masks a category
	Samples   []int        // N sampled categories, each in [0, C)
	GHard     []float64    // N·C, ∂L/∂hard
	GSoft     []float64    // N·C, ∂L/∂soft; nil means 0
	DType     dtypes.DType // Float32 or Float64; the zero value selects Float32
	Seed      int64        // seed of the noise some estimators draw (STGS, GR-MCK, Gumbel-Softmax)
}

// Result holds the forward values and the gradient, N·C each, row-major.
type Result struct {
	Hard, Soft, Grad []float64
}

// Run runs the query on backend. It returns an error naming the field when the query is malformed.
func Run(backend compute.Backend, q Query) (*Result, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	n := len(q.Samples)
	dtype := q.DType
	if dtype == dtypes.InvalidDType {
		dtype = dtypes.Float32
	}
	onehot := make([]float64, n*q.C)
	for i, s := range q.Samples {
		onehot[i*q.C+s] = 1
	}
	gSoft := q.GSoft
	if gSoft == nil {
		gSoft = make([]float64, n*q.C)
	}
	var args []any
	for _, x := range [][]float64{q.Logits, onehot, q.GHard, gSoft} {
		t, err := tensorOf(x, dtype, n, q.C)
		if err != nil {
			return nil, err
		}
		args = append(args, t)
	}
	outs, err := ExecOnceN(backend, func(logits, onehot, gHard, gSoft *Node) []*Node {
		src := reinmax.NewStateSource(logits.Graph(), q.Seed)
		hard, soft := q.Estimator.Given(src, logits, onehot)
		loss := Add(ReduceAllSum(Mul(hard, gHard)), ReduceAllSum(Mul(soft, gSoft)))
		return []*Node{hard, soft, Gradient(loss, logits)[0]}
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("probe: %s: %w", q.Estimator.Name(), err)
	}
	var res [3][]float64
	for i, t := range outs {
		if res[i], err = float64s(t); err != nil {
			return nil, err
		}
	}
	for i, g := range res[2] {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return nil, fmt.Errorf("probe: %s: gradient %d is %v in %s (an overflow: a temperature or value too extreme for the precision)",
				q.Estimator.Name(), i, g, dtype)
		}
	}
	return &Result{Hard: res[0], Soft: res[1], Grad: res[2]}, nil
}

func (q Query) check() error {
	if q.Estimator == nil {
		return fmt.Errorf("probe: no estimator")
	}
	if q.C < 2 {
		return fmt.Errorf("probe: C = %d categories, want at least 2", q.C)
	}
	n := len(q.Samples)
	if n == 0 {
		return fmt.Errorf("probe: no samples")
	}
	if len(q.Logits) != n*q.C {
		return fmt.Errorf("probe: %d logits, want %d (%d rows of %d)", len(q.Logits), n*q.C, n, q.C)
	}
	if len(q.GHard) != n*q.C {
		return fmt.Errorf("probe: %d hard gradients, want %d (one per logit)", len(q.GHard), n*q.C)
	}
	if q.GSoft != nil && len(q.GSoft) != n*q.C {
		return fmt.Errorf("probe: %d soft gradients, want %d (one per logit)", len(q.GSoft), n*q.C)
	}
	for i, x := range q.Logits {
		if math.IsNaN(x) || math.IsInf(x, 1) {
			return fmt.Errorf("probe: logit %d is %v, want a finite number or -Inf (masked)", i, x)
		}
	}
	for i, s := range q.Samples {
		if s < 0 || s >= q.C {
			return fmt.Errorf("probe: sample %d of row %d is out of range [0, %d)", s, i, q.C)
		}
		if math.IsInf(q.Logits[i*q.C+s], -1) {
			return fmt.Errorf("probe: sample %d of row %d is a masked category (logit -Inf), which has probability 0", s, i)
		}
	}
	for _, g := range [][]float64{q.GHard, q.GSoft} {
		for i, x := range g {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("probe: upstream gradient %d is %v, want a finite number", i, x)
			}
		}
	}
	switch q.DType {
	case dtypes.InvalidDType, dtypes.Float32:
		// Values beyond float32's range would become ±Inf: a logit masked by accident, a NaN gradient.
		for name, xs := range map[string][]float64{"logit": q.Logits, "upstream gradient": append(append([]float64(nil), q.GHard...), q.GSoft...)} {
			for i, x := range xs {
				if !math.IsInf(x, 0) && math.Abs(x) > math.MaxFloat32 {
					return fmt.Errorf("probe: %s %d is %v, beyond float32's largest value %.4g: compute in float64", name, i, x, math.MaxFloat32)
				}
			}
		}
	case dtypes.Float64:
	default:
		return fmt.Errorf("probe: dtype %s, want Float32 or Float64", q.DType)
	}
	return nil
}

func tensorOf(x []float64, dtype dtypes.DType, dims ...int) (*tensors.Tensor, error) {
	if dtype == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(append([]float64(nil), x...), dims...), nil
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return tensors.FromFlatDataAndDimensions(y, dims...), nil
}

func float64s(t *tensors.Tensor) ([]float64, error) {
	switch t.DType() {
	case dtypes.Float64:
		return tensors.CopyFlatData[float64](t)
	case dtypes.Float32:
		y, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, err
		}
		x := make([]float64, len(y))
		for i, v := range y {
			x[i] = float64(v)
		}
		return x, nil
	}
	return nil, fmt.Errorf("probe: unexpected output dtype %s", t.DType())
}
