package experiments

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/f60e9205/reinmax/checkpoint"
)

// TestStartResumes checks that Start gives a fresh store without a checkpoint and restores the saved state with one.
func TestStartResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.ckpt")
	type state struct{ Step int }
	var st state
	_, store, err := Start(Env{Checkpoint: path}, 3, &st)
	if err != nil || store == nil || st.Step != 0 {
		t.Fatalf("without a checkpoint: store %v, state %+v, error %v", store, st, err)
	}
	if err := checkpoint.Save(path, store, state{Step: 7}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Start(Env{Checkpoint: path}, 3, &st); err != nil || st.Step != 7 {
		t.Errorf("with a checkpoint: state %+v, error %v, want step 7", st, err)
	}
}

// TestCacheLoadsOnce checks that a value is loaded once per key and that an error is not kept.
func TestCacheLoadsOnce(t *testing.T) {
	var c Cache[string, int]
	calls := 0
	fail := true
	load := func(k string) (int, error) {
		calls++
		if fail {
			return 0, errors.New("unreadable")
		}
		return len(k), nil
	}
	if _, err := c.Get("abc", load); err == nil {
		t.Fatal("the load's error was not returned")
	}
	fail = false
	for range 3 {
		if v, err := c.Get("abc", load); err != nil || v != 3 {
			t.Fatalf("Get = %v, %v", v, err)
		}
	}
	if calls != 2 {
		t.Errorf("%d loads, want 2 (the failed one and one more)", calls)
	}
}
