package experiments

// Progress is what a running experiment reports after each unit of work (a step, an epoch, a finished run).
type Progress struct {
	Run     string             // the run in progress, e.g. "reinmax p=2 seed=0"
	Done    int                // units finished so far, over the whole sweep
	Total   int                // units in the whole sweep
	Metrics map[string]float64 // latest values worth showing, e.g. {"loss": 0.21}
}

// Reporter receives progress; a nil Reporter is allowed and ignored by Report.
type Reporter func(Progress)

// Report calls r with p unless r is nil.
func (r Reporter) Report(p Progress) {
	if r != nil {
		r(p)
	}
}
