package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/plots"
	"github.com/f60e9205/reinmax/results"
)

// sweepFlags are the flags every experiment command shares: where results go and how the sweep runs.
type sweepFlags struct {
	out, shard, data string
	workers          int
	migrate          bool
}

// register adds the shared flags to cmd, with the command's default output folder and number of workers.
func (f *sweepFlags) register(cmd *cobra.Command, out string, workers int) {
	fs := cmd.Flags()
	fs.StringVar(&f.out, "out", out, "output folder: results.jsonl, summaries, tables, figures, checkpoints")
	fs.StringVar(&f.shard, "shard", "", "run only shard i of n of the sweep, as i/n (combine the folders with 'reinmax merge')")
	fs.IntVar(&f.workers, "workers", workers, "runs trained at the same time")
	fs.StringVar(&f.data, "data", "", "data root (default: $REINMAX_DATA_DIR, else the user cache folder)")
	fs.BoolVar(&f.migrate, "migrate", false, "instead of running: give the records in --out written by an older reinmax the settings of this command")
}

// options checks the shared flags and returns the runner's options.
func (f *sweepFlags) options() (experiments.Options, error) {
	shard, err := experiments.ParseShard(f.shard)
	if err != nil {
		return experiments.Options{}, usageError{err}
	}
	if f.workers < 1 {
		return experiments.Options{}, usagef("--workers %d: want at least 1", f.workers)
	}
	if err := checkOut(f.out); err != nil {
		return experiments.Options{}, err
	}
	return experiments.Options{Dir: f.out, Shard: shard, Workers: f.workers, DataDir: f.data}, nil
}

// checkOut returns a usage error when the output folder cannot be created: it, or the nearest of its ancestors
// that exists, is a file. It creates nothing.
func checkOut(dir string) error {
	if dir == "" {
		return usagef("--out: no output folder given")
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil {
			if fi.IsDir() {
				return nil
			}
			if d == filepath.Clean(dir) {
				return usagef("--out %s: is a file, not a folder", dir)
			}
			return usagef("--out %s: cannot create output folder: %s is a file", dir, d)
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}

// runSweep runs the runs of a sweep with the shared flags and prints where the results are, or, with --migrate,
// stamps the older records of the output folder with the runs' settings. A figure that cannot be drawn is a
// warning, not a failure.
func runSweep[C experiments.Config, R experiments.Record, P experiments.RecordPointer[C, R]](cmd *cobra.Command,
	exp experiments.Experiment[C, R], runs []C, f sweepFlags) error {
	opt, err := f.options()
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f.migrate {
		m, err := experiments.Migrate[C, R, P](exp, f.out, runs)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %d records stamped with their run's settings\n", f.out, m.Stamped)
		if len(m.Unmatched) > 0 {
			return fmt.Errorf("%d runs of %s match no run of this command, and stay as they were: %s", len(m.Unmatched), f.out,
				strings.Join(m.Unmatched, "; "))
		}
		return warn(cmd, exp.Report(f.out))
	}
	reporter, finish := newProgress(cmd)
	opt.Reporter = reporter
	n, err := experiments.Run[C, R, P](exp, runs, opt)
	finish()
	if err := warn(cmd, err); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s trained, %d found finished", results.Count(n.Trained, "run"), n.Skipped)
	if n.Other > 0 {
		fmt.Fprintf(w, ", %d left to other shards", n.Other)
	}
	fmt.Fprintf(w, "; results in %s\n\n", f.out)
	return nil
}

// warn prints a figure that could not be drawn as a warning and returns nil for it; other errors are returned.
func warn(cmd *cobra.Command, err error) error {
	var de *plots.DrawError
	if errors.As(err, &de) {
		fmt.Fprintf(cmd.ErrOrStderr(), "reinmax: warning: %v\n", de)
		return nil
	}
	return err
}

// mergers combine the output folders of a sweep's shards, per experiment; each experiment's command file adds
// its own in init.
var mergers = map[string]func(dst string, srcs ...string) error{}

func init() {
	extraCommands = append(extraCommands, newMergeCommand)
}

func newMergeCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge EXPERIMENT --out DIR SRC...",
		Short: "Combine the output folders of a sweep's shards (--shard i/n) and summarise them",
		Long: `merge combines the results of the output folders SRC... of an experiment's sweep into DIR (which may be one
of them) and writes its summaries, tables and figures. Every finished run is kept once, with its own files (the
catvae and vq pictures); unfinished runs are left out. A run finished in two folders with different numbers is
refused, naming both folders.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("merge needs an experiment and at least one result folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			merge, ok := mergers[args[0]]
			if !ok {
				var known []string
				for n := range mergers {
					known = append(known, n)
				}
				slices.Sort(known)
				return usagef("unknown experiment %q (valid: %s)", args[0], strings.Join(known, ", "))
			}
			if err := checkOut(out); err != nil {
				return err
			}
			if err := warn(cmd, merge(out, args[1:]...)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %s into %s\n", results.Count(len(args)-1, "folder"), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output folder")
	return cmd
}
