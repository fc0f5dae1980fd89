package gradlab

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/f60e9205/reinmax/oracle"
)

// TestGraphMatchesFunc checks that each built-in problem's graph loss and its gradient with respect to d agree
// with the float64 oracle.Func (F and Grad), at every one-hot outcome of a small problem and at random real points
// (the relaxed samples of Gumbel-Softmax). Both sides are float64; the tolerance is a few hundred ulps.
func TestGraphMatchesFunc(t *testing.T) {
	t.Parallel()
	backend := testutil.Backend(t)
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, spec := range []ProblemSpec{
		{Name: "quadratic", C: 4},
		{Name: "cubic", L: 2, C: 3},
		{Name: "poly", L: 3},
		{Name: "poly", L: 2, C: 3, P: 1.5},
		{Name: "net"},
		{Name: "net", L: 2, H: 0.3, Hidden: 5},
	} {
		p := mustProblem(t, spec)
		L, C := p.F.L, p.F.C
		n := L * C
		var points [][]float64
		outs, err := oracle.Outcomes(L, C)
		if err != nil {
			t.Fatal(err)
		}
		for d := range outs {
			D := make([]float64, n)
			oracle.OneHot(D, d, C)
			points = append(points, D)
		}
		for range 5 {
			x := make([]float64, n)
			for i := range x {
				x[i] = rnd.Float64()
			}
			points = append(points, x)
		}
		flat := make([]float64, 0, len(points)*n)
		for _, x := range points {
			flat = append(flat, x...)
		}
		res, err := ExecOnceN(backend, func(d *Node) (*Node, *Node) {
			f := p.Loss(d)
			return f, Gradient(ReduceAllSum(f), d)[0]
		}, tensors.FromFlatDataAndDimensions(flat, len(points), L, C))
		if err != nil {
			t.Fatalf("%s: %v", p.Name(), err)
		}
		fs := tensors.MustCopyFlatData[float64](res[0])
		gs := tensors.MustCopyFlatData[float64](res[1])
		grad := make([]float64, n)
		for r, x := range points {
			want := p.F.F(x)
			if !(math.Abs(fs[r]-want) <= 1e-13*(1+math.Abs(want))) {
				t.Errorf("%s: f(%v) = %v in the graph, %v in float64", p.Name(), x, fs[r], want)
			}
			p.F.Grad(grad, x)
			for i, g := range grad {
				if got := gs[r*n+i]; !(math.Abs(got-g) <= 1e-13*(1+math.Abs(g))) {
					t.Errorf("%s: ∂f/∂d[%d] at %v = %v in the graph, %v in float64", p.Name(), i, x, got, g)
				}
			}
		}
	}
}

// TestParseProblem checks the problem syntax, canonical names and the errors.
func TestParseProblem(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		in, name, err string
	}{
		{in: "quadratic", name: "quadratic:L=1,C=8"},
		{in: "cubic:C=5", name: "cubic:L=1,C=5"},
		{in: "poly", name: "poly:L=8,C=2,p=3"},
		{in: "poly:L=12,p=2", name: "poly:L=12,C=2,p=2"},
		{in: "net:h=0.25,seed=7", name: "net:L=3,C=3,h=0.25,hidden=8,seed=7"},
		{in: "nope", err: `unknown problem "nope" (valid: quadratic, cubic, poly, net)`},
		{in: "poly:h=1", err: `unknown parameter "h" (valid for poly: L, C, p, seed)`},
		{in: "net:h=-1", err: `h="-1", want a finite number > 0`},
		{in: "poly:L=x", err: `L="x", want a positive integer`},
		{in: "poly:L", err: `parameter "L", want key=value`},
	} {
		spec, err := ParseProblem(test.in)
		if test.err != "" {
			if err == nil || !strings.Contains(err.Error(), test.err) {
				t.Errorf("ParseProblem(%q): error %v, want one containing %q", test.in, err, test.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseProblem(%q): %v", test.in, err)
			continue
		}
		if got := spec.String(); got != test.name {
			t.Errorf("ParseProblem(%q).String() = %q, want %q", test.in, got, test.name)
		}
	}
}

// TestTooLarge checks that a problem with more joint outcomes than the oracle enumerates is refused, with the
// count and the limit in the message.
func TestTooLarge(t *testing.T) {
	t.Parallel()
	_, err := ProblemSpec{Name: "poly", L: 24}.New()
	if !errors.Is(err, oracle.ErrTooManyOutcomes) {
		t.Fatalf("poly with L = 24: error %v, want ErrTooManyOutcomes", err)
	}
	for _, want := range []string{"2^24 = 16777216", "1048576"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
