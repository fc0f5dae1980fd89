package experiments

import "github.com/f60e9205/reinmax/results"

// Config is the science configuration of one run: every setting that changes its numbers, and nothing else (the
// output folder, shard, workers, backend and progress are Options). Its canonical JSON is the run's identity (ID),
// so a configuration's fields carry JSON tags and keep their meaning: a new field's zero value must mean what the
// configuration did before the field existed.
type Config interface {
	// Label names the run for people, e.g. "10x30 reinmax seed=0": progress lines, file names, messages. Runs
	// that differ in a setting the label leaves out share it; the identity tells them apart.
	Label() string
	// Validate returns an error naming the first setting out of range.
	Validate() error
}

// Record is a line of an experiment's results file. It embeds Stamp[C] (which gives RunKey) and says which
// record closes its run.
type Record interface {
	results.Record
	// Label names the record's run as Config.Label does, from the record's own fields.
	Label() string
}

// RecordPointer is the pointer type of a record, through which the runner stamps it.
type RecordPointer[C any, R any] interface {
	*R
	SetStamp(id string, cfg C)
	Legacy() bool
}

// Experiment is what the runner needs of an experiment: how to prepare, train and cost one run, and how to report
// an output folder. An experiment is a value of its package (catvae.Experiment, poly.Experiment, ...); the runner
// gives every experiment the same resume, shards, workers, lock, merge and progress.
type Experiment[C Config, R Record] interface {
	// Name is the experiment's command name, e.g. "catvae"; it is part of every run's identity.
	Name() string
	// Load prepares what the runs need (reads and checks the data) before anything is written, so that missing
	// or bad data fails before an output folder is touched. It is called once per sweep with the runs to train.
	Load(runs []C, env LoadEnv) error
	// Cost is the number of progress units of a run (training steps, say), reported by Train through env.Report.
	Cost(cfg C) int
	// Train trains one run and emits each of its records as it is made, the final one last. With env.Checkpoint
	// set it saves its state there and resumes from it, so that an interrupted run continues where it stopped and
	// its numbers equal those of an uninterrupted run. Emitted records are stamped by the runner.
	Train(cfg C, env Env, emit func(R) error) error
	// Report writes the summaries, tables and figures of the output folder dir from its results file.
	Report(dir string) error
}

// ResultsFile is the results file of an output folder: one record per line (JSON lines), appended as runs go.
const ResultsFile = "results.jsonl"

// Complete is the last step of listing a sweep's runs: it applies modify (when not nil) to c, writes out the
// settings resolve fills in (defaults, settings the run does not read), and validates the result.
func Complete[C Config](c C, modify func(*C), resolve func(C) (C, error)) (C, error) {
	if modify != nil {
		modify(&c)
	}
	c, err := resolve(c)
	if err != nil {
		return c, err
	}
	return c, c.Validate()
}
