package reinmax

import (
	"math"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// exactRun evaluates Exact on a batch of logit rows (rows × width, each row one example of problem p with its own
// logits) and returns the gradient of the sum of the surrogates, the surrogates, and the derivative with respect to a
// scale s that multiplies f (f's "parameter"). perExample adds i·Σx to the loss of example i, so that f returns shape
// (N, rows) instead of (N, 1).
func exactRun(t *testing.T, p sfProblem, rows [][]float64, perExample bool) (grad, value []float64, ds float64) {
	t.Helper()
	flat := make([]float64, 0, len(rows)*p.width())
	for _, r := range rows {
		flat = append(flat, r...)
	}
	dims := append([]int{len(rows)}, p.dims()...)
	outs, err := ExecOnceN(testutil.Backend(t), func(logits, s *Node) []*Node {
		f := func(x *Node) *Node {
			y := Mul(s, p.loss()(x)) // (N, 1)
			if perExample {
				n := x.Shape().Dimensions[0]
				idx := Iota(x.Graph(), shapes.Make(dtypes.Float64, 1, len(rows)), 1)
				sum := ReduceSum(Reshape(x, n, 1, p.width()), -1)
				y = Add(y, Mul(sum, idx)) // (N, rows)
			}
			return y
		}
		sur := Exact{}.Estimate(nil, nil, p.latent, logits, f)
		total := ReduceAllSum(sur)
		g := Gradient(total, logits, s)
		return []*Node{g[0], sur, g[1]}
	}, tensors.FromFlatDataAndDimensions(flat, dims...), 1.0)
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	return tensors.MustCopyFlatData[float64](outs[0]), tensors.MustCopyFlatData[float64](outs[1]), tensors.ToScalar[float64](outs[2])
}

// TestExactMatchesOracle checks Exact's value and gradient against the oracle's enumeration to 1e-10 (float64), for
// three examples with different logits per problem, including a loss that depends on the example (f returns
// (N, batch)), and the exact gradient of f's parameter: ∂/∂s Σ_i E_i[s·f] = Σ_i E_i f at s = 1.
func TestExactMatchesOracle(t *testing.T) {
	t.Parallel()
	for _, p := range []sfProblem{sfBinary4, sfBinary6, sfCategorical3, sfExtreme3} {
		rows := [][]float64{p.Alpha, make([]float64, p.width()), make([]float64, p.width())}
		for j := range rows[1] {
			rows[1][j] = -0.5 * p.Alpha[j]
			rows[2][j] = float64(j%3) - 1
		}
		for _, perExample := range []bool{false, true} {
			grad, value, ds := exactRun(t, p, rows, perExample)
			var sumE float64 // Σ_i E_i f, the derivative with respect to s
			for i, r := range rows {
				base := p
				base.Alpha = r
				sumE += base.expectation(t)
				q := base // the loss of example i: f + i·Σx, that is w + i
				q.w = append([]float64(nil), p.w...)
				if perExample {
					for j := range q.w {
						q.w[j] += float64(i)
					}
				}
				want, wantE := q.exact(t), q.expectation(t)
				for j, w := range want {
					if got := grad[i*p.width()+j]; !(math.Abs(got-w) <= 1e-10*math.Max(1, math.Abs(w))) {
						t.Errorf("%s example %d (per-example %v): gradient[%d] = %.15g, oracle %.15g", p.name, i, perExample, j, got, w)
					}
				}
				if !(math.Abs(value[i]-wantE) <= 1e-10*math.Max(1, math.Abs(wantE))) {
					t.Errorf("%s example %d (per-example %v): value = %.15g, oracle E f = %.15g", p.name, i, perExample, value[i], wantE)
				}
			}
			if !(math.Abs(ds-sumE) <= 1e-10*math.Max(1, math.Abs(sumE))) {
				t.Errorf("%s (per-example %v): ∂/∂s = %.15g, want Σ E f = %.15g", p.name, perExample, ds, sumE)
			}
		}
	}
}

// TestExactCategorical8x4 runs the configuration of the categorical VAE's exact mode, 8 variables with 4 categories
// (4⁸ = 65536 = MaxExactOutcomes outcomes), against the oracle, to 1e-10.
func TestExactCategorical8x4(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("8x4 enumeration skipped in -short mode")
	}
	p := newSFProblem("categorical L=8 C=4 quadratic", OneHotCategorical, 8, 4, false, 5)
	grad, value, _ := exactRun(t, p, [][]float64{p.Alpha}, false)
	want, wantE := p.exact(t), p.expectation(t)
	for j, w := range want {
		if !(math.Abs(grad[j]-w) <= 1e-10*math.Max(1, math.Abs(w))) {
			t.Errorf("8x4: gradient[%d] = %.15g, oracle %.15g", j, grad[j], w)
		}
	}
	if !(math.Abs(value[0]-wantE) <= 1e-10*math.Max(1, math.Abs(wantE))) {
		t.Errorf("8x4: value = %.15g, oracle %.15g", value[0], wantE)
	}
}

// TestExactRefuses checks that too many outcomes are refused, before and while building the graph, with the count and
// the limit in the message.
func TestExactRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		latent Latent
		dims   []int
		n      int
		want   string
	}{
		{Bernoulli, []int{5, 16}, 65536, ""},
		{OneHotCategorical, []int{5, 8, 4}, 65536, ""},
		{Bernoulli, []int{5, 17}, 0, "2^17 = 131072 joint outcomes, more than MaxExactOutcomes = 65536"},
		{OneHotCategorical, []int{9, 4}, 0, "4^9 = 262144 joint outcomes, more than MaxExactOutcomes = 65536"},
		{OneHotCategorical, []int{2, 200, 10}, 0, "10^200 = 1" + strings.Repeat("0", 200) + " joint outcomes"},
	} {
		n, err := ExactOutcomes(tc.latent, shapes.Make(dtypes.Float32, tc.dims...))
		if tc.want == "" {
			if err != nil || n != tc.n {
				t.Errorf("ExactOutcomes(%s, %v) = %d, %v; want %d", tc.latent, tc.dims, n, err, tc.n)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "exact") {
			t.Errorf("ExactOutcomes(%s, %v): err = %v, want it to contain %q", tc.latent, tc.dims, err, tc.want)
		}
		size := 1
		for _, d := range tc.dims {
			size *= d
		}
		_, err = ExecOnce(testutil.Backend(t), func(logits *Node) *Node {
			return Exact{}.Estimate(nil, nil, tc.latent, logits, func(x *Node) *Node { return ReduceSum(x, -1) })
		}, tensors.FromFlatDataAndDimensions(make([]float32, size), tc.dims...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Exact.Estimate(%s, %v): err = %v, want it to contain %q", tc.latent, tc.dims, err, tc.want)
		}
	}
}
