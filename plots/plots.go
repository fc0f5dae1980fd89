package plots

import (
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Series is one curve: the points (X[i], Y[i]), joined in order, and optionally a band from Lo[i] to Hi[i] (over
// seeds, say) shaded in the curve's colour.
type Series struct {
	Label  string
	X, Y   []float64
	Lo, Hi []float64 // nil, or as long as X
}

// Panel is one plot of a figure.
type Panel struct {
	Title          string
	XLabel, YLabel string
	// LogY selects a logarithmic y axis; points with y <= 0 (or NaN) are then left out of their curve. LogX does
	// the same for the x axis.
	LogX, LogY bool
	Series     []Series
}

// Figure is a grid of panels filled row by row, Cols panels wide, each PanelWidth by PanelHeight.
type Figure struct {
	Panels                  []Panel
	Cols                    int       // panels per row; 0 puts every panel on one row
	PanelWidth, PanelHeight vg.Length // the zero values select 4 by 3.2 inches
	DPI                     int       // resolution of the PNG; 0 selects 150
}

// DrawError says that a figure cannot be drawn (a panel without points, say); nothing was written for it. A report
// that meets one has written everything else and skips the figure with a warning.
type DrawError struct {
	Path string // the figure's files without extension
	Err  error
}

func (e *DrawError) Error() string { return fmt.Sprintf("figure %s skipped: %v", e.Path, e.Err) }
func (e *DrawError) Unwrap() error { return e.Err }

// Save writes the figure to base+".png" and base+".svg", each atomically. It returns a *DrawError, with nothing
// written, when the figure cannot be drawn, and an error naming the file when one cannot be written.
func (f Figure) Save(base string) error {
	var bufs [2]bytes.Buffer
	for i, ext := range []string{"png", "svg"} {
		if err := f.Write(&bufs[i], ext); err != nil {
			return &DrawError{Path: base, Err: err}
		}
	}
	for i, ext := range []string{".png", ".svg"} {
		if err := atomicfile.WriteBytes(base+ext, bufs[i].Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// Write draws the figure to w in format "png" or "svg". A panic of the plotting library (an axis it cannot scale)
// is returned as an error.
func (f Figure) Write(w io.Writer, format string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: the figure cannot be drawn: %v", r)
		}
	}()
	if len(f.Panels) == 0 {
		return fmt.Errorf("plots: a figure needs at least one panel")
	}
	cols := f.Cols
	if cols <= 0 || cols > len(f.Panels) {
		cols = len(f.Panels)
	}
	rows := (len(f.Panels) + cols - 1) / cols
	pw, ph := f.PanelWidth, f.PanelHeight
	if pw == 0 {
		pw = 4 * vg.Inch
	}
	if ph == 0 {
		ph = 3.2 * vg.Inch
	}
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range grid[r] {
			i := r*cols + c
			if i >= len(f.Panels) {
				grid[r][c] = blank()
				continue
			}
			p, err := f.Panels[i].plot()
			if err != nil {
				return err
			}
			grid[r][c] = p
		}
	}
	width, height := pw*vg.Length(cols), ph*vg.Length(rows)
	var canvas vg.CanvasWriterTo
	switch strings.ToLower(format) {
	case "png":
		dpi := f.DPI
		if dpi <= 0 {
			dpi = 150
		}
		img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
		canvas = vgimg.PngCanvas{Canvas: img}
	case "svg":
		canvas = vgsvg.New(width, height)
	default:
		return fmt.Errorf("plots: unknown format %q (want png or svg)", format)
	}
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	canvases := plot.Align(grid, tiles, dc)
	for r := range grid {
		for c := range grid[r] {
			grid[r][c].Draw(canvases[r][c])
		}
	}
	_, err = canvas.WriteTo(w)
	return err
}

// blank returns an empty plot that fills a cell of the grid with nothing.
func blank() *plot.Plot {
	p := plot.New()
	p.HideAxes()
	return p
}

// plot builds the gonum plot of the panel.
func (pn Panel) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = pn.Title
	p.X.Label.Text = pn.XLabel
	p.Y.Label.Text = pn.YLabel
	p.Legend.Left = true // curves of losses start high on the left: the lower left corner is the emptiest
	p.Add(plotter.NewGrid())
	if pn.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	if pn.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	drawn := 0
	for i, s := range pn.Series {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("plots: panel %q, series %q: %d x values but %d y values", pn.Title, s.Label, len(s.X), len(s.Y))
		}
		var xys plotter.XYs
		for j := range s.X {
			x, y := s.X[j], s.Y[j]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || (pn.LogY && y <= 0) || (pn.LogX && x <= 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
		if len(xys) == 0 {
			continue
		}
		if s.Lo != nil || s.Hi != nil {
			b, err := pn.band(s)
			if err != nil {
				return nil, err
			}
			if b != nil {
				b.Color = withAlpha(plotutil.Color(i), 0x38)
				b.LineStyle.Width = 0
				p.Add(b)
			}
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("plots: panel %q, series %q: %w", pn.Title, s.Label, err)
		}
		line.Color = plotutil.Color(i)
		line.Dashes = plotutil.Dashes(i) // curves that coincide stay visible
		line.Width = vg.Points(1.2)
		p.Add(line)
		p.Legend.Add(s.Label, line)
		drawn++
	}
	if drawn == 0 {
		return nil, fmt.Errorf("plots: panel %q has no point to draw", pn.Title)
	}
	return p, nil
}

// band returns the polygon of a series' band: along Hi forwards and Lo backwards, over the points where the curve,
// its low and its high are drawable (finite, and positive on a logarithmic axis, where a low at or below zero is
// drawn at the curve). It returns nil when fewer than two points remain.
func (pn Panel) band(s Series) (*plotter.Polygon, error) {
	if len(s.Lo) != len(s.X) || len(s.Hi) != len(s.X) {
		return nil, fmt.Errorf("plots: panel %q, series %q: %d x values but a band of %d low and %d high values", pn.Title, s.Label, len(s.X), len(s.Lo), len(s.Hi))
	}
	var top, bottom plotter.XYs
	for j := range s.X {
		x, y, lo, hi := s.X[j], s.Y[j], s.Lo[j], s.Hi[j]
		if pn.LogY && lo <= 0 {
			lo = y
		}
		if !finiteAll(x, y, lo, hi) || (pn.LogY && !(y > 0 && lo > 0 && hi > 0)) || (pn.LogX && x <= 0) {
			continue
		}
		top = append(top, plotter.XY{X: x, Y: hi})
		bottom = append(bottom, plotter.XY{X: x, Y: lo})
	}
	if len(top) < 2 {
		return nil, nil
	}
	for j := len(bottom) - 1; j >= 0; j-- {
		top = append(top, bottom[j])
	}
	return plotter.NewPolygon(top)
}

func finiteAll(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// withAlpha returns c with opacity a (0: transparent, 255: opaque).
func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

// logTicks marks a logarithmic axis at 1, 2 and 5 times the powers of ten, labelled; when fewer than two of those
// fall in the range (a range within one decade), every integer multiple of the powers of ten is labelled instead,
// and when even those are fewer than two, the evenly spaced ticks of a linear axis.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	collect := func(mults []float64, label bool) []plot.Tick {
		var ticks []plot.Tick
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			for _, m := range mults {
				v := m * math.Pow(10, e)
				if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
					continue
				}
				t := plot.Tick{Value: v}
				if label {
					t.Label = strconv.FormatFloat(v, 'g', 3, 64)
				}
				ticks = append(ticks, t)
			}
		}
		return ticks
	}
	all := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	major := collect([]float64{1, 2, 5}, true)
	if len(major) >= 2 {
		minor := collect([]float64{3, 4, 6, 7, 8, 9}, false)
		return append(major, minor...)
	}
	if fine := collect(all, true); len(fine) >= 2 {
		return fine
	}
	return plot.DefaultTicks{}.Ticks(lo, hi)
}
