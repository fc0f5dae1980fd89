package gradlab

import (
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
)

// stacked is M independent copies of a one-variable problem: logits (M, 1, C), loss Σ_m f(D_m), separable.
type stacked struct {
	base *FuncProblem
	m    int
}

func (s stacked) Name() string { return "stacked " + s.base.Name() }

func (s stacked) Logits() ([]float64, []int) {
	var theta []float64
	for range s.m {
		theta = append(theta, s.base.Theta...)
	}
	return theta, []int{s.m, s.base.F.L, s.base.F.C}
}

func (s stacked) LossPerExample(d *Node) *Node {
	n := d.Shape().Dimensions[0]
	return Reshape(s.base.Loss(Reshape(d, n*s.m, s.base.F.L, s.base.F.C)), n, s.m)
}

func (s stacked) Loss(d *Node) *Node { return ReduceSum(s.LossPerExample(d), -1) }

func (s stacked) ExactGradient() ([]float64, error) {
	g, err := s.base.ExactGradient()
	var out []float64
	for range s.m {
		out = append(out, g...)
	}
	return out, err
}

// whole hides LossPerExample: the lab sees one loss per draw.
type whole struct{ Problem }

// TestSeparable checks that a score-function estimator on a Separable problem stays unbiased and weighs each
// example's score by its own term: on three independent copies of the quadratic, RLOO's variance with the whole sum
// as every example's loss carries the other two terms' variance too: 2.475 times the per-example variance at this
// seed (20,000 draws), which the test bounds from below by 1.5.
func TestSeparable(t *testing.T) {
	t.Parallel()
	base := mustProblem(t, ProblemSpec{Name: "quadratic", C: 4})
	sf, err := reinmax.NewScoreFunction("rloo", reinmax.Params{K: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Draws: 20000, Seed: 3, Level: 0.99}
	sep, err := Measure(testutil.Backend(t), stacked{base, 3}, FromScoreFunction(sf), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Measure(testutil.Backend(t), whole{stacked{base, 3}}, FromScoreFunction(sf), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Result{sep, sum} {
		if !(r.RelBiasLo == 0) {
			t.Errorf("rloo on %s: relative bias %v [%v, %v], want an interval from 0", r.Problem, r.RelBias, r.RelBiasLo, r.RelBiasHi)
		}
	}
	if !(sum.Var > 1.5*sep.Var) {
		t.Errorf("variance %v with the whole sum, %v per example: want the first above 1.5 times the second", sum.Var, sep.Var)
	}
	t.Logf("variance per example %.4g, with the whole sum %.4g (ratio %.3f)", sep.Var, sum.Var, sum.Var/sep.Var)
}
