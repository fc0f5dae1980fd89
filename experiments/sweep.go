package experiments

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/f60e9205/reinmax/results"
)

// Job is one run of a sweep: an estimator on one configuration with one seed.
type Job struct {
	Key  string // the run key its records carry (results.Record.RunKey)
	Cost int    // units of work, for progress: training steps, say
	// Run trains the job in env: the sweep's backend and reporter, the job's checkpoint file (to save to and
	// resume from) and its place in the sweep's work.
	Run func(env Env) error
}

// CheckpointDir is the folder of a sweep's output folder that holds the checkpoints of unfinished runs.
const CheckpointDir = "checkpoints"

// FileName turns a run key into a file name: "10x30 reinmax seed=0" becomes "10x30_reinmax_seed=0".
func FileName(key string) string {
	return strings.NewReplacer(" ", "_", "/", "-").Replace(key)
}

// RunJobs runs, in order, the jobs that belong to shard and have no final record yet in the results log at
// dir/log; a job interrupted before resumes from its checkpoint, which is removed once the job finishes. Each job
// runs in env (its backend resolved by BackendOr, once) with its own checkpoint file and place in the sweep. The
// output folder is checked to be writable before any work starts.
func RunJobs[R results.Record](dir, log string, shard Shard, env Env, jobs []Job) error {
	if err := results.PrepareDir(dir); err != nil {
		return err
	}
	ckptDir := filepath.Join(dir, CheckpointDir)
	if err := os.MkdirAll(ckptDir, 0o755); err != nil {
		return err
	}
	recs, err := results.ReadJSONL[R](filepath.Join(dir, log))
	if err != nil {
		return err
	}
	finished := results.Finished(recs)
	var todo []Job
	total := 0
	for i, j := range jobs {
		if shard.Owns(i) && !finished[j.Key] {
			todo = append(todo, j)
			total += j.Cost
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if env.Backend, err = BackendOr(env.Backend); err != nil {
		return err
	}
	env.Total = total
	for _, j := range todo {
		env.Checkpoint = filepath.Join(ckptDir, FileName(j.Key)+".ckpt")
		if err := j.Run(env); err != nil {
			return err
		}
		if err := os.Remove(env.Checkpoint); err != nil && !os.IsNotExist(err) {
			return err
		}
		env.Done += j.Cost
	}
	return nil
}
