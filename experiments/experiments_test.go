package experiments

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	_ "github.com/gomlx/compute/gobackend"

	"github.com/f60e9205/reinmax/results"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"", Shard{}, true}, {"0/1", Shard{0, 1}, true}, {"2/4", Shard{2, 4}, true},
		{"4/4", Shard{}, false}, {"-1/4", Shard{}, false}, {"1", Shard{}, false}, {"a/b", Shard{}, false}, {"0/0", Shard{}, false},
	} {
		got, err := ParseShard(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	// Every job belongs to exactly one shard.
	for job := range 10 {
		owners := 0
		for i := range 3 {
			if (Shard{i, 3}).Owns(job) {
				owners++
			}
		}
		if owners != 1 {
			t.Errorf("job %d has %d owners among 3 shards, want 1", job, owners)
		}
	}
}

type rec struct {
	Run  string
	Last bool
}

func (r rec) RunKey() string { return r.Run }
func (r rec) Final() bool    { return r.Last }

func TestRunJobsSkipsFinishedAndResumes(t *testing.T) {
	dir := t.TempDir()
	log := "results.jsonl"
	if err := results.AppendJSONL(filepath.Join(dir, log), []rec{{"a", true}, {"b", false}}); err != nil {
		t.Fatal(err)
	}
	var ran []string
	var progress [][2]int
	crash := errors.New("crash")
	job := func(key string, fail bool) Job {
		return Job{Key: key, Cost: 1, Run: func(env Env) error {
			ran = append(ran, key)
			progress = append(progress, [2]int{env.Done, env.Total})
			if err := os.WriteFile(env.Checkpoint, []byte(key), 0o644); err != nil {
				return err
			}
			if fail {
				return crash
			}
			return results.AppendJSONL(filepath.Join(dir, log), []rec{{key, true}})
		}}
	}
	err := RunJobs[rec](dir, log, Shard{}, Env{}, []Job{job("a", false), job("b", false), job("c", true)})
	if !errors.Is(err, crash) {
		t.Fatalf("error %v, want the job's", err)
	}
	if len(ran) != 2 || ran[0] != "b" || ran[1] != "c" {
		t.Errorf("ran %v, want b then c (a is finished)", ran)
	}
	if want := [][2]int{{0, 2}, {1, 2}}; !slices.Equal(progress, want) {
		t.Errorf("jobs saw (done, total) %v, want %v", progress, want)
	}
	if _, err := os.Stat(filepath.Join(dir, CheckpointDir, "b.ckpt")); !os.IsNotExist(err) {
		t.Errorf("checkpoint of the finished job b was kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, CheckpointDir, "c.ckpt")); err != nil {
		t.Errorf("checkpoint of the interrupted job c is gone: %v", err)
	}
}
