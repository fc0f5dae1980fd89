package results

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// Count writes n and noun, with an s unless n is 1: "1 seed", "3 seeds".
func Count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Grid is a table of text cells addressed by row and column keys, kept in the order the keys were first used:
// the layout of the paper's tables, estimators down and configurations across.
type Grid struct {
	Rows, Cols []string
	cells      map[[2]string]string
}

// Set puts text in the cell (row, col), adding the row and the column when they are new.
func (g *Grid) Set(row, col, text string) {
	if g.cells == nil {
		g.cells = map[[2]string]string{}
	}
	if !slices.Contains(g.Rows, row) {
		g.Rows = append(g.Rows, row)
	}
	if !slices.Contains(g.Cols, col) {
		g.Cols = append(g.Cols, col)
	}
	g.cells[[2]string{row, col}] = text
}

// Get returns the text of the cell (row, col) and whether it was set.
func (g *Grid) Get(row, col string) (string, bool) {
	s, ok := g.cells[[2]string{row, col}]
	return s, ok
}

// WriteMarkdown writes the grid as a Markdown table whose first column, headed corner, holds the row keys; unset
// cells are empty.
func (g *Grid) WriteMarkdown(w io.Writer, corner string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s | %s |\n|---|%s\n", corner, strings.Join(g.Cols, " | "), strings.Repeat("---|", len(g.Cols)))
	for _, r := range g.Rows {
		parts := make([]string, len(g.Cols))
		for i, c := range g.Cols {
			parts[i] = g.cells[[2]string{r, c}]
		}
		fmt.Fprintf(&b, "| %s | %s |\n", r, strings.Join(parts, " | "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Table is a grid under its caption: table.md writes it as Markdown, reinmax report as HTML.
type Table struct {
	Caption string
	Corner  string // the header of the first column, which holds the row keys
	Grid
}

// WriteMarkdown writes the caption, a blank line and the grid (Grid.WriteMarkdown).
func (t Table) WriteMarkdown(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%s\n\n", t.Caption); err != nil {
		return err
	}
	return t.Grid.WriteMarkdown(w, t.Corner)
}

// WriteTables writes tables (Table, PairedTable) as Markdown, a blank line between two.
func WriteTables[T interface{ WriteMarkdown(io.Writer) error }](w io.Writer, tables []T) error {
	for i, t := range tables {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if err := t.WriteMarkdown(w); err != nil {
			return err
		}
	}
	return nil
}

// MeanStd returns the mean and the sample standard deviation of x (0 for a single value, NaN for none).
func MeanStd(x []float64) (mean, std float64) {
	switch len(x) {
	case 0:
		return math.NaN(), math.NaN()
	case 1:
		return x[0], 0
	}
	return stat.MeanStdDev(x, nil)
}

// Num formats x with 4 decimals for a CSV file, and NaN as an empty field.
func Num(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}
