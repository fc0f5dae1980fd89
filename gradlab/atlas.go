package gradlab

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The estimator atlas of a Lab: AtlasFile holds the verdict table, and AtlasPlotPrefix + problem name + ".png" and
// ".svg" the bias–deviation plot of every problem.
const (
	AtlasFile       = "atlas.md"
	AtlasPlotPrefix = "atlas-"
)

// AtlasBudgets are the budgets of loss evaluations per example at which Atlas compares the estimators.
var AtlasBudgets = []float64{1, 10, 100, 1000}

// Atlas returns the verdict of sum in Markdown: per problem and budget B of loss evaluations per example, the two
// measurements (estimator and parameters) whose average over the draws that B buys has the lowest mean squared
// error, MSE(B)/‖g*‖² with MSE(B) = max(bias², 0) + Var·evals/B (Result.MSEAt); a measurement whose draw costs more
// than B evaluations is not eligible. The last column names the measurement whose relative bias has the lowest upper
// confidence bound. The budgets are AtlasBudgets.
func Atlas(sum *Summary) string {
	var b strings.Builder
	b.WriteString("| problem |")
	for _, bud := range AtlasBudgets {
		fmt.Fprintf(&b, " B = %g |", bud)
	}
	b.WriteString(" least biased (upper bound of rel. bias) |\n|---|")
	for range AtlasBudgets {
		b.WriteString("---|")
	}
	b.WriteString("---|\n")
	for _, pr := range problemOrder(sum.Results) {
		var rs []*Result
		for _, r := range sum.Results {
			if r.Problem == pr {
				rs = append(rs, r)
			}
		}
		norm2 := rs[0].ExactNorm * rs[0].ExactNorm
		fmt.Fprintf(&b, "| %s |", pr)
		for _, bud := range AtlasBudgets {
			var ok []*Result
			for _, r := range rs {
				if float64(r.Evals) <= bud {
					ok = append(ok, r)
				}
			}
			slices.SortStableFunc(ok, func(x, y *Result) int { return cmpFloat(x.MSEAt(bud), y.MSEAt(bud)) })
			cell := "–"
			for i, r := range ok[:min(2, len(ok))] {
				entry := fmt.Sprintf("%s %.3g", r.Label(), r.MSEAt(bud)/norm2)
				if i == 0 {
					cell = "**" + entry + "**"
				} else {
					cell += "; " + entry
				}
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		least := slices.MinFunc(rs, func(x, y *Result) int { return cmpFloat(x.RelBiasHi, y.RelBiasHi) })
		fmt.Fprintf(&b, " %s %.3f |\n", least.Label(), least.RelBiasHi)
	}
	return b.String()
}

// problemOrder returns the problems of res in order of first appearance.
func problemOrder(res []*Result) []string {
	return firstAppearances(res, func(r *Result) string { return r.Problem })
}

// WriteAtlasPlot writes base+".png" and base+".svg", each file atomically: for the results of one problem, the
// relative bias (with its confidence interval) against the relative standard deviation per loss evaluation,
// √(tr Cov[g]·evals)/‖g*‖, on log scales, one series per estimator and parameters other than τ, its points (one
// per τ, labelled with τ) joined in order of τ. At equal budgets of loss evaluations, the mean squared error of an estimator is
// bias² + x²/B in these coordinates: lower and further left is better. A measurement whose interval of the bias
// contains 0 is drawn as a downward triangle at the upper end of its interval. When score-function estimators are
// among the results, a second panel enlarges the straight-through family's points.
func WriteAtlasPlot(base, problem string, res []*Result) error {
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	all, err := atlasPanel(res, &legend)
	if err != nil {
		return err
	}
	// With score-function estimators beside them, the straight-through family is a cluster: a second panel enlarges it.
	var zoom *plot.Plot
	if lo, hi, ok := straightThroughRange(res); ok {
		if zoom, err = atlasPanel(res, nil); err != nil {
			return err
		}
		all.Title.Text, zoom.Title.Text = "all estimators", "the straight-through family, enlarged"
		zoom.X.Min, zoom.X.Max, zoom.Y.Min, zoom.Y.Max = lo.X/1.2, hi.X*1.2, lo.Y/1.2, hi.Y*1.2
	}
	title := fmt.Sprintf("%s: %d draws per point, %.0f%% intervals; ▼ = upper bound", problem, firstDraws(res), 100*firstLevel(res))
	return writeCanvas(base, 40*vg.Centimeter, 16*vg.Centimeter, func(dc draw.Canvas) {
		dc = drawTitle(dc, title)
		width := dc.Max.X - dc.Min.X
		panels := []*plot.Plot{all}
		if zoom != nil {
			panels = append(panels, zoom)
		}
		each := 0.72 * width / vg.Length(len(panels))
		for i, p := range panels {
			c := dc
			c.Min.X = dc.Min.X + vg.Length(i)*each
			c.Max.X = c.Min.X + each - vg.Points(8)
			p.Draw(c)
		}
		right := dc
		right.Min.X = dc.Min.X + 0.72*width + vg.Points(6)
		legend.Draw(right)
	})
}

// straightThroughRange returns the lower-left and upper-right corners of the atlas points of the straight-through
// family (the results with a temperature), their intervals included, and whether there are other points (score-function estimators) to leave
// out of them.
func straightThroughRange(res []*Result) (lo, hi plotter.XY, ok bool) {
	lo, hi = plotter.XY{X: math.Inf(1), Y: math.Inf(1)}, plotter.XY{X: math.Inf(-1), Y: math.Inf(-1)}
	others := false
	for _, r := range res {
		if r.Tau == 0 {
			others = true
			continue
		}
		x, ylo := r.RelStd*math.Sqrt(float64(max(r.Evals, 1))), r.RelBiasLo
		if !(ylo > 0) {
			ylo = r.RelBiasHi // drawn as an upper bound
		}
		if x > 0 && ylo > 0 {
			lo.X, lo.Y, hi.X, hi.Y = min(lo.X, x), min(lo.Y, ylo), max(hi.X, x), max(hi.Y, r.RelBiasHi)
		}
	}
	return lo, hi, others && lo.X <= hi.X && lo.Y <= hi.Y
}

// atlasPanel returns the plot of WriteAtlasPlot, and adds its series to legend when legend is not nil.
func atlasPanel(res []*Result, legend *plot.Legend) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = "relative std per loss evaluation, √(tr Cov·evals)/‖g*‖"
	p.Y.Label.Text = "relative bias ‖E[g] − g*‖/‖g*‖"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = ticks125{}, ticks125{}
	p.Add(plotter.NewGrid())
	// A measurement whose standard deviation is 0 to rounding (IndeCateR on a single variable is exact enumeration)
	// cannot sit on a log axis: it is named in the legend instead.
	var sdMax float64
	for _, r := range res {
		sdMax = max(sdMax, r.RelStd*math.Sqrt(float64(max(r.Evals, 1))))
	}
	exact := func(r *Result) bool { return !(r.RelStd*math.Sqrt(float64(max(r.Evals, 1))) > 1e-9*sdMax) }
	for i, label := range firstAppearances(res, seriesLabel) {
		var rows []*Result
		for _, r := range res {
			if seriesLabel(r) == label {
				rows = append(rows, r)
			}
		}
		slices.SortFunc(rows, func(a, b *Result) int { return cmpFloat(a.Tau, b.Tau) })
		if slices.IndexFunc(rows, func(r *Result) bool { return !exact(r) }) < 0 {
			if legend != nil {
				legend.Add(label + ": exact here (standard deviation 0 to rounding)")
			}
			continue
		}
		col := atlasColor(i)
		glyph := draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: atlasShapes[(i/len(atlasPalette))%len(atlasShapes)]}
		var line, pts, ups plotter.XYs
		var bars plotter.YErrors
		var taus []string
		for _, r := range rows {
			x := r.RelStd * math.Sqrt(float64(max(r.Evals, 1)))
			if exact(r) {
				continue
			}
			if r.Tau != 0 && len(rows) > 1 {
				taus = append(taus, fmtFloat(r.Tau))
			}
			if r.RelBiasLo > 0 {
				pts = append(pts, plotter.XY{X: x, Y: r.RelBias})
				bars = append(bars, struct{ Low, High float64 }{r.RelBias - r.RelBiasLo, r.RelBiasHi - r.RelBias})
				line = append(line, plotter.XY{X: x, Y: r.RelBias})
			} else if r.RelBiasHi > 0 {
				ups = append(ups, plotter.XY{X: x, Y: r.RelBiasHi})
				line = append(line, plotter.XY{X: x, Y: r.RelBiasHi})
			}
		}
		if len(taus) == len(line) {
			lab, err := plotter.NewLabels(plotter.XYLabels{XYs: line, Labels: taus})
			if err != nil {
				return nil, err
			}
			for i := range lab.TextStyle {
				lab.TextStyle[i].Font.Size = vg.Points(7)
				lab.TextStyle[i].Color = col
			}
			lab.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(2)}
			p.Add(lab)
		}
		var thumbs []plot.Thumbnailer
		if len(line) > 1 {
			l, err := plotter.NewLine(line)
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = col, vg.Points(0.8)
			p.Add(l)
			thumbs = append(thumbs, l)
		}
		thumb, err := addBiasPoints(p, pts, bars, ups, glyph)
		if err != nil {
			return nil, err
		}
		if thumb != nil {
			thumbs = append(thumbs, thumb)
		}
		if len(thumbs) > 0 && legend != nil {
			legend.Add(label+tauRange(rows), thumbs...)
		}
	}
	// gonum widens a degenerate axis by ±1, which takes a log axis below 0 for values under 1 and panics (a panel
	// whose only point is the upper bound of one unbiased estimator, say): widen it by a factor instead.
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		if a.Min == a.Max && a.Min > 0 {
			a.Min, a.Max = a.Min/2, a.Max*2
		}
	}
	return p, nil
}

// seriesLabel names the series of r in the atlas: the estimator with its parameters other than τ.
func seriesLabel(r *Result) string { return withParams(r.Estimator, 0, r.K, r.Alpha, r.TauForward) }

// tauRange describes the temperatures of a series, for the legend: "" when there are none.
func tauRange(rows []*Result) string {
	var taus []string
	for _, r := range rows {
		if r.Tau != 0 {
			taus = append(taus, fmtFloat(r.Tau))
		}
	}
	if len(taus) == 0 {
		return ""
	}
	return ", τ = " + strings.Join(taus, ", ")
}

// atlasPalette and atlasShapes give the series of an atlas plot distinct colours (Tableau's ten, then ten darker
// ones), then distinct glyphs.
var (
	atlasPalette = hexColors(0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22,
		0x17becf, 0x393b79, 0x8c6d31, 0x31a354, 0x843c39, 0x7b4173, 0x3182bd, 0xe6550d, 0x637939, 0x636363, 0xa55194)
	atlasShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{}}
)

// hexColors returns the colours 0xRRGGBB, opaque.
func hexColors(rgb ...uint32) []color.Color {
	cs := make([]color.Color, len(rgb))
	for i, c := range rgb {
		cs[i] = color.RGBA{R: uint8(c >> 16), G: uint8(c >> 8), B: uint8(c), A: 255}
	}
	return cs
}

func atlasColor(i int) color.Color { return atlasPalette[i%len(atlasPalette)] }

// ticks125 marks log axes at 1, 2 and 5 times the powers of ten inside the range, labelling them all when the range
// spans at most two decades and the powers of ten only otherwise (with unlabelled minor ticks).
type ticks125 struct{}

// Ticks implements plot.Ticker.
func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return plot.LogTicks{Prec: 1}.Ticks(lo, hi)
	}
	few := math.Log10(hi/lo) <= 2
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9} {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (few && (m == 2 || m == 5)) {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}
