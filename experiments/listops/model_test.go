package listops

import (
	"math"
	"slices"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
)

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// TestCompose checks the tree-LSTM cell on H = 1, where [i, f_l, f_r, u, o] = h_l·W[0] + h_r·W[1] + b:
//
//	c = c_l σ(f_l+1) + c_r σ(f_r+1) + tanh(u) σ(i),   h = σ(o) tanh(c)
func TestCompose(t *testing.T) {
	for _, tc := range []struct {
		name           string
		w              [2][5]float64 // rows: left child, right child; columns: i, f_l, f_r, u, o
		b              [5]float64
		hl, cl, hr, cr float64
		wantH, wantC   float64
	}{
		// Zero weights: every gate is σ(0) = 1/2 or σ(1) and tanh(u) = 0, so c = (c_l + c_r)σ(1) and
		// h = tanh(c)/2; by hand (python3 math): σ(1) = 0.7310585786300049, c = 3σ(1) = 2.193175735890015,
		// tanh(c) = 0.9754138876000131, h = 0.48770694380000656.
		{name: "zero weights", hl: 0.3, cl: 1, hr: -0.2, cr: 2, wantC: 2.193175735890015, wantH: 0.48770694380000656},
		// Identity-like weights, written out with σ and tanh in the comment's formula (plain float64).
		{name: "weights", w: [2][5]float64{{1, -1, 0.5, 2, 0.3}, {-0.5, 0.25, 1, -1, 0.7}}, b: [5]float64{0.1, 0, -0.2, 0.05, 0},
			hl: 0.3, cl: 1, hr: -0.2, cr: 2, wantC: math.NaN()},
	} {
		if math.IsNaN(tc.wantC) { // the formula, evaluated in plain Go
			z := func(k int) float64 { return tc.hl*tc.w[0][k] + tc.hr*tc.w[1][k] + tc.b[k] }
			tc.wantC = tc.cl*sigmoid(z(1)+1) + tc.cr*sigmoid(z(2)+1) + math.Tanh(z(3))*sigmoid(z(0))
			tc.wantH = sigmoid(z(4)) * math.Tanh(tc.wantC)
		}
		w := make([]float32, 10)
		for r := range 2 {
			for k := range 5 {
				w[r*5+k] = float32(tc.w[r][k])
			}
		}
		bias := make([]float32, 5)
		for k := range bias {
			bias[k] = float32(tc.b[k])
		}
		out := MustExecOnceN(testutil.Backend(t), func(w, b, h, c *Node) []*Node {
			bias := Add(Reshape(b, 1, 1, 5), forgetOnes(w.Graph(), 1))
			hp, cp := compose(w, bias, adjacent(h, c))
			return []*Node{hp, cp}
		}, tensors.FromFlatDataAndDimensions(w, 2, 5), tensors.FromFlatDataAndDimensions(bias, 5),
			tensors.FromFlatDataAndDimensions([]float32{float32(tc.hl), float32(tc.hr)}, 1, 2, 1),
			tensors.FromFlatDataAndDimensions([]float32{float32(tc.cl), float32(tc.cr)}, 1, 2, 1))
		gotH, gotC := float64(tensors.MustCopyFlatData[float32](out[0])[0]), float64(tensors.MustCopyFlatData[float32](out[1])[0])
		if !(math.Abs(gotH-tc.wantH) <= 1e-6 && math.Abs(gotC-tc.wantC) <= 1e-6) {
			t.Errorf("%s: h, c = %v, %v, want %v, %v", tc.name, gotH, gotC, tc.wantH, tc.wantC)
		}
	}
}

// TestMerge checks the new sequence after a merge on H = 1: selecting position 1 of the nodes a b c d gives
// a parent(b,c) d; an inactive row keeps a b c.
func TestMerge(t *testing.T) {
	h := []float32{1, 2, 3, 4, 10, 20, 30, 40}
	c := []float32{-1, -2, -3, -4, -10, -20, -30, -40}
	hp := []float32{100, 200, 300, 1000, 2000, 3000}
	cp := []float32{-100, -200, -300, -1000, -2000, -3000}
	sel := []float32{0, 1, 0, 0, 1, 0}
	out := MustExecOnceN(testutil.Backend(t), func(h, c, hp, cp, sel, act *Node) []*Node {
		h2, c2 := merge(adjacent(h, c), hp, cp, sel, act)
		return []*Node{h2, c2}
	}, tensors.FromFlatDataAndDimensions(h, 2, 4, 1), tensors.FromFlatDataAndDimensions(c, 2, 4, 1),
		tensors.FromFlatDataAndDimensions(hp, 2, 3, 1), tensors.FromFlatDataAndDimensions(cp, 2, 3, 1),
		tensors.FromFlatDataAndDimensions(sel, 2, 3), tensors.FromFlatDataAndDimensions([]bool{true, false}, 2))
	gotH, gotC := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	wantH := []float32{1, 200, 4, 10, 20, 30}
	wantC := []float32{-1, -200, -4, -10, -20, -30}
	if !slices.Equal(gotH, wantH) || !slices.Equal(gotC, wantC) {
		t.Errorf("merge: h %v, c %v, want %v, %v", gotH, gotC, wantH, wantC)
	}
}

// parseExamples returns examples of the given expressions.
func parseExamples(t *testing.T, exprs ...string) []listopsdata.Example {
	t.Helper()
	var out []listopsdata.Example
	for _, s := range exprs {
		n, err := listopsdata.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, listopsdata.NewExample(n))
	}
	return out
}

// forwardFn runs the model's encoder on a padded batch and returns the root states and the merges.
func forwardFn(t *testing.T, est string, hidden int, train bool, ex []listopsdata.Example, width int) (roots []float32, merges []int32) {
	t.Helper()
	cfg, err := DefaultConfig(est)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hidden = hidden
	e, err := reinmax.NewStraightThrough(est, reinmax.Params{Tau: cfg.Tau})
	if err != nil {
		t.Fatal(err)
	}
	m := treeLSTM{cfg: cfg, est: e}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	if err := initParams(store, hidden, 5); err != nil {
		t.Fatal(err)
	}
	ids, lengths := listopsdata.PadIDs(ex, width)
	out, err := model.ExecOnceN(testutil.Backend(t), store, func(scope *model.Scope, ids, lengths *Node) []*Node {
		root, mg := m.encode(scope, loadWeights(scope, ids.Graph()), ids, lengths, train)
		return []*Node{root, mg}
	}, tensors.FromFlatDataAndDimensions(ids, len(ex), width), tensors.FromFlatDataAndDimensions(lengths, len(ex)))
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[int32](out[1])
}

// TestMergeStepsAndMasking checks, for sampled and greedy merges, that a sequence of n tokens padded to a wider
// batch takes n−1 merges that never select a padded position and build a binary tree over exactly its tokens
// (later steps hold 0), and that the greedy root states do not depend on the padding.
func TestMergeStepsAndMasking(t *testing.T) {
	ex := parseExamples(t, "[MAX 2 9 ]", "[MIN 3 [SM 4 5 ] 0 ]", "[MED 1 2 3 4 5 ]")
	const width, hidden = 12, 8
	for _, tc := range []struct {
		est   string
		train bool
	}{{"reinmax", false}, {"reinmax", true}, {"st", true}, {"stgs", true}, {"gr-mck", true}, {"gst-1.0", true}} {
		roots, merges := forwardFn(t, tc.est, hidden, tc.train, ex, width)
		if len(roots) != len(ex)*hidden || len(merges) != len(ex)*(width-1) {
			t.Fatalf("%s: %d root values and %d merges, want %d and %d", tc.est, len(roots), len(merges), len(ex)*hidden, len(ex)*(width-1))
		}
		for i, e := range ex {
			n := len(e.Tokens)
			row := merges[i*(width-1) : (i+1)*(width-1)]
			pos := make([]int, n-1)
			for t2 := range pos {
				pos[t2] = int(row[t2])
				if !(pos[t2] >= 0 && pos[t2] <= n-t2-2) {
					t.Errorf("%s train=%v: expression %d (%d tokens) merges at %d in step %d: outside 0..%d, a padded position",
						tc.est, tc.train, i, n, pos[t2], t2, n-t2-2)
				}
			}
			for t2 := n - 1; t2 < width-1; t2++ {
				if row[t2] != 0 {
					t.Errorf("%s: expression %d: step %d after the root holds %d, want 0", tc.est, i, t2, row[t2])
				}
			}
			tree, err := listopsdata.MergeTree(e.Tokens, pos)
			if err != nil {
				t.Errorf("%s: expression %d: %v", tc.est, i, err)
				continue
			}
			if !slices.Equal(tree.Tokens(), e.Tokens) || len(tree.Spans()) != n-1 {
				t.Errorf("%s: expression %d: tree %s is not a binary tree over %v", tc.est, i, tree, e.Tokens)
			}
		}
	}
	// The greedy root state of each expression alone, at its own width, equals its root in the padded batch (up to
	// float32 rounding: the states are of order 0.01).
	batch, _ := forwardFn(t, "reinmax", hidden, false, ex, width)
	for i, e := range ex {
		alone, _ := forwardFn(t, "reinmax", hidden, false, ex[i:i+1], len(e.Tokens))
		for k := range hidden {
			if got, want := batch[i*hidden+k], alone[k]; !(math.Abs(float64(got-want)) <= 1e-4*math.Abs(float64(want))+1e-8) {
				t.Errorf("expression %d: root component %d is %v padded to %d, %v alone", i, k, got, width, want)
			}
		}
	}
}

// TestMaskedScores checks that positions beyond a sequence are −∞ and that a finished sequence keeps position 0.
func TestMaskedScores(t *testing.T) {
	out := MustExecOnce(testutil.Backend(t), func(hp, lengths *Node) *Node {
		return maskedScores(Ones(hp.Graph(), shapes.Make(dtypes.Float32, 4)), hp, lengths, 2)
	}, tensors.FromFlatDataAndDimensions(make([]float32, 3*5*4), 3, 5, 4), tensors.FromFlatDataAndDimensions([]int32{8, 4, 2}, 3))
	got := tensors.MustCopyFlatData[float32](out)
	inf := float32(math.Inf(-1))
	// At step 2, lengths 8, 4, 2 leave 5, 1 and 0 (finished: position 0) valid merges.
	want := []float32{0, 0, 0, 0, 0, 0, inf, inf, inf, inf, 0, inf, inf, inf, inf}
	if !slices.Equal(got, want) {
		t.Errorf("masked scores %v, want %v", got, want)
	}
}

// queryGradient returns ∂loss/∂q of the training graph (sampled merges) on a fixed batch, for an estimator.
func queryGradient(t *testing.T, est string, ex []listopsdata.Example, width int) []float32 {
	t.Helper()
	cfg, err := DefaultConfig(est)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hidden = 8
	e, err := reinmax.NewStraightThrough(est, reinmax.Params{Tau: cfg.Tau})
	if err != nil {
		t.Fatal(err)
	}
	m := treeLSTM{cfg: cfg, est: e}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	if err := initParams(store, cfg.Hidden, 5); err != nil {
		t.Fatal(err)
	}
	b := batch{width: width}
	for i := range ex {
		b.idx = append(b.idx, i)
	}
	out, err := model.ExecOnceN(testutil.Backend(t), store, func(scope *model.Scope, in []*Node) []*Node {
		logits, _ := m.forward(scope, in[0], in[1], true)
		mean, _, _ := loss(logits, in[2], in[3])
		return Gradient(mean, param(scope, mean.Graph(), varQuery))
	}, b.tensors(ex, len(ex))...)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out[0])
}

// TestEstimatorGradientReachesQuery checks that the loss's gradient reaches the query vector, which only the
// merge decisions use, so that the tree is learned through the estimator; and that estimators differ there.
func TestEstimatorGradientReachesQuery(t *testing.T) {
	ex := parseExamples(t, "[MAX 2 9 ]", "[MIN 3 [SM 4 5 ] 0 ]", "[MED 1 2 3 4 5 ]", "[SM 1 [MAX 2 3 ] 4 5 ]")
	grads := map[string][]float32{}
	for _, est := range []string{"st", "reinmax"} {
		g := queryGradient(t, est, ex, 16)
		var norm float64
		for _, v := range g {
			norm += float64(v) * float64(v)
		}
		if !(norm > 0) || math.IsInf(norm, 0) {
			t.Errorf("%s: |∂loss/∂q|² = %v, want a finite value > 0", est, norm)
		}
		grads[est] = g
	}
	if slices.Equal(grads["st"], grads["reinmax"]) {
		t.Errorf("st and reinmax give the same query gradient %v", grads["st"])
	}
}
