package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMain runs the command-line tool itself when the test binary is started with REINMAX_RUN_MAIN=1, so that tests
// can run it as a separate process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("REINMAX_RUN_MAIN") == "1" {
		os.Exit(execute(newRootCommand(), os.Args[1:], os.Stderr))
	}
	os.Exit(m.Run())
}

// command returns the tool as a subprocess with args.
func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "REINMAX_RUN_MAIN=1")
	return cmd
}

// numbers reads an output folder's results.jsonl and returns its records without wall times, one JSON text per
// record, sorted (runs trained at the same time interleave their records).
func numbers(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]int{} // a record written again after a resume replaces the first copy
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, k := range []string{"seconds", "step_seconds"} {
			delete(r, k)
		}
		b, _ := json.Marshal(r)
		key := string(b) // records of no run (the gradient lab's) are kept whole
		if r["run"] != nil {
			key = fmt.Sprint(r["run"], r["step"], r["epoch"])
		}
		if i, ok := seen[key]; ok {
			out[i] = string(b)
			continue
		}
		seen[key] = len(out)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// TestKillAndResume runs each long command on a tiny configuration three ways: uninterrupted; killed (SIGKILL) at a
// random moment once its first record is on disk, then run again to the end; and compares every number of the
// results. Resuming reproduces the uninterrupted run to the last digit.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the tool as a subprocess several times")
	}
	rng := rand.New(rand.NewPCG(7, 11)) // the kill moments: fixed, so a failure can be repeated
	for _, tc := range []struct {
		name  string
		args  []string
		ready string // the file whose appearance means the run is under way; "" for results.jsonl's first record
	}{
		{"poly", []string{"poly", "--estimators", "st,reinmax", "--p", "2", "--latents", "8", "--steps", "3000", "--every", "100", "--seeds", "0", "--workers", "1"}, ""},
		{"catvae", []string{"catvae", "--config", "8x4", "--estimators", "reinmax", "--epochs", "4", "--train-size", "300", "--test-size", "100"}, ""},
		{"bervae", []string{"bervae", "--estimators", "reinmax,rloo", "--steps", "40", "--eval-every", "10", "--train-size", "200", "--eval-size", "100", "--iw-images", "20", "--iw-samples", "5"}, ""},
		{"listops", []string{"listops", "--estimators", "reinmax", "--hidden", "8", "--train-size", "96", "--epochs", "4", "--batch", "16", "--test-size", "24"}, ""},
		{"moe", []string{"moe", "--methods", "switch,reinmax", "--top-k", "1", "--train-size", "600", "--test-size", "100", "--steps", "120",
			"--eval-every", "20", "--batch", "32", "--hidden", "16", "--expert-hidden", "16"}, ""},
		{"vq", []string{"vq", "--methods", "ste,reinmax", "--train-size", "600", "--test-size", "100", "--steps", "120", "--eval-every", "20",
			"--batch", "32", "--hidden", "32", "--codes", "16", "--dim", "4", "--latents", "2"}, ""},
		// The gradient lab trains its VAE first, with a checkpoint after every epoch, then measures.
		{"gradlab", []string{"gradlab", "--problem", "vae8x4:epochs=8,train=1000,images=2", "--estimators", "st,reinmax", "--tau", "1",
			"--draws", "200", "--order=false"}, "checkpoints/vae8x4-epochs8-train1000-seed0.checkpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			whole, killed := filepath.Join(root, "whole"), filepath.Join(root, "killed")
			var stderr bytes.Buffer
			cmd := command(append(tc.args, "--out", whole)...)
			cmd.Stderr = &stderr
			start := time.Now()
			if err := cmd.Run(); err != nil {
				t.Fatalf("uninterrupted run: %v\n%s", err, stderr.String())
			}
			duration := time.Since(start)

			cmd = command(append(tc.args, "--out", killed)...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(2 * duration); ; time.Sleep(5 * time.Millisecond) {
				if tc.ready != "" {
					if _, err := os.Stat(filepath.Join(killed, tc.ready)); err == nil {
						break
					}
				} else if b, err := os.ReadFile(filepath.Join(killed, "results.jsonl")); err == nil && bytes.Count(b, []byte("\n")) > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no record written in twice the uninterrupted run's time")
				}
			}
			time.Sleep(time.Duration(rng.Float64() * float64(duration) / 3))
			cmd.Process.Kill()
			cmd.Wait()
			if out, err := command(append(tc.args, "--out", killed)...).CombinedOutput(); err != nil {
				t.Fatalf("resumed run: %v\n%s", err, out)
			}
			want, got := numbers(t, whole), numbers(t, killed)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("killed and resumed: %d records, uninterrupted: %d; first difference:\n%s", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return "resumed:       " + a[i] + "\nuninterrupted: " + b[i]
		}
	}
	return strings.Join([]string{fmt.Sprint(len(a)), fmt.Sprint(len(b))}, " vs ")
}
