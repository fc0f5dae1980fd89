package main

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// run executes the command line args and returns its standard output and error.
func run(args ...string) (string, error) {
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// TestGradReferenceVectors checks the four test vectors of the reference (section 1.4, computed there with a
// plain-Python transcription of the original backward pass), printed to 6 significant digits.
func TestGradReferenceVectors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []float64
	}{
		{[]string{"--estimator", "reinmax", "--logits", "1,-0.5,0.25", "--sample", "1", "--ghard", "0.3,-1.2,2"},
			[]float64{.442348, -.888109, .445761}},
		{[]string{"--estimator", "reinmax", "--tau", "2", "--logits", "1,-0.5,0.25", "--sample", "1", "--ghard", "0.3,-1.2,2"},
			[]float64{.379438, -.926913, .547475}},
		{[]string{"--estimator", "reinmax", "--tau", "1.5", "--logits", "1,-0.5,0.25", "--sample", "0", "--ghard", "0.3,-1.2,2", "--gsoft", ".5,.1,-.4"},
			[]float64{.077543, -.197939, .120396}},
		{[]string{"--estimator", "reinmax", "--logits", "0,0", "--sample", "0", "--ghard", "1,0"},
			[]float64{.25, -.25}},
		{[]string{"--estimator", "st", "--logits", "1,-0.5,0.25", "--sample", "1", "--ghard", "0.3,-1.2,2"},
			[]float64{-.162913, -.233753, .396666}},
	} {
		for _, prec := range [][]string{nil, {"--float64"}} {
			args := append(append([]string{"grad"}, tc.args...), prec...)
			out, err := run(args...)
			if err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			fields := strings.Fields(out)
			if len(fields) != len(tc.want) {
				t.Fatalf("%v: printed %q, want %d numbers on one line", args, out, len(tc.want))
			}
			for i, f := range fields {
				got, err := strconv.ParseFloat(f, 64)
				if err != nil || !(math.Abs(got-tc.want[i]) <= 1e-6) {
					t.Errorf("%v: component %d = %s, want %v", args, i, f, tc.want[i])
				}
			}
		}
	}
}

func TestBadInputIsAUsageError(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"grad", "--bogus"}, "unknown flag"},
		{[]string{"grad", "--logits", "1,2", "--ghard", "1,2"}, "--estimator is required"},
		{[]string{"grad", "--estimator", "nope", "--logits", "1,2", "--ghard", "1,2"}, "valid:"},
		{[]string{"grad", "--estimator", "reinmax", "--tau", "0.5", "--logits", "1,2", "--ghard", "1,2"}, "tau"},
		{[]string{"grad", "--estimator", "st", "--tau", "0", "--logits", "1,2", "--ghard", "1,2"}, "tau"},
		{[]string{"grad", "--estimator", "gr-mck", "--k", "0", "--logits", "1,2", "--ghard", "1,2"}, "--k"},
		{[]string{"grad", "--estimator", "st", "--logits", "1", "--ghard", "1"}, "at least 2"},
		{[]string{"grad", "--estimator", "st", "--logits", "1,nan", "--ghard", "1,2"}, "--logits"},
		{[]string{"grad", "--estimator", "st", "--logits", "1,2", "--ghard", "1,2,3"}, "--ghard"},
		{[]string{"grad", "--estimator", "st", "--logits", "1,2", "--ghard", "1,2", "--sample", "2"}, "--sample"},
		{[]string{"grad", "--estimator", "st", "--logits", "1,-inf", "--ghard", "1,2", "--sample", "1"}, "masked"},
		{[]string{"catvae", "--config", "10"}, "CxL"},
		{[]string{"catvae", "--estimators", "nope"}, "valid:"},
		{[]string{"catvae", "--seeds", "3-1"}, "--seeds"},
		{[]string{"catvae", "--shard", "2/2"}, "shard"},
		{[]string{"catvae", "--epochs", "0"}, "epochs = 0"},
		{[]string{"gradlab", "--estimators", "arms"}, "binary variables only"},
		{[]string{"gradlab", "--estimators", "exact"}, "no error to measure"},
		{[]string{"gradlab", "--estimators", "rloo", "--evaluations", "1"}, "rloo"},
		{[]string{"list", "extra"}, "no arguments"},
		{[]string{"merge", "nope", "--out", "x", "y"}, "unknown experiment"},
	} {
		_, err := run(tc.args...)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want a usage error (exit status 2) containing %q", tc.args, err, tc.want)
		}
	}
}

func TestList(t *testing.T) {
	out, err := run("list")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"reinmax", "st", "stgs", "gumbel-softmax", "gst-1.0", "gst-p", "gr-mck"} {
		if !strings.Contains(out, "\n"+name+" ") {
			t.Errorf("reinmax list does not show %s:\n%s", name, out)
		}
	}
}

// TestExitStatus checks the rule of every command: 2 for a usage error (an unknown command, a bad flag), 1 for a
// failed run, 0 for success, and a panic is an internal error with status 1, not a stack trace.
func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"list"}, 0},
		{[]string{"nope"}, 2},
		{[]string{"list", "--bogus"}, 2},
		{[]string{"poly", "--steps", "x"}, 2},
		{[]string{"merge", "poly", "--out", t.TempDir(), filepath.Join(t.TempDir(), "missing")}, 1},
	} {
		var stderr bytes.Buffer
		if got := execute(newRootCommand(), tc.args, &stderr); got != tc.want {
			t.Errorf("%v: exit status %d, want %d (stderr %q)", tc.args, got, tc.want, stderr.String())
		}
		if tc.want != 0 && strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
			t.Errorf("%v: stderr %q, want one line", tc.args, stderr.String())
		}
	}
	root := newRootCommand()
	root.AddCommand(&cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error { panic("boom") }})
	var stderr bytes.Buffer
	if got := execute(root, []string{"boom"}, &stderr); got != 1 || !strings.Contains(stderr.String(), "internal error: boom") {
		t.Errorf("a panic: exit status %d, stderr %q; want 1 and an internal error", got, stderr.String())
	}
}

// TestGradPrecision checks that grad refuses values its precision cannot hold, never prints a non-finite gradient,
// and prints float64 results in full.
func TestGradPrecision(t *testing.T) {
	for _, args := range [][]string{
		{"--estimator", "reinmax", "--logits", "1e39,-0.5,0.25", "--sample", "1", "--ghard", "0.3,-1.2,2"},
		{"--estimator", "reinmax", "--logits", "1,-0.5,0.25", "--sample", "1", "--ghard", "1e39,-1.2,2"},
		{"--estimator", "st", "--tau", "1e-40", "--logits", "1,-0.5,0.25", "--sample", "1", "--ghard", "0.3,-1.2,2"},
		{"--estimator", "reinmax", "--logits", "-1e39,-0.5,0.25", "--sample", "0", "--ghard", "0.3,-1.2,2"},
	} {
		out, err := run(append([]string{"grad"}, args...)...)
		if err == nil || strings.Contains(strings.ToLower(out), "nan") {
			t.Errorf("%v: printed %q, error %v; want an error and no NaN", args, out, err)
		}
	}
	out, err := run("grad", "--estimator", "reinmax", "--logits", "1,-0.5,0.25", "--sample", "1", "--ghard", "0.3,-1.2,2", "--float64")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(out) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || strconv.FormatFloat(x, 'g', -1, 64) != f || len(strings.TrimLeft(f, "-0.")) < 15 {
			t.Errorf("--float64 printed %q, want the shortest form that reads back exactly (about 16 digits)", f)
		}
	}
}
