package gradlab

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/f60e9205/reinmax/progress"
)

// TestAtlasVerdict checks the verdict table on made-up measurements: a biased estimator with a small variance, an
// unbiased one with a large variance and one whose draw costs 20 evaluations. MSE(B) = max(bias², 0) + Var·evals/B.
func TestAtlasVerdict(t *testing.T) {
	t.Parallel()
	mk := func(name string, tau float64, evals int, bias2, v, relBiasHi float64) *Result {
		return &Result{Problem: "p", Estimator: name, Tau: tau, Evals: evals,
			Stats: Stats{ExactNorm: 1, Bias2: bias2, Var: v, RelBiasHi: relBiasHi}}
	}
	biased := mk("st", 1, 1, 0.04, 0.5, 0.25)       // MSE(1) = 0.54, MSE(10) = 0.09, MSE(1000) = 0.0405
	unbiased := mk("rloo", 0, 2, -0.001, 4, 0.03)   // MSE(10) = 0.8, MSE(100) = 0.08, MSE(1000) = 0.008
	costly := mk("indecater", 0, 20, 0, 0.05, 0.01) // eligible from B = 100: MSE(100) = 0.01
	if got := unbiased.MSEAt(100); !(math.Abs(got-0.08) <= 1e-15) {
		t.Errorf("MSEAt(100) of an unbiased row = %v, want Var·evals/B = 0.08 (a negative bias² counts as 0)", got)
	}
	table := Atlas(&Summary{Results: []*Result{biased, unbiased, costly}})
	t.Log("\n" + table)
	row := strings.Split(strings.TrimSpace(table), "\n")[2]
	cells := strings.Split(row, "|")
	// cells: "", " p ", B = 1, 10, 100, 1000, least biased, "".
	for i, want := range []string{"**st(tau=1) 0.54**", "**st(tau=1) 0.09**; rloo 0.8", "**indecater 0.01**; st(tau=1) 0.045",
		"**indecater 0.001**; rloo 0.008", "indecater 0.010"} {
		if got := strings.TrimSpace(cells[2+i]); got != want {
			t.Errorf("column %d: %q, want %q", i, got, want)
		}
	}
}

// TestLabNewEstimators runs the estimators of issue 18 in a small sweep: reinmax-alpha at two α (with its exact
// expectation from the oracle, which must lie inside the Monte-Carlo interval), decoupled-st at τ_f = 1 (st, with
// st's oracle), reinmax-rao and indecater (3 loss evaluations per draw on one variable of 3 categories), and the order
// study with the α family beside st and reinmax; the atlas files must be written.
func TestLabNewEstimators(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lab := Lab{
		Problems:   []ProblemSpec{{Name: "quadratic", C: 3}, {Name: "net", L: 2, C: 2}},
		Estimators: []string{"st", "reinmax", "reinmax-alpha", "decoupled-st", "reinmax-rao", "indecater"},
		Taus:       []float64{1, 2},
		Alphas:     []float64{0.75, 1},
		K:          4,
		Config:     Config{Draws: 2000, Seed: 3, Replicates: 200},
		Order:      true,
		OrderDraws: 200,
		Dir:        dir,
	}
	sum, err := lab.Run(testutil.Backend(t), func(progress.Update) {})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, r := range sum.Results {
		if r.Problem != "quadratic:L=1,C=3" {
			continue
		}
		labels = append(labels, r.Label())
		switch {
		case r.Estimator == "indecater" && r.Evals != 3, r.Estimator != "indecater" && r.Evals != 1:
			t.Errorf("%s: %d evaluations per draw", r.Label(), r.Evals)
		}
		hasOracle := slices.Contains([]string{"st", "reinmax", "reinmax-alpha", "decoupled-st"}, r.Estimator)
		if hasOracle != (r.ExactRelBias != nil) {
			t.Errorf("%s: exact relative bias %v, want one exactly for the estimators with an oracle form", r.Label(), r.ExactRelBias)
		} else if hasOracle && !(r.RelBiasLo <= *r.ExactRelBias && *r.ExactRelBias <= r.RelBiasHi) {
			t.Errorf("%s: exact relative bias %.4f outside the Monte-Carlo interval [%.4f, %.4f]", r.Label(), *r.ExactRelBias, r.RelBiasLo, r.RelBiasHi)
		}
	}
	want := []string{"st(tau=1)", "st(tau=2)", "reinmax(tau=1)", "reinmax(tau=2)", "reinmax-alpha(tau=1,alpha=0.75)",
		"reinmax-alpha(tau=2,alpha=0.75)", "reinmax-alpha(tau=1,alpha=1)", "reinmax-alpha(tau=2,alpha=1)",
		"decoupled-st(tau=1,tau_f=1)", "decoupled-st(tau=2,tau_f=1)", "reinmax-rao(tau=1,K=4)", "reinmax-rao(tau=2,K=4)",
		"indecater(K=1)"}
	if !slices.Equal(labels, want) {
		t.Errorf("measured %q,\nwant %q", labels, want)
	}
	var orders []string
	for _, o := range sum.Exact {
		orders = append(orders, o.Estimator)
	}
	if want := []string{"st", "reinmax", "reinmax-alpha(alpha=0.75)", "reinmax-alpha(alpha=1)", "decoupled-st"}; !slices.Equal(orders, want) {
		t.Errorf("exact orders of %q, want %q", orders, want)
	}
	for _, name := range []string{AtlasFile, AtlasPlotPrefix + "quadratic.png", AtlasPlotPrefix + "net.svg"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v (empty or missing)", name, err)
		}
	}
}
