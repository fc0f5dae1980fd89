package gradlab

import (
	"github.com/f60e9205/reinmax/internal/testutil"
	"github.com/f60e9205/reinmax/progress"

	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/oracle"
)

// TestLab runs a small sweep end to end and checks the files, the table's rows, the skipped pair and the order
// study.
func TestLab(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lab := Lab{
		Problems:   []ProblemSpec{{Name: "quadratic", C: 3}, {Name: "net", L: 2, C: 2}},
		Estimators: []string{"st", "reinmax"},
		Taus:       []float64{0.5, 1},
		Config:     Config{Draws: 500, Seed: 1, Replicates: 200},
		Order:      true,
		OrderDraws: 500,
		Dir:        dir,
	}
	var last int
	sum, err := lab.Run(testutil.Backend(t), func(p progress.Update) { last = p.Done })
	if err != nil {
		t.Fatal(err)
	}
	// 2 problems × (st at 0.5 and 1, reinmax at 1); reinmax at 0.5 is skipped.
	if len(sum.Results) != 6 || len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0], "reinmax at tau=0.5") {
		t.Errorf("%d results, skipped %q: want 6 and reinmax at tau=0.5", len(sum.Results), sum.Skipped)
	}
	if len(sum.Exact) != 2 || len(sum.MC) != 2 {
		t.Errorf("order study: %d exact and %d Monte-Carlo orders, want 2 and 2", len(sum.Exact), len(sum.MC))
	}
	if want := 6*500 + 2*len(OrderMCH)*500; last != want {
		t.Errorf("last progress at %d draws, want %d", last, want)
	}
	for _, name := range []string{ResultsCSV, ResultsJSONL, TableFile, OrderCSV, OrderJSONL, OrderPlot + ".png", OrderPlot + ".svg",
		TauPlotPrefix + "quadratic.png", TauPlotPrefix + "net.svg"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v (empty or missing)", name, err)
		}
	}
	f, err := os.Open(filepath.Join(dir, ResultsCSV))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 7 || rows[0][0] != "problem" {
		t.Errorf("results.csv: %d rows (%v), want a header and 6 rows", len(rows), err)
	}
}

// TestLabValidate checks that bad input is named before anything runs.
func TestLabValidate(t *testing.T) {
	t.Parallel()
	ok := Lab{Problems: []ProblemSpec{{Name: "quadratic"}}, Estimators: []string{"st"}, Taus: []float64{1},
		Config: Config{Draws: 10}, Dir: t.TempDir()}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid lab: %v", err)
	}
	for _, test := range []struct {
		change func(*Lab)
		want   string
	}{
		{func(l *Lab) { l.Config.Draws = 1 }, "at least 2"},
		{func(l *Lab) { l.Estimators = []string{"nope"} }, `unknown estimator "nope" (valid: st,`},
		{func(l *Lab) { l.Estimators = []string{"arms"} }, "arms handles binary variables only"},
		{func(l *Lab) { l.Estimators = []string{"exact"} }, "no error to measure"},
		{func(l *Lab) { l.Estimators, l.Evaluations = []string{"rloo"}, 1 }, "rloo"},
		{func(l *Lab) { l.Taus = []float64{0} }, "want a finite tau > 0"},
		{func(l *Lab) { l.Problems = []ProblemSpec{{Name: "poly", L: 30}} }, "2^30 = 1073741824"},
		{func(l *Lab) { l.Estimators, l.Taus = []string{"reinmax"}, []float64{0.5} }, "no estimator accepts"},
		{func(l *Lab) { l.Dir = "" }, "no output folder"},
	} {
		l := ok
		test.change(&l)
		if err := l.Validate(); err == nil || !strings.Contains(err.Error(), test.want) {
			t.Errorf("error %v, want one containing %q", err, test.want)
		}
	}
	l := ok
	l.Problems = []ProblemSpec{{Name: "poly", L: 30}}
	if err := l.Validate(); !errors.Is(err, oracle.ErrTooManyOutcomes) {
		t.Errorf("too large a problem: error %v, want ErrTooManyOutcomes", err)
	}
}

// TestLabScoreFunction runs a score-function estimator beside a straight-through one: it is measured once (it has
// no temperature) with the evaluations asked for, and named with them in the table.
func TestLabScoreFunction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lab := Lab{
		Problems:    []ProblemSpec{{Name: "quadratic", C: 3}},
		Estimators:  []string{"reinmax", "rloo"},
		Taus:        []float64{1, 2},
		Evaluations: 4,
		Config:      Config{Draws: 200, Seed: 1, Replicates: 100},
		Dir:         dir,
	}
	sum, err := lab.Run(testutil.Backend(t), func(progress.Update) {})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range sum.Results {
		names = append(names, fmt.Sprintf("%s tau=%v K=%d", r.Estimator, r.Tau, r.K))
	}
	if want := []string{"reinmax tau=1 K=0", "reinmax tau=2 K=0", "rloo tau=0 K=4"}; !slices.Equal(names, want) {
		t.Errorf("measured %q, want %q", names, want)
	}
	table, err := os.ReadFile(filepath.Join(dir, TableFile))
	if err != nil || !strings.Contains(string(table), "rloo") {
		t.Errorf("table.md (%v) does not name rloo:\n%s", err, table)
	}
}

// TestLabCustomEstimators runs a lab with estimators built by the caller only: no temperatures are needed, each
// runs once, named in the table.
func TestLabCustomEstimators(t *testing.T) {
	t.Parallel()
	e, err := NewEstimator("st", reinmax.Params{})
	if err != nil {
		t.Fatal(err)
	}
	e.Name, e.Tau = "custom-st", 0
	lab := Lab{
		Problems:         []ProblemSpec{{Name: "quadratic", C: 3}},
		CustomEstimators: []Estimator{e},
		Config:           Config{Draws: 100, Seed: 1, Replicates: 100},
		Dir:              t.TempDir(),
	}
	sum, err := lab.Run(testutil.Backend(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Results) != 1 || sum.Results[0].Estimator != "custom-st" || !strings.Contains(Table(sum), "| custom-st | – |") {
		t.Errorf("results %v, table\n%s\nwant one row of custom-st with no τ", sum.Results, Table(sum))
	}
	if err := (Lab{Problems: lab.Problems, Config: lab.Config, Dir: lab.Dir}).Validate(); err == nil || !strings.Contains(err.Error(), "no estimator") {
		t.Errorf("a lab without estimators: error %v", err)
	}
}

// TestAtlasOneUpperBound draws an atlas whose only point is an upper bound (the interval of an unbiased estimator's
// bias contains 0) beside an estimator with no variance: gonum widened the degenerate axis by ±1, below 0 on a log
// axis, and panicked.
func TestAtlasOneUpperBound(t *testing.T) {
	rs := []*Result{
		{Estimator: "deterministic", Stats: Stats{N: 20, Level: 0.95, RelBias: 1.1, RelBiasLo: 1.1, RelBiasHi: 1.1}},
		{Estimator: "unbiased", Tau: 1, Stats: Stats{N: 20, Level: 0.95, RelBias: 0.2, RelBiasHi: 0.6, RelStd: 1.4}},
	}
	if err := WriteAtlasPlot(filepath.Join(t.TempDir(), "atlas"), "problem", rs); err != nil {
		t.Fatal(err)
	}
}
