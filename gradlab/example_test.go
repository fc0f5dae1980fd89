package gradlab_test

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/gradlab"
	"github.com/f60e9205/reinmax/oracle"
)

// Straight-through and ReinMax on a quadratic loss of one categorical variable with 8 categories: 20000 draws of
// each estimator on the real GoMLX path. The oracle's exact relative bias lies in the lab's 95% interval; ReinMax
// at τ = 1 is unbiased on quadratics, so its interval starts at 0.
func ExampleMeasure() {
	backend, err := compute.New()
	if err != nil {
		panic(err)
	}
	p, err := gradlab.ProblemSpec{Name: "quadratic"}.New()
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"st", "reinmax"} {
		est, err := gradlab.NewEstimator(name, reinmax.Params{Tau: 1})
		if err != nil {
			panic(err)
		}
		r, err := gradlab.Measure(backend, p, est, gradlab.Config{Draws: 20000, Seed: 5}, nil)
		if err != nil {
			panic(err)
		}
		exact := *r.ExactRelBias
		fmt.Printf("%s: exact relative bias %.3f, inside the interval: %v, interval from 0: %v\n",
			name, exact, r.RelBiasLo <= exact && exact <= r.RelBiasHi, r.RelBiasLo == 0)
	}
	// Output:
	// st: exact relative bias 1.256, inside the interval: true, interval from 0: false
	// reinmax: exact relative bias 0.000, inside the interval: true, interval from 0: true
}

// The order of accuracy on f_h(D) = F(h·D), F a fixed tanh network, from exact expectations: straight-through is
// a first-order rule, ReinMax at τ = 1 a second-order one.
func ExampleExactOrder() {
	hs := gradlab.GeomSpace(math.Ldexp(1, -10), math.Ldexp(1, -6), 9)
	fam := gradlab.NetFamily(gradlab.ProblemSpec{Name: "net"})
	for _, e := range []struct {
		name string
		est  oracle.Estimator
	}{{"st", oracle.ST{Tau: 1}}, {"reinmax", oracle.ReinMax{Tau: 1}}} {
		o, err := gradlab.ExactOrder(fam, hs, e.name, e.est)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: relative bias ~ h^%.1f\n", e.name, o.Slope)
	}
	// Output:
	// st: relative bias ~ h^1.0
	// reinmax: relative bias ~ h^2.0
}
