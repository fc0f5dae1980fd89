package results

import (
	"math"
	"strings"
	"testing"
)

func TestGrid(t *testing.T) {
	var g Grid
	g.Set("reinmax", "10x30", "98.4")
	g.Set("st", "8x4", "130.2")
	g.Set("reinmax", "8x4", "124.7")
	var b strings.Builder
	if err := g.WriteMarkdown(&b, "estimator"); err != nil {
		t.Fatal(err)
	}
	want := "| estimator | 10x30 | 8x4 |\n|---|---|---|\n| reinmax | 98.4 | 124.7 |\n| st |  | 130.2 |\n"
	if b.String() != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", b.String(), want)
	}
	if s, ok := g.Get("st", "10x30"); ok || s != "" {
		t.Errorf("unset cell: %q, %v", s, ok)
	}
}

func TestMeanStd(t *testing.T) {
	if m, s := MeanStd([]float64{1, 2, 3}); m != 2 || s != 1 {
		t.Errorf("MeanStd(1,2,3) = %v, %v; want 2, 1 (sample std)", m, s)
	}
	if m, s := MeanStd([]float64{5}); m != 5 || s != 0 {
		t.Errorf("MeanStd(5) = %v, %v", m, s)
	}
	if m, _ := MeanStd(nil); !math.IsNaN(m) {
		t.Errorf("MeanStd(nil) = %v, want NaN", m)
	}
	if Num(math.NaN()) != "" || Num(1.23456) != "1.2346" {
		t.Errorf("Num: %q %q", Num(math.NaN()), Num(1.23456))
	}
}

func TestTablesMarkdown(t *testing.T) {
	var g Grid
	g.Set("reinmax", "10x30", "98.4")
	tables := []Table{{Caption: "First.", Corner: "estimator", Grid: g}, {Caption: "Second.", Corner: "e", Grid: g}}
	var b strings.Builder
	if err := WriteTables(&b, tables); err != nil {
		t.Fatal(err)
	}
	want := "First.\n\n| estimator | 10x30 |\n|---|---|\n| reinmax | 98.4 |\n\nSecond.\n\n| e | 10x30 |\n|---|---|\n| reinmax | 98.4 |\n"
	if b.String() != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 seeds", 1: "1 seed", 3: "3 seeds"} {
		if got := Count(n, "seed"); got != want {
			t.Errorf("Count(%d, seed) = %q, want %q", n, got, want)
		}
	}
}
