// Package progress carries the progress of long work (a sweep of runs, a gradient-lab study) from the code that does
// it to the code that shows it; the work never prints.
package progress // import "github.com/f60e9205/reinmax/progress"

// Update is what long work reports after each unit (a step, an epoch, a finished run).
type Update struct {
	Run     string             // the run in progress, e.g. "reinmax p=2 seed=0"
	Done    int                // units finished so far, over the whole work
	Total   int                // units of the whole work
	Metrics map[string]float64 // latest values worth showing, e.g. {"loss": 0.21}
}

// Reporter receives updates; a nil Reporter is allowed and ignored by Report.
type Reporter func(Update)

// Report calls r with u unless r is nil.
func (r Reporter) Report(u Update) {
	if r != nil {
		r(u)
	}
}
