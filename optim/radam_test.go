package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// radamReference is the published RAdam update (Liu et al. 2020, Algorithm 2, as torch.optim.RAdam applies it),
// written independently of the graph code in plain float64.
type radamReference struct {
	o    RAdam
	m, v []float64
	t    int
}

func (r *radamReference) step(x, g []float64) {
	if r.m == nil {
		r.m, r.v = make([]float64, len(x)), make([]float64, len(x))
	}
	r.t++
	b1, b2, t := r.o.Beta1, r.o.Beta2, float64(r.t)
	rhoInf := 2/(1-b2) - 1
	rho := rhoInf - 2*t*math.Pow(b2, t)/(1-math.Pow(b2, t))
	for i := range x {
		r.m[i] = b1*r.m[i] + (1-b1)*g[i]
		r.v[i] = b2*r.v[i] + (1-b2)*g[i]*g[i]
		mHat := r.m[i] / (1 - math.Pow(b1, t))
		if rho > 5 {
			l := math.Sqrt(1-math.Pow(b2, t)) / (math.Sqrt(r.v[i]) + r.o.Epsilon)
			rt := math.Sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho))
			x[i] -= r.o.LearningRate * mHat * rt * l
		} else {
			x[i] -= r.o.LearningRate * mHat
		}
	}
}

// TestRAdamMatchesPublishedRule runs 12 steps, through the switch from momentum (ρₜ ≤ 5, the first 6 steps at
// β₂ = 0.999) to rectified steps, on L(x) = ½Σ wᵢxᵢ² + Σ bᵢxᵢ in float64.
func TestRAdamMatchesPublishedRule(t *testing.T) {
	w := []float64{1, 3, 0.5, 10}
	b := []float64{0.2, -1, 0.7, 0}
	x0 := []float64{1, -2, 0.5, 0.3}
	opt := RAdam{LearningRate: 0.05, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}

	store := model.NewStore()
	exec, err := model.NewExec(compute.MustNew(), store, func(scope *model.Scope, g *Graph) *Node {
		x := scope.VariableWithValue("x", append([]float64(nil), x0...)).NodeValue(g)
		wc, bc := Const(g, w), Const(g, b)
		loss := Add(MulScalar(ReduceAllSum(Mul(wc, Square(x))), 0.5), ReduceAllSum(Mul(bc, x)))
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := radamReference{o: opt}
	want := append([]float64(nil), x0...)
	for step := 1; step <= 12; step++ {
		grad := make([]float64, len(want))
		for i := range want {
			grad[i] = w[i]*want[i] + b[i]
		}
		ref.step(want, grad)
		if _, err := exec.Exec(); err != nil {
			t.Fatal(err)
		}
		got, err := tensors.CopyFlatData[float64](store.GetVariable("/x").MustValue())
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if !(math.Abs(got[i]-want[i]) <= 1e-12*(1+math.Abs(want[i]))) {
				t.Fatalf("step %d: x[%d] = %.15g, published rule gives %.15g", step, i, got[i], want[i])
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		o    RAdam
		want string
	}{
		{RAdam{}, "learning rate"},
		{RAdam{LearningRate: math.NaN(), Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, "learning rate"},
		{RAdam{LearningRate: 1e-3, Beta1: 1, Beta2: 0.999, Epsilon: 1e-8}, "beta1"},
		{RAdam{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0, Epsilon: 1e-8}, "beta2"},
		{RAdam{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999}, "epsilon"},
	} {
		err := tc.o.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %q", tc.o, err, tc.want)
		}
	}
	if err := NewRAdam(1e-3).Validate(); err != nil {
		t.Errorf("NewRAdam(1e-3): %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, name := range []string{"adam", "radam"} {
		o, err := New(name, 1e-3)
		if err != nil || o == nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
	if _, err := New("sgdx", 1e-3); err == nil || !strings.Contains(err.Error(), "radam") {
		t.Errorf("New(unknown): error %v, want one listing the valid names", err)
	}
	if _, err := New("adam", 0); err == nil {
		t.Error("New(adam, 0): no error")
	}
}
