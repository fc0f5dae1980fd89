package experiments

import "github.com/gomlx/compute"

// Env is what a sweep gives each of its runs: the backend to compute on, the run's checkpoint file, and where
// progress goes with the run's place in the sweep. Every experiment's Options embeds it.
type Env struct {
	Backend    compute.Backend // nil: NewBackend()
	Checkpoint string          // saved as the run goes and resumed from; "" disables checkpoints
	Reporter   Reporter        // progress after every unit of work; nil for none
	Done       int             // units of the sweep finished before this run
	Total      int             // units of the whole sweep
}

// Report reports that the run has finished done units of its own work, with metrics worth showing.
func (e Env) Report(run string, done int, metrics map[string]float64) {
	e.Reporter.Report(Progress{Run: run, Done: e.Done + done, Total: e.Total, Metrics: metrics})
}
