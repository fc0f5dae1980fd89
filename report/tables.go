package report

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/f60e9205/reinmax/plots"
	"github.com/f60e9205/reinmax/results"
)

// gridTable converts a table of an experiment package. A row or a column whose key names the paper holds the
// paper's numbers and is styled as such.
func gridTable(t results.Table) Table {
	out := Table{Caption: t.Caption, Header: append([]string{t.Corner}, t.Cols...)}
	for _, r := range t.Rows {
		paperRow := strings.Contains(r, "paper")
		row := []Cell{{Text: r, Class: classIf(paperRow, "paper")}}
		for _, c := range t.Cols {
			text, _ := t.Get(r, c)
			row = append(row, Cell{Text: text, Class: classIf(paperRow || strings.Contains(c, "paper"), "paper")})
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

func classIf(ok bool, class string) string {
	if ok {
		return class
	}
	return ""
}

// pairedTable converts a table of paired comparisons, the verdict cell of each row styled by its verdict, and
// adds the verdicts to tally.
func pairedTable(t results.PairedTable, tally *Tally) Table {
	out := Table{Caption: t.Heading, Header: results.PairedColumns}
	for _, r := range t.Rows {
		cells := r.Cells(t.LowerIsBetter)
		row := make([]Cell, len(cells))
		for i, c := range cells {
			row[i] = Cell{Text: c}
		}
		v := r.Verdict(0.05, t.LowerIsBetter)
		row[len(row)-1].Class = verdictClass(v)
		tally.add(v)
		out.Rows = append(out.Rows, row)
	}
	return out
}

// verdictClass is the style of a verdict cell.
func verdictClass(v string) string {
	switch v {
	case verdictAhead, verdictHolds:
		return "ahead"
	case verdictBehind, verdictFails:
		return "behind"
	}
	return "unclear"
}

// claimTable lays claims out as a table: the claim, the rule that decides it, what we measured and the verdict.
func claimTable(caption string, claims []claim, tally *Tally) Table {
	t := Table{Caption: caption, Header: []string{"claim", "rule", "measured", "verdict"}}
	for _, c := range claims {
		t.Rows = append(t.Rows, []Cell{{Text: c.claim}, {Text: c.rule}, {Text: c.measured}, {Text: c.verdict, Class: verdictClass(c.verdict)}})
		tally.add(c.verdict)
	}
	return t
}

// claim is a statement of the paper checked against a stated rule.
type claim struct {
	claim, rule, measured, verdict string
}

// addFigure draws fig as SVG into the section under caption. A figure without panels is left out; one without a
// curve of two points or more (every run has one record) and one that cannot be drawn become a warning.
func (s *Section) addFigure(caption string, fig plots.Figure) {
	if len(fig.Panels) == 0 {
		return
	}
	if !slices.ContainsFunc(fig.Panels, func(p plots.Panel) bool {
		return slices.ContainsFunc(p.Series, func(s plots.Series) bool { return len(s.X) >= 2 })
	}) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("figure %q left out: every curve has a single point", caption))
		return
	}
	svg, err := inlineSVG(fig)
	if err != nil {
		s.Warnings = append(s.Warnings, fmt.Sprintf("figure %q not drawn: %v", caption, err))
		return
	}
	s.Figures = append(s.Figures, Figure{Caption: caption, SVG: svg})
}

// inlineSVG draws fig as an SVG element to place in a page: the drawing of package plots without its XML
// declaration. Its text is escaped by the SVG writer (gonum's vgsvg escapes every string it draws).
func inlineSVG(fig plots.Figure) (template.HTML, error) {
	var buf bytes.Buffer
	if err := fig.Write(&buf, "svg"); err != nil {
		return "", err
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte("<svg"))
	if i < 0 {
		return "", errors.New("the drawing holds no <svg> element")
	}
	return template.HTML(b[i:]), nil // drawn by package plots from numbers and escaped labels
}

// score is one number of a headline: a method's value in a cell of a table (a configuration, a data set).
type score struct {
	cell, method string
	value        float64
}

// headline writes, for every cell, ReinMax's value and the best other method's, e.g. "10x30: reinmax 98.4, best
// other st 101.2". Methods named "reinmax" followed by settings ("reinmax T=0.01") are ReinMax too: the best of
// them is written with its name.
func headline(scores []score, lowerIsBetter bool, format func(float64) string) string {
	var cells []string
	by := map[string][]score{}
	for _, s := range scores {
		if _, ok := by[s.cell]; !ok {
			cells = append(cells, s.cell)
		}
		by[s.cell] = append(by[s.cell], s)
	}
	var parts []string
	for _, c := range cells {
		var ours, best *score
		for _, s := range by[c] {
			b := &best
			if s.method == "reinmax" || strings.HasPrefix(s.method, "reinmax ") {
				b = &ours
			}
			if *b == nil || math.IsNaN((*b).value) || (lowerIsBetter && s.value < (*b).value) || (!lowerIsBetter && s.value > (*b).value) {
				*b = &s
			}
		}
		var found []string
		if ours != nil {
			found = append(found, ours.method+" "+format(ours.value))
		}
		if best != nil {
			found = append(found, fmt.Sprintf("best other %s %s", best.method, format(best.value)))
		}
		parts = append(parts, c+": "+strings.Join(found, ", "))
	}
	return strings.Join(parts, "; ")
}

// f2 formats x with two decimals.
func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
