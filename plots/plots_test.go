package plots

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testFigure() Figure {
	xs := []float64{0, 50, 100, 150}
	return Figure{
		Cols: 2,
		Panels: []Panel{
			{Title: "p = 1.5", XLabel: "step", YLabel: "gap", LogY: true, Series: []Series{
				{Label: "st", X: xs, Y: []float64{0.05, 0.03, 0.02, 0.01}},
				{Label: "reinmax", X: xs, Y: []float64{0.05, 0.01, 0, 1e-4}}, // the 0 is left out on a log axis
			}},
			{Title: "p = 2", XLabel: "step", YLabel: "gap", Series: []Series{{Label: "st", X: xs, Y: []float64{4, 3, 2, 1}}}},
			{Title: "p = 3", XLabel: "step", YLabel: "gap", Series: []Series{{Label: "st", X: xs, Y: []float64{4, 3, 2, 1}}}},
		},
		DPI: 50,
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "curves")
	if err := testFigure().Save(base); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(base + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("curves.png is not a PNG: %v", err)
	}
	// Two columns of 4-inch panels and two rows of 3.2-inch panels at 50 dots per inch.
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 320 {
		t.Errorf("PNG is %dx%d pixels, want 400x320", b.Dx(), b.Dy())
	}
	svg, err := os.ReadFile(base + ".svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "p = 1.5", "reinmax", "p = 3"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("curves.svg does not contain %q", want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d files, want 2 (no temporary file left)", len(entries))
	}
}

func TestErrors(t *testing.T) {
	bad := testFigure()
	bad.Panels[1].Series[0].Y = []float64{1}
	empty := testFigure()
	empty.Panels[2].Series[0].Y = []float64{0, -1, 0, 0}
	empty.Panels[2].LogY = true
	tests := []struct {
		name string
		fig  Figure
		fmt  string
		want string
	}{
		{"no panels", Figure{}, "png", "at least one panel"},
		{"length mismatch", bad, "png", `panel "p = 2", series "st": 4 x values but 1 y values`},
		{"nothing to draw", empty, "svg", `panel "p = 3" has no point`},
		{"format", testFigure(), "gif", `unknown format "gif"`},
	}
	for _, tc := range tests {
		err := tc.fig.Write(&bytes.Buffer{}, tc.fmt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Write = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "folder", "curves")
	if err := testFigure().Save(missing); err == nil || !strings.Contains(err.Error(), missing+".png") {
		t.Errorf("Save into a missing folder = %v, want an error naming %s.png", err, missing)
	}
}

// TestOnePointLogAxis draws a log-scale panel whose curve has a single point (a run with one evaluation), which
// made the plotting library panic: Save returns a *DrawError or draws it, and never panics.
func TestOnePointLogAxis(t *testing.T) {
	fig := Figure{Panels: []Panel{{Title: "variance", LogY: true, Series: []Series{{Label: "reinmax", X: []float64{10}, Y: []float64{0.3}}}}}}
	base := filepath.Join(t.TempDir(), "curves")
	err := fig.Save(base)
	var de *DrawError
	if err != nil && !errors.As(err, &de) {
		t.Fatalf("Save = %v, want nil or a *DrawError", err)
	}
	if de != nil {
		if _, serr := os.Stat(base + ".png"); serr == nil {
			t.Error("a figure that cannot be drawn left a file")
		}
	}
}

// TestBand draws the mean of three runs with its band, on linear and logarithmic axes: Mean gives the sample
// standard deviation, and a figure with bands draws.
func TestBand(t *testing.T) {
	var m Mean
	for _, y := range []float64{1, 2, 6} {
		m.Add("reinmax", 0, y)
		m.Add("reinmax", 1, y/2)
	}
	m.Add("st", 0, 5) // one run: no band
	s := m.Series()
	// y = 1, 2, 6: mean 3, sample variance ((−2)² + (−1)² + 3²)/2 = 7.
	if got := s[0].Hi[0] - s[0].Y[0]; !(math.Abs(s[0].Y[0]-3) < 1e-12 && math.Abs(got-math.Sqrt(7)) < 1e-12) {
		t.Errorf("mean %v, band half-width %v; want 3 and √7", s[0].Y[0], got)
	}
	if s[1].Lo != nil {
		t.Errorf("a curve of one run has a band %v", s[1].Lo)
	}
	for _, logY := range []bool{false, true} {
		fig := Figure{Panels: []Panel{{Title: "band", LogY: logY, Series: s}}}
		if err := fig.Write(&bytes.Buffer{}, "svg"); err != nil {
			t.Errorf("logY %v: %v", logY, err)
		}
	}
	bad := Figure{Panels: []Panel{{Series: []Series{{Label: "x", X: []float64{0, 1}, Y: []float64{1, 2}, Lo: []float64{0}}}}}}
	if err := bad.Write(&bytes.Buffer{}, "svg"); err == nil {
		t.Error("a band shorter than its curve drew")
	}
}

// TestLogX draws a panel on a logarithmic x axis: points with x <= 0 are left out, and a panel with no other point
// has nothing to draw.
func TestLogX(t *testing.T) {
	s := Series{Label: "st", X: []float64{0, 1e-3, 1e-2, 1e-1}, Y: []float64{9, 1, 2, 3}, Lo: []float64{9, 0.5, 1, 2}, Hi: []float64{9, 2, 3, 4}}
	var buf bytes.Buffer
	if err := (Figure{Panels: []Panel{{Title: "h", LogX: true, LogY: true, Series: []Series{s}}}}).Write(&buf, "svg"); err != nil {
		t.Fatal(err)
	}
	for _, tick := range []string{">0.001<", ">0.01<", ">0.1<"} {
		if !strings.Contains(buf.String(), tick) {
			t.Errorf("the log x axis has no tick %s", tick)
		}
	}
	zero := Series{Label: "st", X: []float64{0, -1}, Y: []float64{1, 2}}
	if err := (Figure{Panels: []Panel{{Title: "h", LogX: true, Series: []Series{zero}}}}).Write(&buf, "svg"); err == nil {
		t.Error("a panel whose x values are all <= 0 drew on a log axis")
	}
}
