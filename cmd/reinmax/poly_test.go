package main

import (
	"github.com/f60e9205/reinmax/progress"

	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax"
)

// TestPolyBadInput checks that bad flags are usage errors (exit status 2) with a one-line message, and that
// nothing is written.
func TestPolyBadInput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	valid := strings.Join(reinmax.Names(), ", ")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--p", "0"}, `--p: "0", want a finite number > 0`},
		{[]string{"--p", "2,-1"}, `--p: "-1"`},
		{[]string{"--latents", "0"}, "L = 0 binary variables, want L >= 1"},
		{[]string{"--batch", "0"}, "batch = 0, want batch >= 1"},
		{[]string{"--steps", "0"}, "steps = 0, want steps >= 1"},
		{[]string{"--estimators", "st,foo"}, `unknown estimator "foo" (valid: ` + valid + ")"},
		{[]string{"--target", "zigzag"}, `unknown target "zigzag"`},
		{[]string{"--tau", "reinmax=0.5"}, "tau = 0.5, want tau >= 1"},
		{[]string{"--tau", "stgs=0.5"}, "stgs is not among the estimators"},
		{[]string{"--tau", "x"}, `--tau: "x"`},
		{[]string{"--seeds", "3-1"}, `--seeds: "3-1"`},
		{[]string{"--shard", "2/2"}, `shard "2/2"`},
		{[]string{"--steps", "x"}, `invalid argument "x"`},
		{[]string{"--cost", "--cost-k", "0"}, `--cost-k: "0"`},
		{[]string{"--cost", "--cost-batch", "0"}, "batch = 0"},
		{[]string{"--out", filepath.Join(file, "sub")}, "cannot create output folder"},
		{[]string{"--out", file}, "is a file"},
	}
	for _, tc := range tests {
		args := append([]string{"poly", "--estimators", "reinmax", "--out", out}, tc.args...)
		_, err := run(args...)
		var u usageError
		if err == nil || !errors.As(err, &u) {
			t.Errorf("%v: error %v, want a usage error (exit status 2)", tc.args, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("%v: error %q, want one line containing %q", tc.args, msg, tc.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: the output folder was created", tc.args)
			os.RemoveAll(out)
		}
	}
}

// TestPolySmallRun runs a tiny sweep end to end and checks the files and the printed table; a second run finds it
// finished.
func TestPolySmallRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "poly")
	args := []string{"poly", "--estimators", "st,reinmax", "--p", "2", "--latents", "4", "--steps", "20", "--every", "10",
		"--seeds", "0", "--tau", "reinmax=1.2", "--out", out}
	stdout, err := run(args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 runs trained, 0 found finished", "reinmax τ=1.2", "0.2025", "ms"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output does not contain %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"results.jsonl", "summary.csv", "curves.png", "curves.svg"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	stdout, err = run(args...)
	if err != nil || !strings.Contains(stdout, "0 runs trained, 2 found finished") {
		t.Errorf("second run: %v\n%s", err, stdout)
	}
}

// TestProgressPlain checks the display for a non-terminal: the first report, then at most one line every
// plainInterval, and always the last one.
func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	d := newProgressDisplay(&buf)
	for i := 1; i <= 100; i++ {
		d.report(progress.Update{Run: "reinmax p=2 seed=0", Done: i, Total: 100, Metrics: map[string]float64{"gap": 0.5, "exact": 0.25}})
	}
	d.finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (the first report and the last):\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"1/100 (1.0%) reinmax p=2 seed=0 exact=0.25 gap=0.5", "100/100 (100.0%)"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], want)
		}
	}
}
