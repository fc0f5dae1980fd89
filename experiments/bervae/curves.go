package bervae

import (
	"slices"

	"github.com/f60e9205/reinmax/plots"
	"github.com/f60e9205/reinmax/results"
)

// CurvesFile is the base name of the figure of learning curves and gradient variance (".png" and ".svg").
const CurvesFile = "curves"

// Curves returns, for every data set and K, the training −ELBO and the variance of the encoder gradient against the
// step, one line per estimator, averaged over the seeds of the finished runs; a figure without panels when no run
// has finished.
func Curves(recs []Record) plots.Figure {
	var configs []string
	elbo, variance := map[string]*plots.Mean{}, map[string]*plots.Mean{}
	label := estimatorLabels(recs)
	for _, r := range results.Complete(recs) {
		c := r.config()
		if !slices.Contains(configs, c) {
			configs = append(configs, c)
			elbo[c], variance[c] = new(plots.Mean), new(plots.Mean)
		}
		elbo[c].Add(label(r), float64(r.Step), r.TrainNegELBO)
		variance[c].Add(label(r), float64(r.Step), r.GradVariance)
	}
	fig := plots.Figure{Cols: 2}
	for _, c := range configs {
		fig.Panels = append(fig.Panels,
			plots.Panel{Title: c + ", train −ELBO", XLabel: "step", YLabel: "−ELBO", Series: elbo[c].Series()},
			plots.Panel{Title: c + ", encoder gradient variance", XLabel: "step", YLabel: "variance", LogY: true,
				Series: variance[c].Series()})
	}
	return fig
}
