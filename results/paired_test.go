package results

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestComparePaired(t *testing.T) {
	a := map[int64]float64{0: 10, 1: 12, 2: 11, 3: 9, 4: 30}
	b := map[int64]float64{0: 11, 1: 14, 2: 13, 3: 10, 5: 1} // seed 4 and 5 are not shared
	p := ComparePaired(a, b)
	// d = −1, −2, −2, −1: mean −1.5, s = √(1/3), SE = √(1/3)/2 = 0.288675, t = 5.19615 with 3 degrees of freedom:
	// two-sided p = 0.0138468 (the closed form of t with 3 degrees of freedom: 2·(1 − F(t)), F(t) = ½ +
	// (t/(√3(1 + t²/3)) + atan(t/√3))/π).
	if p.Seeds != 4 || p.Below != 4 || p.Above != 0 || p.Ties != 0 {
		t.Fatalf("%+v: want 4 shared seeds, all below", p)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"mean difference", p.MeanDiff, -1.5}, {"SE", p.SE, math.Sqrt(1.0/3) / 2}, {"P", p.P, 0.0138468}, {"sign P", p.SignP, 0.125}} {
		if !(math.Abs(c.got-c.want) < 1e-6) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if v := p.Verdict(0.05, true); v != "ahead" {
		t.Errorf("lower is better: verdict %q, want ahead", v)
	}
	if v := p.Verdict(0.05, false); v != "behind" {
		t.Errorf("higher is better: verdict %q, want behind", v)
	}
	if v := p.Verdict(0.01, true); v != "cannot tell" {
		t.Errorf("at 0.01: verdict %q, want cannot tell", v)
	}
	one := ComparePaired(map[int64]float64{0: 1}, map[int64]float64{0: 2})
	if !math.IsNaN(one.P) || one.Verdict(0.05, true) != "cannot tell" {
		t.Errorf("one seed: %+v, want P NaN and no verdict", one)
	}
	two := ComparePaired(map[int64]float64{0: 1, 1: 2}, map[int64]float64{0: 5.5, 1: 6.51})
	if !(two.P < 0.05) || two.Verdict(0.05, true) != "cannot tell" {
		t.Errorf("two seeds: %+v, want a small P and no verdict", two)
	}
	nan := ComparePaired(map[int64]float64{0: math.NaN(), 1: 1}, map[int64]float64{0: 1, 1: 2})
	if nan.Verdict(0.05, true) != "cannot tell" {
		t.Errorf("a NaN value decided a verdict: %+v", nan)
	}
}

// TestPairedCells checks a row's fields, and that the Markdown table is the header and one line of them per row.
func TestPairedCells(t *testing.T) {
	row := PairedRow{Cell: "10x30", A: "reinmax", B: "st",
		Paired: ComparePaired(map[int64]float64{0: 10, 1: 12, 2: 11}, map[int64]float64{0: 11, 1: 14, 2: 13})}
	// d = −1, −2, −2: mean −1.67, SE = 0.33, t = 5 with 2 degrees of freedom, p = 0.038; three seeds below.
	want := []string{"10x30", "reinmax", "st", "3", "-1.67 ± 0.333", "0.038", "3 / 0", "0.25", "ahead"}
	if got := row.Cells(true); !slices.Equal(got, want) {
		t.Errorf("cells %q, want %q", got, want)
	}
	if got := row.Cells(false); got[6] != "0 / 3" || got[8] != "behind" {
		t.Errorf("higher is better: cells %q, want 0 / 3 and behind", got)
	}
	var b strings.Builder
	if err := (PairedTable{Heading: "H.", Rows: []PairedRow{row}, LowerIsBetter: true}).WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if len(lines) != 6 || lines[0] != "H." || lines[4] != "| "+strings.Join(want, " | ")+" |" {
		t.Errorf("markdown:\n%s", b.String())
	}
}

func TestSig3(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{-16, "-16.0"}, {5.97, "5.97"}, {0.0266, "0.0266"}, {128.16, "128"}, {-39.38, "-39.4"}, {9.996, "10.0"},
		{0.9996, "1.00"}, {0.05, "0.0500"}, {1.02e-5, "1.02e-05"}, {0, "0"}, {2e6, "2e+06"}, {math.NaN(), "–"},
	} {
		if got := sig3(tc.x); got != tc.want {
			t.Errorf("sig3(%v) = %q, want %q", tc.x, got, tc.want)
		}
	}
}
