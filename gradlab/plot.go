package gradlab

import (
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// WriteTauPlot writes base+".png" and base+".svg", each file atomically: for the results of one problem, the
// relative bias (with its confidence interval) and the relative standard deviation against τ, one line per
// estimator; crosses mark the oracle's exact relative bias where there is one.
func WriteTauPlot(base, problem string, res []*Result) error {
	bias, std := plot.New(), plot.New()
	bias.Title.Text = "relative bias ‖E[g] − g*‖/‖g*‖"
	std.Title.Text = "relative std √tr Cov[g] / ‖g*‖"
	for _, p := range []*plot.Plot{bias, std} {
		p.X.Label.Text = "τ"
		p.Add(plotter.NewGrid())
	}
	bias.Legend.Top, bias.Legend.Left = true, true
	exactShown := false
	lo, hi := math.Inf(1), math.Inf(-1) // the range of the temperatures measured
	for _, r := range res {
		if r.Tau > 0 {
			lo, hi = min(lo, r.Tau), max(hi, r.Tau)
		}
	}
	for _, name := range estimatorOrder(res) {
		var rows []*Result
		for _, r := range res {
			if r.Estimator == name {
				rows = append(rows, r)
			}
		}
		slices.SortFunc(rows, func(a, b *Result) int { return cmpFloat(a.Tau, b.Tau) })
		flat := len(rows) == 1 && rows[0].Tau == 0 // no temperature: a level line across the range of τ
		if flat {
			if !(lo <= hi) {
				continue
			}
			left, right := *rows[0], *rows[0]
			left.Tau, right.Tau = lo, hi
			rows = []*Result{&left, &right}
		}
		col := estimatorColor(name)
		b, s, bars := make(plotter.XYs, len(rows)), make(plotter.XYs, len(rows)), make(plotter.YErrors, len(rows))
		var exact plotter.XYs
		for i, r := range rows {
			b[i] = plotter.XY{X: r.Tau, Y: r.RelBias}
			bars[i].Low, bars[i].High = r.RelBias-r.RelBiasLo, r.RelBiasHi-r.RelBias
			s[i] = plotter.XY{X: r.Tau, Y: r.RelStd}
			if r.ExactRelBias != nil {
				exact = append(exact, plotter.XY{X: r.Tau, Y: *r.ExactRelBias})
			}
		}
		label := name
		switch {
		case flat && rows[0].K == 0:
			label = name + " (no τ)"
		case flat:
			label = fmt.Sprintf("%s (K=%d, no τ)", name, rows[0].K)
		case len(rows) > 0 && rows[0].K != 0:
			label = fmt.Sprintf("%s (K=%d)", name, rows[0].K)
		}
		if err := addLinePoints(bias, label, b, col); err != nil {
			return err
		}
		eb, err := plotter.NewYErrorBars(xyErrs{b, bars})
		if err != nil {
			return err
		}
		eb.LineStyle.Color = col
		bias.Add(eb)
		if len(exact) > 0 {
			sc, err := plotter.NewScatter(exact)
			if err != nil {
				return err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(3), Shape: draw.CrossGlyph{}}
			bias.Add(sc)
			if !exactShown {
				bias.Legend.Add("exact (oracle)", sc)
				exactShown = true
			}
		}
		if err := addLinePoints(std, "", s, col); err != nil {
			return err
		}
	}
	// Room above the data for the legend (one line per entry), which the std panel shares.
	bias.Y.Min, std.Y.Min = 0, 0
	entries := len(estimatorOrder(res))
	if exactShown {
		entries++
	}
	bias.Y.Max *= 1 + 0.1*float64(entries)
	std.Y.Max *= 1.05
	title := fmt.Sprintf("%s: %d draws per point, %.0f%% intervals", problem, firstDraws(res), 100*firstLevel(res))
	return writePlots(base, title, [][]*plot.Plot{{bias, std}}, 26*vg.Centimeter, 11*vg.Centimeter)
}

// WriteOrderPlot writes base+".png" and base+".svg", each file atomically: the order-of-accuracy plot, log relative
// bias against log h, with the exact curves (and their fitted lines over the fit window) and the Monte-Carlo points
// with their confidence intervals. A Monte-Carlo point whose interval contains 0 is drawn as a downward triangle at
// the upper end of its interval. The fitted slopes are in the legend.
func WriteOrderPlot(base, title string, exact []Order, mc []*MCOrder) error {
	p := plot.New()
	p.X.Label.Text = "h"
	p.Y.Label.Text = "relative bias" // short: gonum pads the plot to fit the rotated label's length
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: 1}, plot.LogTicks{Prec: 1}
	p.Add(plotter.NewGrid())
	for _, o := range exact {
		col := estimatorColor(o.Estimator)
		xy := make(plotter.XYs, 0, len(o.H))
		for i, h := range o.H {
			if o.RelBias[i] > 0 {
				xy = append(xy, plotter.XY{X: h, Y: o.RelBias[i]})
			}
		}
		if len(xy) < 2 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color, l.Width = col, vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s, exact: slope %.2f (dashed: fit on h in [%s, %s])", o.Estimator, o.Slope, fmtH(o.FitLo), fmtH(o.FitHi)), l)
		fit := plotter.NewFunction(func(x float64) float64 { return expFit(o.Intercept, o.Slope, x) })
		fit.XMin, fit.XMax = o.FitLo, o.FitHi
		fit.Color, fit.Width, fit.Dashes = color.Black, vg.Points(0.8), []vg.Length{vg.Points(3), vg.Points(2)}
		p.Add(fit)
	}
	for _, o := range mc {
		col := estimatorColor(o.Estimator)
		var pts, ups plotter.XYs
		var bars plotter.YErrors
		for i, r := range o.Results {
			if r.RelBiasLo > 0 {
				pts = append(pts, plotter.XY{X: o.H[i], Y: r.RelBias})
				bars = append(bars, struct{ Low, High float64 }{r.RelBias - r.RelBiasLo, r.RelBiasHi - r.RelBias})
			} else if r.RelBiasHi > 0 {
				ups = append(ups, plotter.XY{X: o.H[i], Y: r.RelBiasHi})
			}
		}
		label := fmt.Sprintf("%s, Monte Carlo (%d draws per point)", o.Estimator, o.Results[0].N)
		if o.Fitted {
			label += fmt.Sprintf(": slope %.2f", o.Slope)
		}
		thumb, err := addBiasPoints(p, pts, bars, ups, draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: draw.CircleGlyph{}})
		if err != nil {
			return err
		}
		if thumb != nil {
			p.Legend.Add(label, thumb)
		}
	}
	return writePlots(base, title, [][]*plot.Plot{{p}}, 20*vg.Centimeter, 14*vg.Centimeter)
}

// drawTitle writes title (when not empty) at the top of dc and returns the canvas below it.
func drawTitle(dc draw.Canvas, title string) draw.Canvas {
	if title != "" {
		sty := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, 12), Handler: plot.DefaultTextHandler,
			XAlign: draw.XCenter, YAlign: draw.YTop}
		dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(4)}, title)
		dc.Max.Y -= vg.Points(22)
	}
	return dc
}

// addBiasPoints adds to p the points pts with their error bars, drawn with glyph, and the upper bounds ups, drawn as
// downward triangles of the same colour; it returns the thumbnail for a legend (the points', else the bounds'), nil
// when there is nothing to draw.
func addBiasPoints(p *plot.Plot, pts plotter.XYs, bars plotter.YErrors, ups plotter.XYs, glyph draw.GlyphStyle) (plot.Thumbnailer, error) {
	var thumb plot.Thumbnailer
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = glyph
		eb, err := plotter.NewYErrorBars(xyErrs{pts, bars})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Color = glyph.Color
		p.Add(sc, eb)
		thumb = sc
	}
	if len(ups) > 0 {
		sc, err := plotter.NewScatter(ups)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: glyph.Color, Radius: vg.Points(3.5), Shape: invertedPyramid{}}
		p.Add(sc)
		if thumb == nil {
			thumb = sc
		}
	}
	return thumb, nil
}

// fmtH writes h as 2^k when it is a power of two up to rounding, for example 2⁻¹⁰ as "2^-10".
func fmtH(h float64) string {
	if k := math.Round(math.Log2(h)); math.Abs(h-math.Exp2(k)) <= 1e-9*h {
		return fmt.Sprintf("2^%d", int(k))
	}
	return strconv.FormatFloat(h, 'g', 3, 64)
}

// xyErrs pairs points with their error bars for plotter.NewYErrorBars.
type xyErrs struct {
	plotter.XYs
	plotter.YErrors
}

// invertedPyramid is a downward triangle: an upper bound.
type invertedPyramid struct{}

func (invertedPyramid) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	c.FillPolygon(sty.Color, []vg.Point{{X: pt.X - r, Y: pt.Y + r}, {X: pt.X + r, Y: pt.Y + r}, {X: pt.X, Y: pt.Y - r}})
}

func addLinePoints(p *plot.Plot, label string, xy plotter.XYs, col color.Color) error {
	l, s, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, s.Color = col, col
	p.Add(l, s)
	if label != "" {
		p.Legend.Add(label, l, s)
	}
	return nil
}

// estimatorColor gives every registered estimator a fixed colour, so that the plots agree; a name with parameters,
// such as "reinmax-alpha(alpha=0.5)", gets a colour of its own from the family's shades.
func estimatorColor(name string) color.Color {
	order := []string{"st", "reinmax", "stgs", "gst-1.0", "gr-mck", "gst-p", "gumbel-softmax"}
	if i := slices.Index(order, name); i >= 0 {
		return plotutil.Color(i)
	}
	later := []string{"reinmax-rao", "reinmax-cv", "decoupled-st", "decoupled-stgs", "indecater"}
	if i := slices.Index(later, name); i >= 0 {
		return atlasPalette[10+i]
	}
	if rest, ok := strings.CutPrefix(name, "reinmax-alpha(alpha="); ok { // from purple at α = ½ to orange at α = 4
		alpha, err := strconv.ParseFloat(strings.TrimSuffix(rest, ")"), 64)
		if err == nil && alpha > 0 {
			t := math.Max(0, math.Min(1, math.Log2(2*alpha)/3))
			mix := func(a, b float64) uint8 { return uint8(a + t*(b-a)) }
			return color.RGBA{R: mix(128, 230), G: mix(0, 140), B: mix(160, 0), A: 255}
		}
	}
	switch name { // the score-function estimators the lab runs, in greys and black
	case "reinforce":
		return color.Gray{Y: 0}
	case "reinforce-baseline":
		return color.Gray{Y: 110}
	case "rloo":
		return color.Gray{Y: 160}
	}
	return color.Gray{Y: 80}
}

// estimatorOrder returns the estimators of res in order of first appearance.
func estimatorOrder(res []*Result) []string {
	return firstAppearances(res, func(r *Result) string { return r.Estimator })
}

// firstAppearances returns the distinct values of key over res, in order of first appearance.
func firstAppearances(res []*Result, key func(*Result) string) []string {
	var names []string
	for _, r := range res {
		if k := key(r); !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	return names
}

func firstDraws(res []*Result) int {
	if len(res) == 0 {
		return 0
	}
	return res[0].N
}

func firstLevel(res []*Result) float64 {
	if len(res) == 0 {
		return 0
	}
	return res[0].Level
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writePlots draws the grid of plots, under an optional title, on one page of size w×h, and writes it as
// base+".png" and base+".svg".
func writePlots(base, title string, plots [][]*plot.Plot, w, h vg.Length) error {
	return writeCanvas(base, w, h, func(dc draw.Canvas) { drawGrid(dc, title, plots) })
}

// writeCanvas draws a page of size w×h with paint and writes it as base+".png" and base+".svg".
func writeCanvas(base string, w, h vg.Length, paint func(dc draw.Canvas)) error {
	for _, format := range []string{"png", "svg"} {
		var buf bytes.Buffer
		switch format {
		case "png":
			c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(144))
			paint(draw.New(c))
			if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
				return fmt.Errorf("gradlab: rendering %s.png: %w", base, err)
			}
		case "svg":
			c := vgsvg.New(w, h)
			paint(draw.New(c))
			if _, err := c.WriteTo(&buf); err != nil {
				return fmt.Errorf("gradlab: rendering %s.svg: %w", base, err)
			}
		}
		if err := atomicfile.WriteBytes(base+"."+format, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func drawGrid(dc draw.Canvas, title string, plots [][]*plot.Plot) {
	dc = drawTitle(dc, title)
	if len(plots) == 1 && len(plots[0]) == 1 {
		plots[0][0].Draw(dc)
		return
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Centimeter, PadY: vg.Centimeter,
		PadLeft: vg.Points(4), PadRight: vg.Points(8), PadBottom: vg.Points(4)}
	canvases := plot.Align(plots, tiles, dc)
	for i, row := range plots {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
}
