package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
)

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// estimatorList parses a comma-separated list of registered estimator names of the given families; an unknown
// name is a usage error that lists the valid ones.
func estimatorList(s string, families ...reinmax.Family) ([]string, error) {
	names := splitList(s)
	if len(names) == 0 {
		return nil, usagef("no estimator given (valid: %s)", strings.Join(reinmax.Names(families...), ", "))
	}
	valid := reinmax.Names(families...)
	for _, n := range names {
		if !contains(valid, n) {
			return nil, usagef("unknown estimator %q (valid: %s)", n, strings.Join(valid, ", "))
		}
	}
	return names, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseSeeds parses seeds given as a comma-separated list and ranges a-b, e.g. "0-4,7".
func parseSeeds(s string) ([]int64, error) {
	var seeds []int64
	for _, f := range splitList(s) {
		lo, hi, isRange := strings.Cut(f, "-")
		a, err1 := strconv.ParseInt(lo, 10, 64)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.ParseInt(hi, 10, 64)
		}
		if err1 != nil || err2 != nil || b < a {
			return nil, usagef("--seeds: %q is not a seed or a range a-b with a <= b", f)
		}
		for x := a; x <= b; x++ {
			seeds = append(seeds, x)
		}
	}
	if len(seeds) == 0 {
		return nil, usagef("--seeds: no seed given")
	}
	return seeds, nil
}

// seedRange returns the seeds 0 to n-1.
func seedRange(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i)
	}
	return s
}

// printFile copies a text file written by a run to the command's output.
func printFile(cmd *cobra.Command, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(cmd.OutOrStdout(), f)
	return err
}

// mergers combine the result folders of a sweep's shards, per experiment; each experiment's command file adds
// its own in init.
var mergers = map[string]func(dst string, srcs ...string) error{}

func init() {
	extraCommands = append(extraCommands, newMergeCommand)
}

func newMergeCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge EXPERIMENT --out DIR SRC...",
		Short: "Combine the result folders of a sweep's shards (--shard i/n) and summarise them",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("merge needs an experiment and at least one result folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			merge, ok := mergers[args[0]]
			if !ok {
				var names []string
				for n := range mergers {
					names = append(names, n)
				}
				return usagef("unknown experiment %q (valid: %s)", args[0], strings.Join(names, ", "))
			}
			if out == "" {
				return usagef("--out is required")
			}
			if err := merge(out, args[1:]...); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %d folders into %s\n", len(args)-1, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output folder")
	return cmd
}
