package catvae

import (
	"slices"

	"github.com/f60e9205/reinmax/plots"
	"github.com/f60e9205/reinmax/results"
)

// CurvesFile is the base name of the learning-curve figure (".png" and ".svg").
const CurvesFile = "curves"

// Curves returns, for every configuration, the training and test −ELBO against the epoch, one line per estimator,
// averaged over the seeds of the finished runs; a figure without panels when no run has finished.
func Curves(recs []Epoch) plots.Figure {
	var configs []string
	train, test := map[string]*plots.Mean{}, map[string]*plots.Mean{}
	label := estimatorLabels(recs)
	for _, r := range results.Complete(recs) {
		if !slices.Contains(configs, r.Config) {
			configs = append(configs, r.Config)
			train[r.Config], test[r.Config] = new(plots.Mean), new(plots.Mean)
		}
		train[r.Config].Add(label(r), float64(r.Epoch), r.TrainNegELBO)
		test[r.Config].Add(label(r), float64(r.Epoch), r.TestNegELBO)
	}
	fig := plots.Figure{Cols: 2}
	for _, c := range configs {
		fig.Panels = append(fig.Panels,
			plots.Panel{Title: c + ", train", XLabel: "epoch", YLabel: "−ELBO", Series: train[c].Series()},
			plots.Panel{Title: c + ", test", XLabel: "epoch", YLabel: "−ELBO", Series: test[c].Series()})
	}
	return fig
}
