package experiments

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
)

// LoadEnv is what Experiment.Load gets: where data comes from.
type LoadEnv struct {
	DataDir string // the data root; "" for the default (see package data)
}

// Env is what the runner gives each run.
type Env struct {
	LoadEnv
	ID         string          // the run's identity
	Label      string          // the run's Config.Label
	Backend    compute.Backend // where the run's graphs execute
	Checkpoint string          // the run's checkpoint file, saved as the run goes and resumed from; "" for none
	Dir        string          // the output folder, for the run's own files (Artefact); "" for none
	report     func(done int, metrics map[string]float64)
	stop       <-chan struct{}
}

// Report reports that the run has finished done units of its own work (of Experiment.Cost), with metrics worth
// showing.
func (e Env) Report(done int, metrics map[string]float64) {
	if e.report != nil {
		e.report(done, metrics)
	}
}

// Stopped reports whether the sweep is stopping (another run failed): a run should return soon with an error.
func (e Env) Stopped() bool {
	select {
	case <-e.stop:
		return true
	default:
		return false
	}
}

// Artefact returns the path of a file of the run's own in the folder sub of the output folder (created when
// missing), named after the run's label and identity, e.g. "images/10x30_reinmax_seed=0-3f2a9c1b.png". It returns
// "" when the run has no output folder.
func (e Env) Artefact(sub, ext string) (string, error) {
	if e.Dir == "" {
		return "", nil
	}
	dir := filepath.Join(e.Dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(dir, FileName(e.Label)+artefactTag(e.ID)+ext), nil
}

// artefactTag ends the name (before its extension) of every artefact of the run id, a dash and hex digits: Merge
// finds a run's files by it.
func artefactTag(id string) string { return "-" + id[:min(8, len(id))] }

// FileName turns a run label into a file name: "10x30 reinmax seed=0" becomes "10x30_reinmax_seed=0".
func FileName(label string) string {
	return strings.NewReplacer(" ", "_", "/", "-").Replace(label)
}

// WithReport returns e with the progress of its run going to report: for code that trains one run outside a sweep.
func (e Env) WithReport(report func(done int, metrics map[string]float64)) Env {
	e.report = report
	return e
}
