package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/f60e9205/reinmax/internal/filelock"
	"github.com/f60e9205/reinmax/progress"
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

// toyConfig is the science configuration of a toy experiment: a run counts from 1 to Steps, its value at a step
// is Scale·step + Seed.
type toyConfig struct {
	Name  string  `json:"name"`
	Seed  int64   `json:"seed"`
	Steps int     `json:"steps"`
	Scale float64 `json:"scale"`
}

func (c toyConfig) Label() string { return fmt.Sprintf("%s seed=%d", c.Name, c.Seed) }

func (c toyConfig) Validate() error {
	if c.Steps < 1 {
		return fmt.Errorf("toy: steps = %d, want >= 1", c.Steps)
	}
	return nil
}

type toyRecord struct {
	Stamp[toyConfig]
	Name  string  `json:"name"`
	Seed  int64   `json:"seed"`
	Scale float64 `json:"scale,omitempty"`
	Step  int     `json:"step"`
	Steps int     `json:"steps"`
	Value float64 `json:"value"`
	Secs  float64 `json:"seconds"`
}

func (r toyRecord) Label() string { return fmt.Sprintf("%s seed=%d", r.Name, r.Seed) }
func (r toyRecord) Final() bool   { return r.Step == r.Steps }
func (r toyRecord) Position() int { return r.Step }

// toy is the toy experiment. Its checkpoint file holds the last step done. crashAt makes a run fail once it has
// emitted the record of that step (before its checkpoint), as a killed process would. With pictures, a run starts
// by writing an artefact, "pictures/<label>-<id>.txt", that holds its label.
type toy struct {
	mu       sync.Mutex
	trained  []string // labels of the runs Train was called for
	loadErr  error
	crashAt  map[string]int
	seconds  float64
	pictures bool
}

func (*toy) Name() string         { return "toy" }
func (*toy) Cost(c toyConfig) int { return c.Steps }
func (*toy) Report(dir string) error {
	return os.WriteFile(filepath.Join(dir, "report.txt"), []byte("ok\n"), 0o644)
}
func (e *toy) Load([]toyConfig, LoadEnv) error { return e.loadErr }

var errCrash = errors.New("crash")

func (e *toy) Train(c toyConfig, env Env, emit func(toyRecord) error) error {
	e.mu.Lock()
	e.trained = append(e.trained, c.Label())
	crash := e.crashAt[c.Label()]
	delete(e.crashAt, c.Label())
	e.mu.Unlock()
	if e.pictures {
		path, err := env.Artefact("pictures", ".txt")
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(c.Label()), 0o644); err != nil {
			return err
		}
	}
	start := 0
	if b, err := os.ReadFile(env.Checkpoint); err == nil {
		start, _ = strconv.Atoi(string(b))
	}
	for step := start + 1; step <= c.Steps; step++ {
		r := toyRecord{Name: c.Name, Seed: c.Seed, Scale: c.Scale, Step: step, Steps: c.Steps, Value: c.Scale*float64(step) + float64(c.Seed), Secs: e.seconds}
		if err := emit(r); err != nil {
			return err
		}
		env.Report(step, nil)
		if step == crash {
			return errCrash
		}
		if err := os.WriteFile(env.Checkpoint, []byte(strconv.Itoa(step)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func toyRuns(names ...string) []toyConfig {
	var out []toyConfig
	for _, n := range names {
		out = append(out, toyConfig{Name: n, Steps: 3, Scale: 1})
	}
	return out
}

func readToy(t *testing.T, dir string) []toyRecord {
	t.Helper()
	recs, err := ReadResults[toyConfig, toyRecord]("toy", dir)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// finals returns the final value of each finished run, by label.
func finals(recs []toyRecord) map[string]float64 {
	out := make(map[string]float64)
	for _, r := range results.Complete(recs) {
		if r.Final() {
			out[r.Label()+fmt.Sprintf(" scale=%g", r.Scale)] = r.Value
		}
	}
	return out
}

func TestIDIsCanonical(t *testing.T) {
	a, _ := ID("toy", toyConfig{Name: "a", Steps: 3, Scale: 1})
	// The JSON of a map with the same fields in another order, and a zero field left out, name the same run.
	b, _ := ID("toy", map[string]any{"scale": 1, "steps": 3, "name": "a"})
	c, _ := ID("toy", map[string]any{"scale": 1.0, "steps": 3, "name": "a", "seed": 0, "extra": ""})
	if a != b || a != c {
		t.Errorf("IDs %s, %s, %s of the same settings differ", a, b, c)
	}
	// Golden: sha256("toy\n" + `{"name":"a","scale":1,"steps":3}`), first 16 hex digits (computed with sha256sum).
	if a != "2697c2209d33e5a8" {
		t.Errorf("ID = %s, want the golden 2697c2209d33e5a8", a)
	}
	for _, other := range []toyConfig{{Name: "a", Steps: 4, Scale: 1}, {Name: "a", Steps: 3, Scale: 1.5}, {Name: "a", Seed: 1, Steps: 3, Scale: 1}} {
		if id, _ := ID("toy", other); id == a {
			t.Errorf("%+v has the identity of another run", other)
		}
	}
	if id, _ := ID("other", toyConfig{Name: "a", Steps: 3, Scale: 1}); id == a {
		t.Error("two experiments share an identity")
	}
}

func TestRunSkipsFinishedResumesAndKeepsSettingsApart(t *testing.T) {
	dir := t.TempDir()
	exp := &toy{crashAt: map[string]int{"b seed=0": 2}}
	_, err := Run(exp, toyRuns("a", "b"), Options{Dir: dir})
	if !errors.Is(err, errCrash) {
		t.Fatalf("first sweep: %v, want the crash", err)
	}
	if ckpts, _ := filepath.Glob(filepath.Join(dir, CheckpointDir, "b_seed=0-*.ckpt")); len(ckpts) != 1 {
		t.Fatalf("checkpoints after the crash: %v, want b's", ckpts)
	}
	exp.trained = nil
	if _, err := Run(exp, toyRuns("a", "b"), Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(exp.trained, []string{"b seed=0"}) {
		t.Errorf("second sweep trained %v, want only the interrupted b", exp.trained)
	}
	recs := readToy(t, dir)
	if got := finals(recs); len(got) != 2 || got["b seed=0 scale=1"] != 3 {
		t.Errorf("finished runs %v, want a and b at value 3", got)
	}
	// b wrote step 2 before it crashed and made it again when it resumed: the file holds it once.
	if len(recs) != 6 {
		var steps []string
		for _, r := range recs {
			steps = append(steps, fmt.Sprintf("%s step %d", r.Label(), r.Step))
		}
		t.Errorf("the results file holds %v, want steps 1-3 of a and b once each", steps)
	}
	if _, err := os.Stat(filepath.Join(dir, CheckpointDir)); !os.IsNotExist(err) {
		t.Errorf("the checkpoint folder stays after every run finished: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.txt")); err != nil {
		t.Errorf("no report: %v", err)
	}
	// The same runs with another setting are new runs beside the old ones, whose results stay.
	exp.trained = nil
	changed := toyRuns("a", "b")
	for i := range changed {
		changed[i].Scale = 2
	}
	if _, err := Run(exp, changed, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if len(exp.trained) != 2 {
		t.Errorf("a changed setting trained %v, want both runs again", exp.trained)
	}
	got := finals(readToy(t, dir))
	if len(got) != 4 || got["a seed=0 scale=1"] != 3 || got["a seed=0 scale=2"] != 6 {
		t.Errorf("finished runs %v, want the old and the new ones", got)
	}
	for _, r := range readToy(t, dir) {
		if r.Settings == nil || r.Settings.Scale != r.Scale || r.Run == "" {
			t.Fatalf("record %+v does not carry its run's settings", r)
		}
	}
}

func TestRunRefusesBadSweeps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	exp := &toy{}
	runs := toyRuns("a", "a")
	if _, err := Run(exp, runs, Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("a run listed twice: %v", err)
	}
	if _, err := Run(exp, []toyConfig{{Name: "a"}}, Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "steps = 0") {
		t.Errorf("an invalid run: %v", err)
	}
	exp.loadErr = errors.New("data: mnist: train-images-idx3-ubyte.gz is missing")
	if _, err := Run(exp, toyRuns("a"), Options{Dir: dir}); !errors.Is(err, exp.loadErr) {
		t.Errorf("missing data: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a sweep that failed before training created its output folder: %v", err)
	}
}

func TestRunRefusesSecondWriter(t *testing.T) {
	dir := t.TempDir()
	lock, err := filelock.TryLock(filepath.Join(dir, lockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	_, err = Run(&toy{}, toyRuns("a"), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Errorf("second writer: %v, want a refusal naming the holder's PID", err)
	}
}

// TestWorkersGiveTheSameNumbers trains a sweep one run at a time and three at a time: the same records, and
// progress that adds up to the sweep's cost.
func TestWorkersGiveTheSameNumbers(t *testing.T) {
	runs := toyRuns("a", "b", "c", "d", "e")
	var want map[string]float64
	for _, workers := range []int{1, 3} {
		dir := t.TempDir()
		var mu sync.Mutex
		last := 0
		rep := progress.Reporter(func(u progress.Update) {
			mu.Lock()
			defer mu.Unlock()
			if u.Total != 15 || u.Done < last {
				t.Errorf("workers %d: progress %d of %d after %d", workers, u.Done, u.Total, last)
			}
			last = u.Done
		})
		if _, err := Run(&toy{}, runs, Options{Dir: dir, Workers: workers, Reporter: rep}); err != nil {
			t.Fatal(err)
		}
		got := finals(readToy(t, dir))
		if want == nil {
			want = got
		}
		if len(got) != 5 || fmt.Sprint(got) != fmt.Sprint(want) || last != 15 {
			t.Errorf("workers %d: %v (progress %d), want %v (15)", workers, got, last, want)
		}
	}
}

func TestMerge(t *testing.T) {
	root := t.TempDir()
	a, b, c := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")
	if _, err := Run(&toy{seconds: 1, pictures: true}, toyRuns("x", "y"), Options{Dir: a}); err != nil {
		t.Fatal(err)
	}
	// b holds y again (other wall times: the same result), z, and w, which did not finish.
	unfinished := &toy{seconds: 2, pictures: true, crashAt: map[string]int{"w seed=0": 2}}
	if _, err := Run(unfinished, toyRuns("y", "z", "w"), Options{Dir: b}); !errors.Is(err, errCrash) {
		t.Fatalf("run with a crash: %v, want %v", err, errCrash)
	}
	dst := filepath.Join(root, "merged")
	if err := Merge(&toy{}, dst, a, b); err != nil {
		t.Fatal(err)
	}
	if got := finals(readToy(t, dst)); len(got) != 3 {
		t.Errorf("merged runs %v, want x, y, z once each", got)
	}
	// The pictures of the finished runs come along, each once; w's does not.
	pictures, err := os.ReadDir(filepath.Join(dst, "pictures"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, p := range pictures {
		b, err := os.ReadFile(filepath.Join(dst, "pictures", p.Name()))
		if err != nil {
			t.Fatal(err)
		}
		labels = append(labels, string(b))
	}
	if want := []string{"x seed=0", "y seed=0", "z seed=0"}; !slices.Equal(slices.Sorted(slices.Values(labels)), want) {
		t.Errorf("merged pictures hold %q, want %q", labels, want)
	}
	// A run already in the destination gets its pictures from the other sources that hold it.
	if err := os.RemoveAll(filepath.Join(dst, "pictures")); err != nil {
		t.Fatal(err)
	}
	if err := Merge(&toy{}, dst, dst, a, b); err != nil {
		t.Fatal(err)
	}
	if again, err := os.ReadDir(filepath.Join(dst, "pictures")); err != nil || len(again) != 3 {
		t.Errorf("pictures after merging into a folder that held the runs: %d, %v; want 3", len(again), err)
	}
	// c holds y with other numbers under the same identity: refused, naming both folders.
	recs := readToy(t, b)
	for i := range recs {
		recs[i].Value++
	}
	if err := os.MkdirAll(c, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.AppendJSONL(filepath.Join(c, ResultsFile), recs); err != nil {
		t.Fatal(err)
	}
	err = Merge(&toy{}, filepath.Join(root, "m2"), a, c)
	if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), c) || !strings.Contains(err.Error(), "y seed=0") {
		t.Errorf("conflicting results: %v, want a refusal naming y and both folders", err)
	}
}

// TestLegacyRecordsAndMigrate writes records without identities, as older versions did: the runner refuses the
// folder with the migrate command; Migrate stamps the records whose settings agree and leaves the others.
func TestLegacyRecordsAndMigrate(t *testing.T) {
	dir := t.TempDir()
	var legacy []toyRecord
	for step := 1; step <= 3; step++ {
		legacy = append(legacy, toyRecord{Name: "a", Step: step, Steps: 3, Scale: 1, Value: float64(step)},
			toyRecord{Name: "b", Step: step, Steps: 3, Scale: 5, Value: 5 * float64(step)})
	}
	if err := results.AppendJSONL(filepath.Join(dir, ResultsFile), legacy); err != nil {
		t.Fatal(err)
	}
	_, err := Run(&toy{}, toyRuns("a"), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "--migrate") {
		t.Fatalf("legacy folder: %v, want a refusal naming --migrate", err)
	}
	// b's records say scale 5; the sweep's b has scale 1: they disagree and stay.
	m, err := Migrate(&toy{}, dir, toyRuns("a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Stamped != 3 || !slices.Equal(m.Unmatched, []string{"b seed=0"}) {
		t.Errorf("migrate: %+v, want a's 3 records stamped and b unmatched", m)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, ResultsFile))
	var first toyRecord
	if err := json.Unmarshal([]byte(strings.SplitN(string(raw), "\n", 2)[0]), &first); err != nil {
		t.Fatal(err)
	}
	id, _ := ID("toy", toyRuns("a")[0])
	if first.Run != id || first.Settings == nil {
		t.Errorf("first record after migrating: %+v, want run %s with its settings", first, id)
	}
	b := toyRuns("b")[0]
	b.Scale = 5
	if m, err = Migrate(&toy{}, dir, []toyConfig{b}); err != nil || m.Stamped != 3 {
		t.Fatalf("migrate b: %+v, %v", m, err)
	}
	exp := &toy{}
	if _, err := Run(exp, append(toyRuns("a"), b), Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if len(exp.trained) != 0 {
		t.Errorf("after migrating, the sweep trained %v again", exp.trained)
	}
}

// FuzzParseShard checks that every accepted shard i/n has 0 <= i < n and owns a job.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"", "0/1", "2/4", "4/4", "-1/4", "1", "a/b", "0/0", "9223372036854775807/9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			return
		}
		if s != "" && !(sh.I >= 0 && sh.I < sh.N) {
			t.Fatalf("%q: accepted %+v", s, sh)
		}
		if !sh.Owns(sh.I) {
			t.Fatalf("%q: shard %+v owns none of its jobs", s, sh)
		}
	})
}

// TestMergeKeepsOrder merges a folder into itself: the results file is unchanged, byte for byte, whatever the
// order in which a map would have listed its runs.
func TestMergeKeepsOrder(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(&toy{}, toyRuns("e", "d", "c", "b", "a"), Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, ResultsFile))
	for range 5 {
		if err := Merge(&toy{}, dir, dir); err != nil {
			t.Fatal(err)
		}
		if after, _ := os.ReadFile(filepath.Join(dir, ResultsFile)); string(after) != string(before) {
			t.Fatalf("merging a folder into itself reordered its records:\n%s\nwas\n%s", after, before)
		}
	}
}

func TestGroupLabelsKeepGroupsApart(t *testing.T) {
	a := toyConfig{Name: "a", Seed: 0, Steps: 3, Scale: 1}
	b := toyConfig{Name: "a", Seed: 1, Steps: 3, Scale: 1}
	c := toyConfig{Name: "a", Seed: 0, Steps: 3, Scale: 2}
	if SettingsKey(a) != SettingsKey(b) || SettingsKey(a) == SettingsKey(c) {
		t.Errorf("settings keys: seeds must share one, another scale must not: %s %s %s", SettingsKey(a), SettingsKey(b), SettingsKey(c))
	}
	// Cells by step count: a, b and c share one, d has its own (its other scale needs no mention), and e shares
	// a's cell under another name.
	d := toyConfig{Name: "a", Steps: 4, Scale: 5}
	e := toyConfig{Name: "e", Steps: 3, Scale: 7}
	labels := GroupLabels([]toyConfig{a, b, c, d, e}, func(c toyConfig) any { return c },
		func(c toyConfig) string { return strconv.Itoa(c.Steps) }, func(c toyConfig) string { return c.Name })
	for cfg, want := range map[toyConfig]string{a: "a (scale=1)", b: "a (scale=1)", c: "a (scale=2)", d: "a", e: "e"} {
		if got := labels[SettingsKey(cfg)]; got != want {
			t.Errorf("label of %+v = %q, want %q", cfg, got, want)
		}
	}
}
