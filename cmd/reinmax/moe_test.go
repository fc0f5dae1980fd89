package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMoEBadInput checks that bad flags of moe, and of gradlab's moe problem, are usage errors (exit status 2)
// whose message names the problem, before any data is read or any training starts.
func TestMoEBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"moe", "--methods", "nope"}, `unknown value "nope"`},
		{[]string{"moe", "--methods", "gumbel-softmax"}, `unknown value "gumbel-softmax"`},
		{[]string{"moe", "--methods", "st,reinmax", "--top-k", "2"}, "st does not support top-2"},
		{[]string{"moe", "--top-k", "3"}, "--top-k 3: want 1 or 2"},
		{[]string{"moe", "--experts", "1"}, "1 experts, want at least 2"},
		{[]string{"moe", "--capacity", "0"}, "capacity factor 0, want a finite number > 0"},
		{[]string{"moe", "--capacity", "-1"}, "capacity factor -1"},
		{[]string{"moe", "--balance", "nan"}, "--balance"},
		{[]string{"moe", "--datasets", "cifar"}, `unknown value "cifar"`},
		{[]string{"moe", "--methods", "reinmax", "--tau", "0.5"}, "tau"},
		{[]string{"moe", "--seeds", "x"}, "--seeds"},
		{[]string{"gradlab", "--problem", "moe:foo=1"}, `unknown parameter "foo"`},
		{[]string{"gradlab", "--problem", "moe:method=st2"}, `unknown routing method "st2"`},
		{[]string{"gradlab", "--problem", "moe", "--estimators", "nope"}, `unknown value "nope"`},
		{[]string{"gradlab", "--problem", "moe", "--estimators", "reinmax", "--tau", "0.5"}, "no routing method accepts"},
	} {
		_, err := run(tc.args...)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want a one-line usage error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestMoESmallRun trains two tiny runs and measures two routing methods in the lab on a tiny model.
func TestMoESmallRun(t *testing.T) {
	dir := t.TempDir()
	out, err := run("moe", "--methods", "switch,reinmax", "--top-k", "1", "--steps", "4", "--eval-every", "2",
		"--batch", "32", "--hidden", "8", "--expert-hidden", "8", "--train-size", "256", "--test-size", "64", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "2 runs trained") || !strings.Contains(out, "| reinmax |") {
		t.Errorf("output lacks the runs or the table:\n%s", out)
	}
	for _, f := range []string{"results.jsonl", "summary.csv", "table.md", "curves.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	lab := filepath.Join(dir, "lab")
	out, err = run("gradlab", "--problem", "moe:steps=4,images=3", "--estimators", "switch,reinmax", "--tau", "1",
		"--draws", "20", "--out", lab)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| switch | – |", "| reinmax | 1 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("gradlab output lacks %q:\n%s", want, out)
		}
	}
}
