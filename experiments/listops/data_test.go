package listops

import (
	"math"
	"slices"
	"testing"

	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
)

func TestLoadData(t *testing.T) {
	d, err := LoadData(DataSpec{TrainSize: 50, ValidSize: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 8,925 of the 10,000 official test rows have fewer than 100 tokens (counted with listopsdata.ShorterThan).
	if len(d.Train) != 50 || len(d.Valid) != 20 || len(d.Test) != 8925 || d.TestRows != 10000 {
		t.Fatalf("sizes train %d valid %d test %d of %d, want 50, 20, 8925 of 10000", len(d.Train), len(d.Valid), len(d.Test), d.TestRows)
	}
	test := listopsdata.Keys(d.Test)
	for _, e := range append(append([]listopsdata.Example(nil), d.Train...), d.Valid...) {
		if test[e.Expr.String()] {
			t.Errorf("generated expression %s is in the test split", e.Expr)
		}
	}
	valid := listopsdata.Keys(d.Valid)
	for _, e := range d.Train {
		if valid[e.Expr.String()] {
			t.Errorf("training expression %s is in the validation set", e.Expr)
		}
	}
	small, err := LoadData(DataSpec{TrainSize: 30, ValidSize: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	key := func(e listopsdata.Example) string { return e.Expr.String() }
	if !slices.Equal(mapKeys(small.Valid, key), mapKeys(d.Valid, key)) || !slices.Equal(mapKeys(small.Train, key), mapKeys(d.Train[:30], key)) {
		t.Error("a smaller training set must keep the validation set and be a prefix of the larger one")
	}
	if _, err := LoadData(DataSpec{TrainSize: 0, ValidSize: 20}); err == nil {
		t.Error("LoadData with no training expression: no error")
	}
}

func mapKeys(ex []listopsdata.Example, key func(listopsdata.Example) string) []string {
	out := make([]string, len(ex))
	for i, e := range ex {
		out[i] = key(e)
	}
	return out
}

func TestBaselines(t *testing.T) {
	d := tinyData(t)
	b, err := FitBaselines(d, 64)
	if err != nil {
		t.Fatal(err)
	}
	var counts [Classes]int
	for _, e := range d.Train {
		counts[e.Label]++
	}
	if counts[b.MajorityLabel] != slices.Max(counts[:]) {
		t.Errorf("majority label %d has %d examples, the most frequent %d", b.MajorityLabel, counts[b.MajorityLabel], slices.Max(counts[:]))
	}
	for name, v := range map[string]float64{"majority": b.MajorityTestAcc, "bag": b.BagTestAcc, "left": b.LeftF1, "right": b.RightF1} {
		if !(v >= 0 && v <= 1) {
			t.Errorf("%s = %v, want a fraction", name, v)
		}
	}
	// The gold trees of ListOps branch to the left inside each operator: a left-branching tree finds more of their
	// spans than a right-branching one.
	if !(b.LeftF1 > b.RightF1) {
		t.Errorf("left-branching F1 %v, right-branching %v: want left > right", b.LeftF1, b.RightF1)
	}
	if _, err := FitBaselines(d, 65); err == nil {
		t.Error("baselines on more training expressions than the data has: no error")
	}
}

func TestDescend(t *testing.T) {
	// f(x, y) = (x − 3)² + 10(y + 1)², minimum at (3, −1).
	f := func(grad, x []float64) float64 {
		if grad != nil {
			grad[0], grad[1] = 2*(x[0]-3), 20*(x[1]+1)
		}
		return (x[0]-3)*(x[0]-3) + 10*(x[1]+1)*(x[1]+1)
	}
	x, err := descend(f, []float64{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(x[0]-3) <= 1e-4 && math.Abs(x[1]+1) <= 1e-4) {
		t.Errorf("descend found %v, want (3, -1)", x)
	}
}

func TestSpanAgreement(t *testing.T) {
	e := parseExamples(t, "[MAX 2 [MIN 4 7 ] 0 ]")[0]
	gold := e.Expr.Tree()
	if got := spanAgreement(gold, gold); got != 1 {
		t.Errorf("gold against itself: %v, want 1", got)
	}
	// 8 tokens: [MAX 2 [MIN 4 7 ] 0 ]. The gold tree's non-root spans are [0,2) [2,4) [2,5) [2,6) [0,6) [0,7);
	// a left-branching tree has [0,2) [0,3) ... [0,7), sharing 3 of the 6; a right-branching one has [1,8) ...
	// [6,8), sharing none.
	for _, tc := range []struct {
		merges []int
		want   float64
	}{
		{[]int{0, 0, 0, 0, 0, 0, 0}, 0.5},
		{[]int{6, 5, 4, 3, 2, 1, 0}, 0},
	} {
		tree, err := listopsdata.MergeTree(e.Tokens, tc.merges)
		if err != nil {
			t.Fatal(err)
		}
		if got := spanAgreement(gold, tree); !(math.Abs(got-tc.want) <= 1e-12) {
			t.Errorf("merges %v: agreement %v, want %v", tc.merges, got, tc.want)
		}
	}
}
