// Package experiments runs the experiments of the project, every one the same way: a sweep of runs, each known
// by its identity, resumed, sharded, merged and reported by one runner.
//
// A run's science configuration (Config) holds every setting that changes its numbers, with JSON tags; its
// canonical JSON, hashed, is the run's identity (ID). Every record of a results file carries the identity and the
// settings (Stamp). A run whose final record is in the output folder is skipped; an interrupted run resumes from
// its checkpoint, whose file is named by the identity; a run with any other setting is a new run beside the old
// ones. How a sweep runs (output folder, shard, workers, backend, data root, progress) are Options, never part of
// a run's identity: a run's numbers do not depend on them.
//
// To add an experiment, in a package experiments/NAME:
//
//  1. Config: the settings of one run, JSON-tagged, with Label (a short readable name) and Validate. A new field's
//     zero value must mean what the experiment did before the field existed, so that identities stay.
//  2. A record type that embeds Stamp[Config] and has Label, Final (the run's last record) and Position (its step
//     or epoch).
//  3. An Experiment value: Name, Load (read the data once, before anything is written), Cost (progress units of a
//     run), Train (train one run in an Env, emit each record, save to and resume from env.Checkpoint) and Report
//     (summaries, tables and figures of an output folder); Memory (Sizer) when runs can be too large for a machine.
//  4. A Sweep that lists runs (Runs), with DefaultSweep (minutes on two cores) and PaperSweep (the paper's
//     protocol), and Modify for the settings a command line changes.
//  5. A command file in cmd/reinmax that parses flags into the Sweep and calls runSweep, and registers a merger.
//
// Run, Merge and Migrate then give the experiment resume, shards, workers, a locked output folder, merges that
// refuse conflicting results, and the migration of records written before records carried their identity.
// Experiments never parse flags and never print; progress goes through Env.Report.
package experiments // import "github.com/f60e9205/reinmax/experiments"
