package poly

import (
	"math"
	"strings"
	"testing"
)

// The closed-form values at θ = 0 (π = ½) and the optimum 0.45^p of the paper's setting, c = 0.45: section 3.1 of
// the reference gives 0.354880, 0.2525, 0.12875 and 0.301869, 0.2025, 0.091125. By hand: E(0) = (0.55^p + 0.45^p)/2.
func TestObjectiveConst(t *testing.T) {
	tests := []struct {
		p, init, opt float64
	}{
		{1.5, 0.354880, 0.301869},
		{2, 0.2525, 0.2025},
		{3, 0.12875, 0.091125},
	}
	for _, tc := range tests {
		cs, err := Targets(Const, 128, 0.45)
		if err != nil {
			t.Fatal(err)
		}
		o, err := NewObjective(tc.p, cs)
		if err != nil {
			t.Fatal(err)
		}
		theta := make([]float64, 256)
		if got := o.Exact(theta); !(math.Abs(got-tc.init) <= 5e-7) {
			t.Errorf("p=%v: E(0) = %.7f, want %v", tc.p, got, tc.init)
		}
		if got := o.Optimum(); !(math.Abs(got-tc.opt) <= 5e-7) {
			t.Errorf("p=%v: optimum = %.7f, want %v", tc.p, got, tc.opt)
		}
		if got, want := o.Gap(theta), o.Exact(theta)-o.Optimum(); !(math.Abs(got-want) <= 1e-15) {
			t.Errorf("p=%v: gap at 0 = %v, want E − optimum = %v", tc.p, got, want)
		}
		// Every variable pushed towards z = 0 (θ_1 ≫ θ_0): E tends to the optimum, and the gap stays accurate
		// where E − optimum cancels to 0: gap = (0.55^p − 0.45^p)·σ(−40).
		for l := 0; l < 128; l++ {
			theta[2*l+1] = 40
		}
		want := (math.Pow(0.55, tc.p) - math.Pow(0.45, tc.p)) / (1 + math.Exp(40))
		if got := o.Gap(theta); !(math.Abs(got-want) <= 1e-12*want) {
			t.Errorf("p=%v: gap near the optimum = %v, want %v", tc.p, got, want)
		}
		if got := o.Exact(theta); !(math.Abs(got-tc.opt) <= 5e-7) {
			t.Errorf("p=%v: E near the optimum = %v, want %v", tc.p, got, tc.opt)
		}
	}
}

// The ramp target for L = 4 is c = (0.125, 0.375, 0.625, 0.875). At p = 2, by hand: the optimum is the mean of
// min(c², (1−c)²) = (0.015625 + 0.140625 + 0.140625 + 0.015625)/4 = 0.078125, and E(0) the mean of
// (c² + (1−c)²)/2 = (0.390625 + 0.265625 + 0.265625 + 0.390625)/4 = 0.328125.
func TestObjectiveRamp(t *testing.T) {
	cs, err := Targets(Ramp, 4, 0.45)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{0.125, 0.375, 0.625, 0.875} {
		if !(math.Abs(cs[i]-want) <= 1e-15) {
			t.Errorf("c_%d = %v, want %v", i+1, cs[i], want)
		}
	}
	o, _ := NewObjective(2, cs)
	if got := o.Optimum(); !(math.Abs(got-0.078125) <= 1e-15) {
		t.Errorf("ramp optimum = %v, want 0.078125", got)
	}
	if got := o.Exact(make([]float64, 8)); !(math.Abs(got-0.328125) <= 1e-15) {
		t.Errorf("ramp E(0) = %v, want 0.328125", got)
	}
	// The optimum is reached by z_l = 1 where c_l > 0.5: θ_0 ≫ θ_1 for the last two variables only.
	theta := []float64{0, 50, 0, 50, 50, 0, 50, 0}
	if got := o.Exact(theta); !(math.Abs(got-0.078125) <= 1e-15) {
		t.Errorf("ramp E at the best sample = %v, want 0.078125", got)
	}
}

func TestObjectiveErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"p = 0", second(NewObjective(0, []float64{0.5})), "p = 0"},
		{"p < 0", second(NewObjective(-1, []float64{0.5})), "p = -1"},
		{"p NaN", second(NewObjective(math.NaN(), []float64{0.5})), "p = NaN"},
		{"no targets", second(NewObjective(2, nil)), "L >= 1"},
		{"L = 0", second(Targets(Const, 0, 0.45)), "L = 0"},
		{"target", second(Targets("zigzag", 4, 0.45)), `unknown target "zigzag"`},
	}
	for _, tc := range tests {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }
