package vq_test

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax/vq"
)

// TestRefresh quantises a batch that uses only code 0 of four, with a refresh every 2 steps: the first step replaces
// nothing, the second replaces codes 1-3 by vectors of the batch and leaves code 0 as it was, the counts and the step
// counter start again, and a quantiser without refresh changes nothing.
func TestRefresh(t *testing.T) {
	t.Parallel()
	codebook := []float32{0, 0, 10, 10, -10, 10, 10, -10}
	batch := []float32{0.5, 0, 0, 0.5, -0.5, 0, 0.25, 0.25, 0, -0.5}
	for _, every := range []int{2, 0} {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(1); err != nil {
			t.Fatal(err)
		}
		scope := store.RootScope().In("vq")
		if _, err := scope.CreateVariable(vq.CodebookVariable, tensors.FromFlatDataAndDimensions(append([]float32(nil), codebook...), 4, 2)); err != nil {
			t.Fatal(err)
		}
		q := vq.Quantizer{Codes: 4, Dim: 2, Method: vq.STE, RefreshEvery: every}
		exec, err := model.NewExec(testBackend(t), store, func(root *model.Scope, z *Node) []*Node {
			s := root.In("vq")
			r := q.Apply(s, z)
			return []*Node{q.Refresh(s, z, r.Index), r.Index}
		})
		if err != nil {
			t.Fatal(err)
		}
		value := func(name string) []float64 {
			v := scope.GetVariable(name)
			if v == nil {
				return nil
			}
			tv, err := v.Value()
			if err != nil {
				t.Fatal(err)
			}
			return flat(t, tv)
		}
		for step := 1; step <= 3; step++ {
			out, err := exec.Exec(tensors.FromFlatDataAndDimensions(append([]float32(nil), batch...), 5, 2))
			if err != nil {
				t.Fatal(err)
			}
			replaced := flat(t, out[0])[0]
			cb := value(vq.CodebookVariable)
			wantReplaced := 0.0
			if every == 2 && step == 2 {
				wantReplaced = 3
			}
			if replaced != wantReplaced {
				t.Errorf("every %d, step %d: %v codes replaced, want %v", every, step, replaced, wantReplaced)
			}
			if cb[0] != 0 || cb[1] != 0 {
				t.Errorf("every %d, step %d: code 0, which the batch uses, became (%v, %v)", every, step, cb[0], cb[1])
			}
			for k := 1; k < 4; k++ {
				row := cb[2*k : 2*k+2]
				if every == 0 || step == 1 {
					if row[0] != float64(codebook[2*k]) || row[1] != float64(codebook[2*k+1]) {
						t.Errorf("every %d, step %d: code %d changed to %v", every, step, k, row)
					}
					continue
				}
				found := false
				for n := 0; n < 5; n++ {
					found = found || (row[0] == float64(batch[2*n]) && row[1] == float64(batch[2*n+1]))
				}
				if !found {
					t.Errorf("every %d, step %d: code %d = %v is not a vector of the batch", every, step, k, row)
				}
			}
			if every == 2 {
				counts, steps := value(vq.RefreshCountsVariable), value(vq.RefreshStepsVariable)
				wantSteps := float64(step % 2)
				var total float64
				for _, c := range counts {
					total += c
				}
				if steps[0] != wantSteps || total != 5*wantSteps {
					t.Errorf("step %d: counter %v and %v counts, want %v and %v", step, steps, total, wantSteps, 5*wantSteps)
				}
				if v := scope.GetVariable(vq.RefreshCountsVariable); v.Trainable {
					t.Error("the refresh counts are trainable")
				}
			}
		}
	}
}

// TestApplyInitialisesCodebook checks that Apply creates the codebook U(−1/K, 1/K) and quantises to its rows.
func TestApplyInitialisesCodebook(t *testing.T) {
	t.Parallel()
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	q := vq.Quantizer{Codes: 8, Dim: 3, Method: vq.Rotation, Beta: 0.25}
	out, err := model.ExecOnceN(testBackend(t), store, func(scope *model.Scope, z *Node) []*Node {
		return []*Node{q.Apply(scope, z).Quantized}
	}, normal(1, 4, 3, 1).tensor(dtypes.Float32))
	if err != nil {
		t.Fatal(err)
	}
	tv, err := store.RootScope().GetVariable(vq.CodebookVariable).Value()
	if err != nil {
		t.Fatal(err)
	}
	cb := flat(t, tv)
	var spread float64
	for _, v := range cb {
		if !(math.Abs(v) <= 1.0/8) {
			t.Fatalf("code element %v outside [-1/8, 1/8]", v)
		}
		spread = math.Max(spread, math.Abs(v))
	}
	if spread < 0.05 {
		t.Errorf("codes within %v of 0: not U(-1/8, 1/8)", spread)
	}
	quantized := flat(t, out[0])
	for n := 0; n < 4; n++ {
		found := false
		for k := 0; k < 8; k++ {
			found = found || (quantized[3*n] == cb[3*k] && quantized[3*n+1] == cb[3*k+1] && quantized[3*n+2] == cb[3*k+2])
		}
		if !found {
			t.Errorf("quantized vector %d = %v is not a code", n, quantized[3*n:3*n+3])
		}
	}
}
