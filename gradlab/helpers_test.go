package gradlab

import (
	"testing"

	_ "github.com/gomlx/compute/gobackend"

	"github.com/f60e9205/reinmax"
)

// mustProblem builds a built-in problem or fails the test.
func mustProblem(t testing.TB, spec ProblemSpec) *FuncProblem {
	t.Helper()
	p, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mustEstimator returns a registered estimator or fails the test.
func mustEstimator(t testing.TB, name string, tau float64) Estimator {
	t.Helper()
	e, err := NewEstimator(name, reinmaxParams(tau))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func reinmaxParams(tau float64) reinmax.Params { return reinmax.Params{Tau: tau} }
