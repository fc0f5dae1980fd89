package listops

import (
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat"

	"github.com/f60e9205/reinmax/plots"
	"github.com/f60e9205/reinmax/results"
)

// The test accuracy (%) the authors report for ListOps (their slides; DESIGN.md): hidden size 300, the full
// training split, 20 epochs. Only ReinMax's standard deviation is given.
var (
	paperAcc    = map[string]float64{"reinmax": 68.07, "stgs": 67.30, "gr-mck": 66.53, "gst-1.0": 66.30, "st": 66.26}
	paperAccStd = map[string]float64{"reinmax": 1.18}
)

// Summary is the final epoch of the finished runs of one estimator on one configuration, over seeds.
type Summary struct {
	Hidden, TrainSize, Epochs int
	Optimizer                 string // "adam" or "radam"
	Estimator                 string
	Seeds                     int
	TestAcc, TestAccStd       float64 // percent
	ValidAcc, ValidAccStd     float64 // percent, after the last epoch
	TrainLoss                 float64 // mean cross-entropy of the last epoch's training steps
	TreeF1                    float64 // mean over seeds of the test TreeF1
	TestN                     int     // test expressions
	SecondsPerEpoch           float64
	Paper, PaperStd           float64 // the paper's test accuracy (percent), NaN when it reports none
}

// Config is the summary's configuration in short form, e.g. "h64 n20000 4ep adam".
func (s Summary) Config() string { return configLabel(s.Hidden, s.TrainSize, s.Epochs, s.Optimizer) }

// configLabel names a configuration in tables and groups: "h64 n20000 4ep adam".
func configLabel(hidden, trainSize, epochs int, optimizer string) string {
	return fmt.Sprintf("h%d n%d %dep %s", hidden, trainSize, epochs, optimizer)
}

// column names the run's column of the tables, e.g. "h64 n20000 4ep adam".
func (e Epoch) column() string { return configLabel(e.Hidden, e.TrainSize, e.Epochs, e.optimizer()) }

// estimatorLabels names the runs of recs by their estimator, followed by the settings that set a group of runs
// apart from others of its column and estimator (experiments.GroupLabels).
func estimatorLabels(recs []Epoch) func(Epoch) string {
	labels := experiments.GroupLabels(recs, func(e Epoch) any { return e.Settings }, Epoch.column,
		func(e Epoch) string { return e.Estimator })
	return func(e Epoch) string { return labels[experiments.SettingsKey(e.Settings)] }
}

// Summarize groups the final records of finished runs by configuration and estimator, in the order first seen.
func Summarize(recs []Epoch) []Summary {
	var out []Summary
	label := estimatorLabels(recs)
	key := func(e Epoch) string { return e.column() + " " + label(e) }
	for _, g := range results.GroupFinished(recs, key) {
		rs := slices.DeleteFunc(g.Finals, func(e Epoch) bool { return e.Test == nil })
		if len(rs) == 0 {
			continue
		}
		first := rs[0]
		s := Summary{Hidden: first.Hidden, TrainSize: first.TrainSize, Epochs: first.Epochs, Optimizer: first.optimizer(),
			Estimator: label(first), Seeds: len(rs), TestN: first.Test.N, Paper: math.NaN(), PaperStd: math.NaN()}
		s.TestAcc, s.TestAccStd = results.MeanStd(results.Column(rs, func(e Epoch) float64 { return 100 * e.Test.Acc }))
		s.ValidAcc, s.ValidAccStd = results.MeanStd(results.Column(rs, func(e Epoch) float64 { return 100 * e.ValidAcc }))
		s.TrainLoss = stat.Mean(results.Column(rs, func(e Epoch) float64 { return e.TrainLoss }), nil)
		s.TreeF1 = stat.Mean(results.Column(rs, func(e Epoch) float64 { return e.Test.TreeF1 }), nil)
		s.SecondsPerEpoch = stat.Mean(results.Column(g.Runs, func(e Epoch) float64 { return e.Seconds }), nil)
		if v, ok := paperAcc[s.Estimator]; ok {
			s.Paper = v
		}
		if v, ok := paperAccStd[s.Estimator]; ok {
			s.PaperStd = v
		}
		out = append(out, s)
	}
	return out
}

// Report reads the results and baselines of dir and writes its summary.csv, table.md and learning curves.
func Report(dir string) error {
	recs, err := experiments.ReadResults[Config, Epoch]("listops", dir)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, PairedFile), Paired(recs).WriteMarkdown); err != nil {
		return err
	}
	base, err := readBaselines(filepath.Join(dir, BaselinesFile))
	if err != nil {
		return err
	}
	sums := Summarize(recs)
	header := []string{"hidden", "train_size", "epochs", "optimizer", "estimator", "seeds", "test_acc_mean", "test_acc_std",
		"valid_acc_mean", "valid_acc_std", "train_loss", "test_tree_f1", "test_n", "seconds_per_epoch",
		"paper_test_acc", "paper_test_acc_std"}
	var rows [][]string
	for _, s := range sums {
		rows = append(rows, []string{strconv.Itoa(s.Hidden), strconv.Itoa(s.TrainSize), strconv.Itoa(s.Epochs),
			s.Optimizer, s.Estimator, strconv.Itoa(s.Seeds), num(s.TestAcc), num(s.TestAccStd), num(s.ValidAcc), num(s.ValidAccStd),
			num(s.TrainLoss), num(s.TreeF1), strconv.Itoa(s.TestN), num(s.SecondsPerEpoch), num(s.Paper), num(s.PaperStd)})
	}
	if err := results.WriteCSV(filepath.Join(dir, SummaryFile), header, rows); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, TableFile), func(w io.Writer) error {
		return results.WriteTables(w, Tables(sums, base))
	}); err != nil {
		return err
	}
	if len(recs) == 0 {
		return nil
	}
	return Curves(recs).Save(filepath.Join(dir, CurvesFile))
}

func num(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}

// Paired returns the table of paired.md: ReinMax against each estimator of every configuration, on the seeds they
// share, by the test accuracy after the last epoch.
func Paired(recs []Epoch) results.PairedTable {
	rows := results.PairedOf(recs, "reinmax", func(e Epoch) bool { return e.Final() && e.Test != nil },
		Epoch.column,
		estimatorLabels(recs), func(e Epoch) int64 { return e.Seed },
		func(e Epoch) float64 { return 100 * e.Test.Acc })
	return results.PairedTable{Heading: "ReinMax (A) against each estimator (B), test accuracy (%, higher is better) after the last epoch, on the same seeds; verdict at level 0.05.",
		Rows: rows}
}

// ReadBaselines reads the baselines file of the output folder dir; a folder without one has none.
func ReadBaselines(dir string) ([]Baselines, error) {
	return readBaselines(filepath.Join(dir, BaselinesFile))
}

// Tables returns the tables of table.md: the test accuracy in the layout of the paper's Table 1 (one row per
// estimator, one column per configuration, the paper's number in the last), then the baselines; and the agreement
// of the induced trees with the gold trees.
func Tables(sums []Summary, base []Baselines) []results.Table {
	var configs, ests []string
	cell := map[[2]string]Summary{}
	testN := 0
	for _, s := range sums {
		if !slices.Contains(configs, s.Config()) {
			configs = append(configs, s.Config())
		}
		if !slices.Contains(ests, s.Estimator) {
			ests = append(ests, s.Estimator)
		}
		cell[[2]string{s.Estimator, s.Config()}] = s
		testN = s.TestN
	}
	baseFor := func(c string) (Baselines, bool) {
		var s Summary
		for _, x := range sums {
			if x.Config() == c {
				s = x
				break
			}
		}
		for _, bl := range base {
			if bl.TrainSize == s.TrainSize {
				return bl, true
			}
		}
		return Baselines{}, false
	}
	// row sets a row of g: val of every configuration, then the extra columns.
	row := func(g *results.Grid, name string, val func(c string) string, extra ...[2]string) {
		for _, c := range configs {
			g.Set(name, c, val(c))
		}
		for _, x := range extra {
			g.Set(name, x[0], x[1])
		}
	}
	const paperCol = "paper (h300, 20 ep)"
	var acc, f1 results.Grid
	for _, e := range ests {
		paper := ""
		if v, ok := paperAcc[e]; ok {
			paper = fmt.Sprintf("%.2f", v)
			if sd, ok := paperAccStd[e]; ok {
				paper += fmt.Sprintf(" ± %.2f", sd)
			}
		}
		row(&acc, e, func(c string) string {
			s, ok := cell[[2]string{e, c}]
			if !ok {
				return ""
			}
			return fmt.Sprintf("%.2f ± %.2f (%d)", s.TestAcc, s.TestAccStd, s.Seeds)
		}, [2]string{paperCol, paper})
		row(&f1, e, func(c string) string {
			if s, ok := cell[[2]string{e, c}]; ok {
				return fmt.Sprintf("%.3f", s.TreeF1)
			}
			return ""
		})
	}
	baseline := func(f func(Baselines) string) func(c string) string {
		return func(c string) string {
			if bl, ok := baseFor(c); ok {
				return f(bl)
			}
			return ""
		}
	}
	row(&acc, "majority class", baseline(func(bl Baselines) string { return fmt.Sprintf("%.2f", 100*bl.MajorityTestAcc) }), [2]string{paperCol, ""})
	row(&acc, "bag of tokens (logistic regression)", baseline(func(bl Baselines) string { return fmt.Sprintf("%.2f", 100*bl.BagTestAcc) }), [2]string{paperCol, ""})
	row(&f1, "left-branching tree", baseline(func(bl Baselines) string { return fmt.Sprintf("%.3f", bl.LeftF1) }))
	row(&f1, "right-branching tree", baseline(func(bl Baselines) string { return fmt.Sprintf("%.3f", bl.RightF1) }))
	return []results.Table{
		{Caption: fmt.Sprintf("ListOps test accuracy (%%) on the official test split (%d expressions under 100 tokens), greedy "+
			"parsing after the final epoch, mean ± std over seeds (seeds in brackets). Columns: hidden size h, generated "+
			"training expressions n, epochs, optimiser.", testN), Corner: "estimator", Grid: acc},
		{Caption: "Agreement of the induced trees with the gold trees on the test split (fraction of the gold tree's " +
			"non-trivial spans found, mean over expressions and seeds):", Corner: "estimator", Grid: f1},
	}
}

// Curves returns the learning curves of the finished runs of recs: for every configuration, the validation accuracy
// and the training loss per epoch, each estimator's mean over seeds.
func Curves(recs []Epoch) plots.Figure {
	recs = results.Complete(recs)
	type cfg struct{ hidden, size, epochs int }
	var order []cfg
	acc, loss := map[cfg]*plots.Mean{}, map[cfg]*plots.Mean{}
	label := estimatorLabels(recs)
	for _, r := range recs {
		k := cfg{r.Hidden, r.TrainSize, r.Epochs}
		if _, ok := acc[k]; !ok {
			order = append(order, k)
			acc[k], loss[k] = &plots.Mean{}, &plots.Mean{}
		}
		acc[k].Add(label(r), float64(r.Epoch), 100*r.ValidAcc)
		loss[k].Add(label(r), float64(r.Epoch), r.TrainLoss)
	}
	var f plots.Figure
	f.Cols = 2
	for _, k := range order {
		title := fmt.Sprintf("ListOps h%d n%d", k.hidden, k.size)
		f.Panels = append(f.Panels,
			plots.Panel{Title: title, XLabel: "epoch", YLabel: "validation accuracy (%)", Series: acc[k].Series()},
			plots.Panel{Title: title, XLabel: "epoch", YLabel: "training cross-entropy", Series: loss[k].Series()})
	}
	return f
}
