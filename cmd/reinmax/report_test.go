package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/poly"
	"github.com/f60e9205/reinmax/results"
)

// polyFolder writes a results folder of one finished poly run of two steps.
func polyFolder(t *testing.T, dir string) {
	t.Helper()
	cfg := poly.DefaultConfig()
	cfg.Steps, cfg.Every = 2, 1
	id, err := experiments.ID("poly", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for step := range 3 {
		r := poly.Record{Estimator: "reinmax", Tau: 1, P: 2, Target: poly.Const, L: cfg.L, Batch: cfg.Batch, LR: cfg.LR, Steps: 2,
			Step: step, Exact: 0.25 - 0.01*float64(step), Optimum: 0.2025, Gap: 0.0475 - 0.01*float64(step)}
		r.SetStamp(id, cfg)
		if err := results.AppendJSONL(filepath.Join(dir, experiments.ResultsFile), []poly.Record{r}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReportCommand checks the report command's exit status, messages and output file for good and bad input.
func TestReportCommand(t *testing.T) {
	root := t.TempDir()
	good, empty := filepath.Join(root, "poly"), filepath.Join(root, "empty")
	polyFolder(t, good)
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(root, "out", "report.html")
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		want   string // in the command's output
		page   bool   // the page is written
	}{
		{"no folder", []string{"report"}, 2, "at least one results folder", false},
		{"quick with folders", []string{"report", "--quick", good}, 2, "give no result folders", false},
		{"quick into a file", []string{"report", "--quick", "--out", filepath.Join(good, experiments.ResultsFile)}, 2, "is a file", false},
		{"data without quick", []string{"report", "--data", root, good, "--out", page}, 2, "--data is for --quick", false},
		{"missing folder", []string{"report", filepath.Join(root, "nope"), "--out", page}, 2, "no such folder", false},
		{"out is a folder", []string{"report", good, "--out", root}, 2, "is a folder", false},
		{"nothing to show", []string{"report", empty, "--out", page}, 1, "no page written", false},
		{"a bad folder beside a good one", []string{"report", empty, good, "--out", page}, 0, "warning: " + empty + ": no results file", true},
	} {
		os.Remove(page)
		var out bytes.Buffer
		root := newRootCommand()
		root.SetOut(&out)
		root.SetErr(&out)
		status := execute(root, tc.args, &out)
		if status != tc.status || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: status %d, output %q; want %d and %q", tc.name, status, out.String(), tc.status, tc.want)
		}
		if _, err := os.Stat(page); (err == nil) != tc.page {
			t.Errorf("%s: page written = %v, want %v", tc.name, err == nil, tc.page)
		}
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Polynomial programming", "This folder cannot be shown:", "0.230000"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
