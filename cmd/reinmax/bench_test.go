package main

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchPrintsMedian runs two timed steps of the poly workload and checks that the last line is
// median_ms=<positive number>, which bench/compare.py reads.
func TestBenchPrintsMedian(t *testing.T) {
	out, err := run("bench", "--workload", "poly", "--estimator", "reinmax", "--steps", "2", "--warmup", "1", "--batch", "8")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	m := regexp.MustCompile(`^median_ms=([0-9.]+)$`).FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("last line %q, want median_ms=<number>; output:\n%s", lines[len(lines)-1], out)
	}
	if ms, err := strconv.ParseFloat(m[1], 64); err != nil || !(ms > 0) {
		t.Errorf("median_ms=%s, want a positive number", m[1])
	}
	if !strings.Contains(out, "peak_memory_mb=") {
		t.Errorf("no peak memory in the output:\n%s", out)
	}
}

// TestBenchBadFlags checks that bad flags are usage errors (exit status 2).
func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--workload", "nope"},
		{"bench", "--estimator", "nope"},
		{"bench", "--estimator", "reinforce"},
		{"bench", "--steps", "0"},
	} {
		_, err := run(args...)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%v: error %v, want a usage error", args, err)
		}
	}
}
