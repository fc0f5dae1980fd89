package catvae

import (
	"path/filepath"
	"slices"

	"github.com/f60e9205/reinmax/plots"
	"github.com/f60e9205/reinmax/results"
)

// CurvesFile is the base name of the learning-curve figure (".png" and ".svg").
const CurvesFile = "curves"

// writeCurves draws, for every configuration, the training and test −ELBO against the epoch, one line per
// estimator, averaged over the seeds of the finished runs.
func writeCurves(dir string, recs []Epoch) error {
	var configs []string
	train, test := map[string]*plots.Mean{}, map[string]*plots.Mean{}
	for _, r := range results.Complete(recs) {
		if !slices.Contains(configs, r.Config) {
			configs = append(configs, r.Config)
			train[r.Config], test[r.Config] = new(plots.Mean), new(plots.Mean)
		}
		train[r.Config].Add(r.Estimator, float64(r.Epoch), r.TrainNegELBO)
		test[r.Config].Add(r.Estimator, float64(r.Epoch), r.TestNegELBO)
	}
	if len(configs) == 0 {
		return nil
	}
	var panels []plots.Panel
	for _, c := range configs {
		panels = append(panels,
			plots.Panel{Title: c + ", train", XLabel: "epoch", YLabel: "−ELBO", Series: train[c].Series()},
			plots.Panel{Title: c + ", test", XLabel: "epoch", YLabel: "−ELBO", Series: test[c].Series()})
	}
	return plots.Figure{Panels: panels, Cols: 2}.Save(filepath.Join(dir, CurvesFile))
}
