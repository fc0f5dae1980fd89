package main

import (
	"math"
	"slices"
	"testing"
)

// FuzzParseSeeds checks that --seeds never panics or runs away: what it accepts is a list of at most maxSeeds
// distinct seeds in [0, maxSeed].
func FuzzParseSeeds(f *testing.F) {
	for _, s := range []string{"0", "0-4,7", "3-1", "9223372036854775807", "0-9999999999", "1,1", " 2 - 3 ", "-1", "0-2147483647"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seeds, err := parseSeeds(s)
		if err != nil {
			return
		}
		if len(seeds) == 0 || len(seeds) > maxSeeds {
			t.Fatalf("%q: %d seeds", s, len(seeds))
		}
		sorted := slices.Clone(seeds)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(seeds) || sorted[0] < 0 || sorted[len(sorted)-1] > maxSeed {
			t.Fatalf("%q: seeds %v repeat or leave [0, %d]", s, seeds, maxSeed)
		}
	})
}

// FuzzPositiveFloats checks that a list of numbers is accepted only when every value is finite, positive and
// distinct.
func FuzzPositiveFloats(f *testing.F) {
	for _, s := range []string{"1.5,2,3", "2,2", "NaN", "inf", "-1", "0", "1e309", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		xs, err := positiveFloats("--p", s)
		if err != nil {
			return
		}
		for i, x := range xs {
			if !(x > 0) || math.IsInf(x, 0) || slices.Contains(xs[:i], x) {
				t.Fatalf("%q: accepted %v", s, xs)
			}
		}
	})
}
