package catvae

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/f60e9205/reinmax/results"
)

// The training −ELBO after 160 epochs that the authors report (their slides; DESIGN.md): ReinMax for each
// configuration, and every method's average over the six configurations of Table 2.
var (
	paperReinMax = map[string]float64{"8x4": 124.66, "4x24": 99.77, "8x16": 97.70, "16x12": 98.06, "64x8": 100.71, "10x30": 98.37}
	paperAverage = map[string]float64{"reinmax": 103.21, "gst-1.0": 104.25, "stgs": 105.20, "gr-mck": 107.06, "st": 116.72}
)

// Summary is the final epoch of the finished runs of one configuration and estimator, over seeds.
type Summary struct {
	Config, Estimator   string
	Epochs, Seeds       int
	TrainMean, TrainStd float64 // training −ELBO of the last epoch (the paper's metric)
	TestMean, TestStd   float64
	SecondsPerEpoch     float64
	PaperTrain          float64 // the paper's value at 160 epochs, NaN when it reports none
}

// Summarize groups the final records of finished runs by configuration and estimator, in the order first seen.
func Summarize(recs []Epoch) []Summary {
	type key struct{ config, est string }
	var order []key
	finals := map[key][]Epoch{}
	var secs = map[key][]float64{}
	for _, r := range results.Complete(recs) {
		k := key{r.Config, r.Estimator}
		secs[k] = append(secs[k], r.Seconds)
		if !r.Final() {
			continue
		}
		if _, ok := finals[k]; !ok {
			order = append(order, k)
		}
		finals[k] = append(finals[k], r)
	}
	var out []Summary
	for _, k := range order {
		rs := finals[k]
		train := make([]float64, len(rs))
		test := make([]float64, len(rs))
		for i, r := range rs {
			train[i], test[i] = r.TrainNegELBO, r.TestNegELBO
		}
		s := Summary{Config: k.config, Estimator: k.est, Epochs: rs[0].Epochs, Seeds: len(rs), PaperTrain: math.NaN()}
		s.TrainMean, s.TrainStd = meanStd(train)
		s.TestMean, s.TestStd = meanStd(test)
		s.SecondsPerEpoch = stat.Mean(secs[k], nil)
		if v, ok := paperReinMax[k.config]; ok && k.est == "reinmax" {
			s.PaperTrain = v
		}
		out = append(out, s)
	}
	return out
}

// meanStd returns the mean and the sample standard deviation (0 for one value).
func meanStd(x []float64) (mean, std float64) {
	if len(x) < 2 {
		return stat.Mean(x, nil), 0
	}
	return stat.MeanStdDev(x, nil)
}

// Report reads the results of dir and writes its summary.csv, table.md and learning curves.
func Report(dir string) error {
	recs, err := results.ReadJSONL[Epoch](filepath.Join(dir, ResultsFile))
	if err != nil {
		return err
	}
	sums := Summarize(recs)
	header := []string{"config", "estimator", "epochs", "seeds", "train_neg_elbo_mean", "train_neg_elbo_std",
		"test_neg_elbo_mean", "test_neg_elbo_std", "seconds_per_epoch", "paper_train_neg_elbo_160_epochs"}
	var rows [][]string
	for _, s := range sums {
		rows = append(rows, []string{s.Config, s.Estimator, strconv.Itoa(s.Epochs), strconv.Itoa(s.Seeds),
			num(s.TrainMean), num(s.TrainStd), num(s.TestMean), num(s.TestStd), num(s.SecondsPerEpoch), num(s.PaperTrain)})
	}
	if err := results.WriteCSV(filepath.Join(dir, SummaryFile), header, rows); err != nil {
		return err
	}
	if err := results.WriteFile(filepath.Join(dir, TableFile), func(w io.Writer) error { return writeTable(w, sums) }); err != nil {
		return err
	}
	return writeCurves(dir, recs)
}

func num(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}

// writeTable writes the summary in the layout of the paper's Table 2: one row per estimator, one column per
// configuration plus the average, mean ± std of the final training −ELBO over seeds; the paper's numbers (160
// epochs) in a row of their own under ReinMax and in a column of their own for the averages.
func writeTable(w io.Writer, sums []Summary) error {
	var configs, ests []string
	cell := map[[2]string]Summary{}
	for _, s := range sums {
		if !slices.Contains(configs, s.Config) {
			configs = append(configs, s.Config)
		}
		if !slices.Contains(ests, s.Estimator) {
			ests = append(ests, s.Estimator)
		}
		cell[[2]string{s.Estimator, s.Config}] = s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Training −ELBO (lower is better), final epoch, mean ± std over seeds; epochs and seeds per cell in brackets.\n\n")
	fmt.Fprintf(&b, "| estimator | %s | average | paper average (160 epochs) |\n", strings.Join(configs, " | "))
	fmt.Fprintf(&b, "|---|%s---|---|\n", strings.Repeat("---|", len(configs)))
	for _, e := range ests {
		var parts []string
		var avg []float64
		for _, c := range configs {
			s, ok := cell[[2]string{e, c}]
			if !ok {
				parts = append(parts, "")
				continue
			}
			parts = append(parts, fmt.Sprintf("%.2f ± %.2f (%d ep, %d seeds)", s.TrainMean, s.TrainStd, s.Epochs, s.Seeds))
			avg = append(avg, s.TrainMean)
		}
		average := ""
		if len(avg) == len(configs) {
			average = fmt.Sprintf("%.2f", stat.Mean(avg, nil))
		}
		paper := ""
		if v, ok := paperAverage[e]; ok {
			paper = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", e, strings.Join(parts, " | "), average, paper)
	}
	var paperRow []string
	for _, c := range configs {
		paperRow = append(paperRow, num2(paperReinMax[c]))
	}
	fmt.Fprintf(&b, "| reinmax, paper (160 epochs) | %s | | %.2f |\n", strings.Join(paperRow, " | "), paperAverage["reinmax"])
	_, err := io.WriteString(w, b.String())
	return err
}

func num2(x float64) string {
	if x == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", x)
}

// Merge combines the results logs of the folders srcs (the shards of a sweep) into dst and writes the summary of
// the merged results there.
func Merge(dst string, srcs ...string) error {
	if _, err := results.Merge[Epoch](dst, ResultsFile, srcs...); err != nil {
		return err
	}
	return Report(dst)
}
