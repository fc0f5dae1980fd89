package checkpoint

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// trainer returns a store and a step function for a tiny noisy regression trained with Adam, so that the
// weights, Adam's moments and the random number generator state all change at every step.
func trainer(t *testing.T) (*model.Store, func() float64) {
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(7); err != nil {
		t.Fatal(err)
	}
	opt := optimizer.Adam().LearningRate(0.1).Done()
	exec, err := model.NewExec(compute.MustNew(), store, func(scope *model.Scope, g *Graph) *Node {
		w := scope.VariableWithValue("w", []float32{0.5, -0.25, 1}).NodeValue(g)
		noise := scope.RandomUniform(g, shapes.Make(dtypes.Float32, 3))
		loss := ReduceAllSum(Square(Sub(w, noise)))
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	return store, func() float64 {
		out, err := exec.Exec()
		if err != nil {
			t.Fatal(err)
		}
		return float64(tensors.ToScalar[float32](out[0]))
	}
}

func TestResumeIsExact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.ckpt")
	type state struct{ Epoch int }

	store, step := trainer(t)
	for range 3 {
		step()
	}
	if err := Save(path, store, state{Epoch: 3}); err != nil {
		t.Fatal(err)
	}
	var want []float64
	for range 4 {
		want = append(want, step())
	}

	resumed, step2 := trainer(t)
	var st state
	if err := Load(path, resumed, &st); err != nil {
		t.Fatal(err)
	}
	if st.Epoch != 3 {
		t.Errorf("state: epoch %d, want 3", st.Epoch)
	}
	for i, w := range want {
		if got := step2(); got != w {
			t.Fatalf("step %d after resume: loss %v, uninterrupted run gives %v", i+1, got, w)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	store := model.NewStore()
	var st struct{}
	if err := Load(filepath.Join(dir, "missing.ckpt"), store, &st); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error %v, want fs.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.ckpt")
	if err := os.WriteFile(bad, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Load(bad, store, &st); err == nil || !strings.Contains(err.Error(), "bad.ckpt") {
		t.Errorf("corrupt file: error %v, want one naming the file", err)
	}
}
