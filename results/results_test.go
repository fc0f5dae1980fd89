package results

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// rec is a minimal record: a run key, a step and whether it closes the run.
type rec struct {
	Run   string  `json:"run"`
	Step  int     `json:"step"`
	Loss  float64 `json:"loss"`
	Last  bool    `json:"last,omitempty"`
	Label string  `json:"label,omitempty"`
}

func (r rec) RunKey() string { return r.Run }
func (r rec) Final() bool    { return r.Last }
func (r rec) Position() int  { return r.Step }

func TestPrepareDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	tests := []struct {
		name    string
		dir     string
		wantErr string
	}{
		{"new nested folder", filepath.Join(dir, "a", "b"), ""},
		{"existing folder", dir, ""},
		{"a file", file, "is a file"},
		{"below a file", filepath.Join(file, "x"), "cannot create"},
		{"empty", "", "no output folder"},
	}
	for _, tc := range tests {
		err := PrepareDir(tc.dir)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s: PrepareDir(%q) = %v, want nil", tc.name, tc.dir, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: PrepareDir(%q) = %v, want an error containing %q", tc.name, tc.dir, err, tc.wantErr)
		}
	}
	if os.Geteuid() != 0 { // root writes anywhere: the permission case only means something for other users
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := PrepareDir(ro); err == nil || !strings.Contains(err.Error(), "not writable") {
			t.Errorf("PrepareDir(read-only) = %v, want a not-writable error", err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "a", "b"))
	if len(entries) != 0 {
		t.Errorf("PrepareDir left %d files behind", len(entries))
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	first := []rec{{Run: "a", Step: 0, Loss: 0.5}, {Run: "a", Step: 10, Loss: 0.25, Last: true}}
	second := []rec{{Run: "b", Step: 0, Loss: 1e-300, Label: "x,\"y\"\n"}}
	if err := AppendJSONL(path, first); err != nil {
		t.Fatal(err)
	}
	if err := AppendJSONL(path, second); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSONL[rec](path)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(append([]rec(nil), first...), second...); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if done := Finished(got); !reflect.DeepEqual(done, map[string]bool{"a": true}) {
		t.Errorf("Finished = %v, want only a", done)
	}
}

func TestJSONLMissingFile(t *testing.T) {
	got, err := ReadJSONL[rec](filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || len(got) != 0 {
		t.Errorf("ReadJSONL(missing) = %v, %v; want no records and no error", got, err)
	}
}

func TestJSONLTruncatedLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	os.WriteFile(path, []byte(`{"run":"a","step":0,"loss":1}`+"\n"+`{"run":"a","st`), 0o644)
	got, err := ReadJSONL[rec](path)
	if err != nil || len(got) != 1 {
		t.Fatalf("ReadJSONL = %v, %v; want the one complete record", got, err)
	}
	if err := AppendJSONL(path, []rec{{Run: "b", Step: 1, Last: true}}); err != nil {
		t.Fatal(err)
	}
	got, err = ReadJSONL[rec](path)
	want := []rec{{Run: "a", Step: 0, Loss: 1}, {Run: "b", Step: 1, Last: true}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("after appending past a cut line: %+v, %v; want %+v", got, err, want)
	}
}

func TestJSONLBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	os.WriteFile(path, []byte("{\"run\":\"a\"}\nnot json\n{\"run\":\"b\"}\n"), 0o644)
	_, err := ReadJSONL[rec](path)
	if err == nil || !strings.Contains(err.Error(), path+":2") {
		t.Errorf("ReadJSONL(bad line 2) = %v, want an error naming %s:2", err, path)
	}
}

func TestComplete(t *testing.T) {
	recs := []rec{
		{Run: "a", Step: 0},             // an interrupted attempt of a
		{Run: "b", Step: 0},             //
		{Run: "b", Step: 1, Last: true}, // b finished
		{Run: "a", Step: 0, Loss: 3},    // a restarted: its step 0 replaces the interrupted one
		{Run: "a", Step: 1, Last: true},
		{Run: "b", Step: 0, Loss: 9}, // a second copy of b: dropped
		{Run: "b", Step: 1, Loss: 9, Last: true},
		{Run: "c", Step: 0}, // unfinished
	}
	got := Complete(recs)
	want := []rec{recs[1], recs[2], recs[3], recs[4]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Complete:\n got %+v\nwant %+v", got, want)
	}
	// Without Positioned, every record of the attempt stays.
	plain := []plainRec{{"a", false}, {"a", false}, {"a", true}}
	if got := Complete(plain); len(got) != 3 {
		t.Errorf("Complete kept %d records without positions, want 3", len(got))
	}
}

type plainRec struct {
	Run  string
	Last bool
}

func (r plainRec) RunKey() string { return r.Run }
func (r plainRec) Final() bool    { return r.Last }

func TestMerge(t *testing.T) {
	root := t.TempDir()
	s0, s1, out := filepath.Join(root, "s0"), filepath.Join(root, "s1"), filepath.Join(root, "all")
	os.Mkdir(s0, 0o755)
	os.Mkdir(s1, 0o755)
	AppendJSONL(filepath.Join(s0, "results.jsonl"), []rec{
		{Run: "a", Step: 0}, {Run: "a", Step: 1, Last: true},
		{Run: "c", Step: 0}, // shard 0 was interrupted while running c
	})
	AppendJSONL(filepath.Join(s1, "results.jsonl"), []rec{
		{Run: "b", Step: 0}, {Run: "b", Step: 1, Last: true},
		{Run: "a", Step: 0, Loss: 7}, {Run: "a", Step: 1, Loss: 7, Last: true}, // a duplicate of a
	})
	n, err := Merge[rec](out, "results.jsonl", s0, s1)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Merge wrote %d runs, want 2 (a and b)", n)
	}
	got, err := ReadJSONL[rec](filepath.Join(out, "results.jsonl"))
	want := []rec{{Run: "a", Step: 0}, {Run: "a", Step: 1, Last: true}, {Run: "b", Step: 0}, {Run: "b", Step: 1, Last: true}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("merged log: %+v, %v; want %+v", got, err, want)
	}
	missing := filepath.Join(root, "none")
	if _, err := Merge[rec](out, "results.jsonl", s0, missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Merge with a missing source = %v, want an error naming %s", err, missing)
	}
}

func TestWriteCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.csv")
	if err := WriteCSV(path, []string{"name", "value"}, [][]string{{"st", "0.5"}, {"a,b", "1"}}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := "name,value\nst,0.5\n\"a,b\",1\n"; string(got) != want {
		t.Errorf("csv = %q, want %q", got, want)
	}
	err := WriteCSV(path, []string{"name", "value"}, [][]string{{"st"}})
	if err == nil || !strings.Contains(err.Error(), "row 1 has 1 fields") {
		t.Errorf("WriteCSV(short row) = %v, want an error naming row 1", err)
	}
}

// TestAppendConcurrent appends from several goroutines at once: with O_APPEND no batch overwrites another.
func TestAppendConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	const writers, batches = 8, 20
	done := make(chan error)
	for w := range writers {
		go func() {
			var err error
			for b := range batches {
				recs := []rec{{Run: "w", Step: w*batches + b}, {Run: "w", Step: -1}, {Run: "w", Step: -2}}
				if e := AppendJSONL(path, recs); e != nil {
					err = e
				}
			}
			done <- err
		}()
	}
	for range writers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadJSONL[rec](path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != writers*batches*3 {
		t.Errorf("%d records after concurrent appends, want %d", len(got), writers*batches*3)
	}
}
