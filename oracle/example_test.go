package oracle_test

import (
	"fmt"

	"github.com/f60e9205/reinmax/oracle"
)

// The first test vector of reference section 1.4: theta = [1, -0.5, 0.25], sampled D = e2, gD = [0.3,
// -1.2, 2], no soft path, tau = 1.
func ExampleReinMax() {
	theta := []float64{1, -0.5, 0.25}
	gD := []float64{0.3, -1.2, 2}
	grad := make([]float64, 3)
	oracle.ReinMax{Tau: 1}.Grad(grad, theta, 1, gD, nil)
	fmt.Printf("ReinMax: %.6f\n", grad)
	oracle.ST{Tau: 1}.Grad(grad, theta, 1, gD, nil)
	fmt.Printf("ST:      %.6f\n", grad)
	// Output:
	// ReinMax: [0.442348 -0.888109 0.445761]
	// ST:      [-0.162913 -0.233753 0.396666]
}

// For a quadratic loss ReinMax at tau = 1 is unbiased: its exact expectation equals the exact gradient.
func ExampleExpectedGradient() {
	// f(d) = (d_0 - 2 d_4)^2 + d_1 for two variables with three categories.
	A := make([]float64, 36)
	A[0*6+0], A[0*6+4], A[4*6+0], A[4*6+4] = 1, -2, -2, 4
	b := []float64{0, 1, 0, 0, 0, 0}
	f := oracle.Quadratic(2, 3, A, b)
	theta := []float64{0.5, -1, 0, 1, 0, -0.5}

	exact, _ := oracle.ExactGradient(theta, f)
	rm, _ := oracle.ExpectedGradient(theta, f, oracle.ReinMax{Tau: 1})
	st, _ := oracle.ExpectedGradient(theta, f, oracle.ST{Tau: 1})
	fmt.Printf("exact:      %.4f\n", exact)
	fmt.Printf("E[ReinMax]: %.4f\n", rm)
	fmt.Printf("E[ST]:      %.4f\n", st)
	// Output:
	// exact:      [-0.0480 0.1021 -0.0540 -0.2636 0.3224 -0.0588]
	// E[ReinMax]: [-0.0480 0.1021 -0.0540 -0.2636 0.3224 -0.0588]
	// E[ST]:      [-0.0250 0.0959 -0.0709 0.0489 -0.0598 0.0109]
}
