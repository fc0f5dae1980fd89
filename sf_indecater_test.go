package reinmax

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// TestIndeCateRUnbiased checks that the mean of 2·10⁴ IndeCateR estimates matches the exact gradient and E f, with one
// and two joint samples, on the binary and the categorical problems (logits of ±30 included). Its variance is low
// (a fifth of RLOO's at equal evaluations, TestIndeCateRVariance), so fewer draws than the other estimators' 10⁵
// resolve the same biases, at a fifth of the cost of L·C evaluations per draw.
func TestIndeCateRUnbiased(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		est ScoreFunction
		p   sfProblem
	}{
		{"indecater K=1", IndeCateR{K: 1}, sfBinary6},
		{"indecater K=2", IndeCateR{K: 2}, sfBinary4},
		{"indecater K=1", IndeCateR{K: 1}, sfCategorical3},
		{"indecater K=2", IndeCateR{K: 2}, sfCategorical3},
		{"indecater K=1", IndeCateR{K: 1}, sfExtreme3},
	} {
		checkUnbiased(t, tc.key, sfDrawsN(t, tc.key, tc.est, nil, tc.p, indecaterDraws), tc.p, true)
	}
}

// indecaterDraws is the number of draws of the IndeCateR tests.
const indecaterDraws = 20_000

// TestIndeCateRVariance checks that summing each variable's outcomes pays: at equal numbers of evaluations of f,
// IndeCateR's total variance is below RLOO's on the categorical problem (L·C = 9 evaluations against RLOO with
// K = 9), and the count of evaluations.
func TestIndeCateRVariance(t *testing.T) {
	t.Parallel()
	p := sfCategorical3
	ind := sfDrawsN(t, "indecater K=1", IndeCateR{K: 1}, nil, p, indecaterDraws)
	rloo := sfDrawsN(t, "rloo K=9", RLOO{K: 9}, nil, p, indecaterDraws)
	vi, vr := ind.totalVariance(p.width()), rloo.totalVariance(p.width())
	t.Logf("%s: total variance IndeCateR (9 evaluations) %.4g, RLOO K=9 %.4g, ratio %.3g", p.name, vi, vr, vi/vr)
	if !(vi < vr) {
		t.Errorf("%s: IndeCateR's variance %.4g is not below RLOO's %.4g at 9 evaluations", p.name, vi, vr)
	}
	shape := shapes.Make(dtypes.Float64, 5, 3, 3)
	if n := LossEvaluations(IndeCateR{K: 2}, OneHotCategorical, shape); n != 18 {
		t.Errorf("IndeCateR{K: 2} on (5, 3, 3) categorical logits: %d evaluations, want 2·3·3 = 18", n)
	}
	if n := LossEvaluations(IndeCateR{}, Bernoulli, shapes.Make(dtypes.Float64, 5, 7)); n != 14 {
		t.Errorf("IndeCateR{} on (5, 7) Bernoulli logits: %d evaluations, want 2·7 = 14", n)
	}
	if n := LossEvaluations(RLOO{K: 4}, Bernoulli, shape); n != 4 {
		t.Errorf("RLOO{K: 4}: %d evaluations, want 4", n)
	}
}
