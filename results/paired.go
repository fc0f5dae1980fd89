package results

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Paired compares a method A with a method B run on the same seeds, through the differences d_s = A_s − B_s over
// the seeds both have.
type Paired struct {
	Seeds    int     // seeds both have
	MeanDiff float64 // mean of d
	SE       float64 // standard error of MeanDiff, s_d/√n (NaN for one seed)
	// P is the two-sided p-value of the paired t-test (t = MeanDiff/SE, Student's t with n−1 degrees of freedom);
	// NaN for fewer than two seeds or a NaN value, 0 or 1 when every difference is the same non-zero or zero value.
	P float64
	// Above, Below and Ties count the seeds where A > B, A < B and A = B; SignP is the two-sided p-value of the
	// sign test on them (ties left out).
	Above, Below, Ties int
	SignP              float64
}

// ComparePaired returns the paired comparison of a and b, the values of each method by seed.
func ComparePaired(a, b map[int64]float64) Paired {
	var seeds []int64
	for s := range a {
		if _, ok := b[s]; ok {
			seeds = append(seeds, s)
		}
	}
	slices.Sort(seeds)
	d := make([]float64, len(seeds))
	var p Paired
	for i, s := range seeds {
		d[i] = a[s] - b[s]
		switch {
		case d[i] > 0:
			p.Above++
		case d[i] < 0:
			p.Below++
		default:
			p.Ties++
		}
	}
	p.Seeds = len(d)
	p.MeanDiff, p.SE, p.P = math.NaN(), math.NaN(), math.NaN()
	if n := float64(len(d)); n > 0 {
		p.MeanDiff = stat.Mean(d, nil)
		if n > 1 {
			p.SE = stat.StdDev(d, nil) / math.Sqrt(n)
			switch {
			case math.IsNaN(p.SE):
				p.P = math.NaN()
			case p.SE > 0:
				t := math.Abs(p.MeanDiff) / p.SE
				p.P = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Survival(t)
			case p.MeanDiff != 0:
				p.P = 0
			default:
				p.P = 1
			}
		}
	}
	p.SignP = signTest(p.Above, p.Below)
	if math.IsNaN(p.MeanDiff) {
		p.SignP = math.NaN() // a NaN value: no test decides anything
	}
	return p
}

// signTest returns the two-sided p-value of the sign test: the probability, under Binomial(n, 1/2) with n = k + m,
// of a split at least as uneven as k against m. It is 1 when n = 0.
func signTest(k, m int) float64 {
	n := k + m
	if n == 0 {
		return 1
	}
	b := distuv.Binomial{N: float64(n), P: 0.5}
	return min(1, 2*b.CDF(float64(min(k, m))))
}

// MinVerdictSeeds is the least number of shared seeds on which a paired comparison decides: with two, a t-test
// with one degree of freedom calls two differences that happen to agree a certainty.
const MinVerdictSeeds = 3

// Verdict says what a paired comparison decides at level alpha, for a metric where lower is better (a loss) or
// higher is better (an accuracy): "ahead" when A is better with P < alpha on at least MinVerdictSeeds seeds,
// "behind" when B is, else "cannot tell".
func (p Paired) Verdict(alpha float64, lowerIsBetter bool) string {
	if !(p.P < alpha) || p.Seeds < MinVerdictSeeds {
		return "cannot tell"
	}
	if (p.MeanDiff < 0) == lowerIsBetter {
		return "ahead"
	}
	return "behind"
}

// PairedRow is one line of a table of paired comparisons: method A against method B in one cell of a table (a
// configuration, a data set).
type PairedRow struct {
	Cell, A, B string
	Paired
}

// PairedRows compares method ref with every other method of each cell on the seeds they share. values holds, by
// cell, method and seed, the number compared (a final loss, an accuracy); cells and methods keep the order given.
func PairedRows(cells, methods []string, values map[string]map[string]map[int64]float64, ref string) []PairedRow {
	var rows []PairedRow
	for _, c := range cells {
		a, ok := values[c][ref]
		if !ok {
			continue
		}
		for _, m := range methods {
			if b, ok := values[c][m]; ok && m != ref {
				rows = append(rows, PairedRow{Cell: c, A: ref, B: m, Paired: ComparePaired(a, b)})
			}
		}
	}
	return rows
}

// PairedColumns are the headers of a table of paired comparisons, the fields of PairedRow.Cells.
var PairedColumns = []string{"cell", "A", "B", "seeds", "A − B (mean ± SE)", "t-test p", "A better / worse", "sign-test p", "verdict (A)"}

// Cells returns the row's fields under PairedColumns: the seeds, the mean difference A − B with its standard error,
// the paired t-test's p, the seeds where A is better and worse, the sign test's p and the verdict at level 0.05
// (lowerIsBetter says which way is better).
func (r PairedRow) Cells(lowerIsBetter bool) []string {
	better, worse := r.Below, r.Above
	if !lowerIsBetter {
		better, worse = worse, better
	}
	return []string{r.Cell, r.A, r.B, strconv.Itoa(r.Seeds), sig3(r.MeanDiff) + " ± " + sig3(r.SE), pValue(r.P),
		fmt.Sprintf("%d / %d", better, worse), pValue(r.SignP), r.Verdict(0.05, lowerIsBetter)}
}

// PairedTable is a table of paired comparisons under its heading.
type PairedTable struct {
	Heading       string
	Rows          []PairedRow
	LowerIsBetter bool // the metric is a loss (lower is better), not an accuracy
}

// WritePaired writes rows as a Markdown table under a heading line, one line per row with PairedRow.Cells.
func WritePaired(w io.Writer, heading string, rows []PairedRow, lowerIsBetter bool) error {
	if _, err := fmt.Fprintf(w, "%s\n\n| %s |\n|%s\n", heading, strings.Join(PairedColumns, " | "), strings.Repeat("---|", len(PairedColumns))); err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(r.Cells(lowerIsBetter), " | ")); err != nil {
			return err
		}
	}
	return nil
}

// WriteMarkdown writes the table with WritePaired.
func (t PairedTable) WriteMarkdown(w io.Writer) error {
	return WritePaired(w, t.Heading, t.Rows, t.LowerIsBetter)
}

// sig3 writes x with three significant digits, trailing zeros kept (0.0504, 5.97, 16.0, 128), in exponent form
// only below 0.001 or from 10⁶ up; "–" for NaN.
func sig3(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 3, 64), 64) // rounded first: 9.996 is 10.0, not 10.00
	a := math.Abs(r)
	if a == 0 {
		return "0"
	}
	if a < 1e-3 || a >= 1e6 || math.IsInf(a, 0) {
		return strconv.FormatFloat(r, 'g', 3, 64)
	}
	return strconv.FormatFloat(r, 'f', max(0, 2-int(math.Floor(math.Log10(a)))), 64)
}

func pValue(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// PairedOf builds the paired comparisons of method ref against the other methods from the records of finished runs
// (Complete) that keep selects (the final records, say): each record gives its cell, method, seed and value.
func PairedOf[R Record](recs []R, ref string, keep func(R) bool, cell, method func(R) string, seed func(R) int64, value func(R) float64) []PairedRow {
	var cells, methods []string
	values := map[string]map[string]map[int64]float64{}
	for _, r := range Complete(recs) {
		if !keep(r) {
			continue
		}
		c, m := cell(r), method(r)
		if values[c] == nil {
			values[c] = map[string]map[int64]float64{}
			cells = append(cells, c)
		}
		if values[c][m] == nil {
			values[c][m] = map[int64]float64{}
			if !slices.Contains(methods, m) {
				methods = append(methods, m)
			}
		}
		values[c][m][seed(r)] = value(r)
	}
	return PairedRows(cells, methods, values, ref)
}
