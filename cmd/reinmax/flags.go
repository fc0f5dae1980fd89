package main

import (
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
)

// Bounds of --seeds: a seed is an integer in [0, maxSeed], and a list holds at most maxSeeds of them.
const (
	maxSeed  = 1<<31 - 1
	maxSeeds = 10_000
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

// names parses a comma-separated list of distinct names, each one of valid; the error lists the valid ones.
func names(flag, s string, valid []string) ([]string, error) {
	list := splitList(s)
	if len(list) == 0 {
		return nil, usagef("%s: no value given (valid: %s)", flag, strings.Join(valid, ", "))
	}
	for i, n := range list {
		if !slices.Contains(valid, n) {
			return nil, usagef("%s: unknown value %q (valid: %s)", flag, n, strings.Join(valid, ", "))
		}
		if slices.Contains(list[:i], n) {
			return nil, usagef("%s: %q is listed twice", flag, n)
		}
	}
	return list, nil
}

// estimatorList parses a comma-separated list of distinct registered estimator names of the given families.
func estimatorList(s string, families ...reinmax.Family) ([]string, error) {
	list, err := names("--estimators", s, reinmax.Names(families...))
	if err != nil && strings.Contains(err.Error(), "unknown value") {
		n := strings.SplitN(err.Error(), `"`, 3)[1]
		return nil, usagef("unknown estimator %q (valid: %s)", n, strings.Join(reinmax.Names(families...), ", "))
	}
	return list, err
}

// parseSeeds parses distinct seeds given as a comma-separated list and ranges a-b, e.g. "0-4,7". Seeds lie in
// [0, maxSeed], and a list holds at most maxSeeds.
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
		if a < 0 || b > maxSeed {
			return nil, usagef("--seeds: %q, want seeds from 0 to %d", f, maxSeed)
		}
		if b-a >= maxSeeds || len(seeds)+int(b-a)+1 > maxSeeds {
			return nil, usagef("--seeds: %q makes more than %d seeds", s, maxSeeds)
		}
		for x := a; x <= b; x++ {
			if slices.Contains(seeds, x) {
				return nil, usagef("--seeds: seed %d is listed twice", x)
			}
			seeds = append(seeds, x)
		}
	}
	if len(seeds) == 0 {
		return nil, usagef("--seeds: no seed given")
	}
	return seeds, nil
}

// positiveInts parses a comma-separated list of distinct integers >= 1.
func positiveInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return nil, usagef("%s: %q is not an integer >= 1", flag, f)
		}
		if slices.Contains(out, v) {
			return nil, usagef("%s: %d is listed twice", flag, v)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, usagef("%s: no value given", flag)
	}
	return out, nil
}

// positiveFloats parses a comma-separated list of distinct finite numbers > 0.
func positiveFloats(flag, s string) ([]float64, error) {
	var out []float64
	for _, f := range splitList(s) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || !(x > 0) || math.IsInf(x, 0) {
			return nil, usagef("%s: %q, want a finite number > 0", flag, f)
		}
		if slices.Contains(out, x) {
			return nil, usagef("%s: %v is listed twice", flag, x)
		}
		out = append(out, x)
	}
	if len(out) == 0 {
		return nil, usagef("%s: no value given", flag)
	}
	return out, nil
}

// finite rejects a NaN or infinite value of a float flag.
func finite(flag string, x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return usagef("%s: %v, want a finite number", flag, x)
	}
	return nil
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

// changedAll reports whether any of the named flags was given on the command line.
func changedAll(cmd *cobra.Command, flags ...string) bool {
	for _, f := range flags {
		if cmd.Flags().Changed(f) {
			return true
		}
	}
	return false
}
