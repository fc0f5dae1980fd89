package listops

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
)

// Classes is the number of labels: the values 0..9 of an expression.
const Classes = 10

// treeLSTM builds the Gumbel Tree-LSTM's graph for one configuration.
type treeLSTM struct {
	cfg Config
	est reinmax.StraightThrough
}

// weights are the model's variables as nodes of one graph. Every merge step reuses the same composition weights and
// query: they are read from the store once per graph.
type weights struct {
	embed          *Node // (VocabSize, H)
	wih, whh, bLSM *Node // leaf LSTM: (H, 4H), (H, 4H), (4H); gates [i, f, u, o] as torch.nn.LSTMCell
	wComp, bComp   *Node // composition W (2H, 5H) and b + [0, 1, 1, 0, 0] (1, 1, 5H): gates [i, f_l, f_r, u, o]
	query          *Node // (H)
	wHid, bHid     *Node // classifier hidden layer (H, H), (H)
	wOut, bOut     *Node // classifier output (H, Classes), (Classes)
}

// param returns the value in graph g of the variable at path, which initParams created.
func param(scope *model.Scope, g *Graph, path string) *Node {
	v := scope.Store().GetVariable(path)
	if v == nil {
		panic(fmt.Sprintf("listops: variable %s does not exist: initParams must run before the graph is built", path))
	}
	return v.NodeValue(g)
}

func loadWeights(scope *model.Scope, g *Graph) weights {
	p := func(path string) *Node { return param(scope, g, path) }
	wComp := p(varCompW)
	hid := wComp.Shape().Dimensions[0] / 2
	return weights{
		embed: p(varEmbed),
		wih:   p(varLeafWih), whh: p(varLeafWhh), bLSM: p(varLeafBias),
		wComp: wComp,
		bComp: Add(ExpandLeftToRank(p(varCompB), 3), forgetOnes(g, hid)),
		query: p(varQuery),
		wHid:  p(varHidW), bHid: p(varHidB),
		wOut: p(varOutW), bOut: p(varOutB),
	}
}

// forward returns the class logits (B, Classes) for token ids (B, L) int32 padded with listopsdata.Pad and the
// lengths (B) int32 of the sequences (each in 1..L), and the merge chosen at every step: merges (B, L−1) int32,
// position merges[b, t] of the sequence of trees at step t, as listopsdata.MergeTree reads them (steps after a
// sequence is reduced hold 0). With train set, merges are sampled by the estimator and dropout is applied; without,
// merges are greedy and there is no dropout.
func (m treeLSTM) forward(scope *model.Scope, ids, lengths *Node, train bool) (logits, merges *Node) {
	w := loadWeights(scope, ids.Graph())
	root, merges := m.encode(scope, w, ids, lengths, train)
	return m.classify(scope, w, root, train), merges
}

// encode returns the root state h (B, H) of the tree built over each sequence, and the merges (see forward).
func (m treeLSTM) encode(scope *model.Scope, w weights, ids, lengths *Node, train bool) (root, merges *Node) {
	g := ids.Graph()
	b, l := ids.Shape().Dimensions[0], ids.Shape().Dimensions[1]
	if l < 2 {
		panic(fmt.Sprintf("listops: batch width %d: want at least 2 tokens", l))
	}
	x := DotGeneral(OneHot(ids, listopsdata.VocabSize, dtypes.Float32), []int{2}, nil, w.embed, []int{0}, nil)
	x = m.dropout(scope, x, train)
	h, c := leafLSTM(w, x)

	var picks []*Node
	for t := 0; t < l-1; t++ {
		pr := adjacent(h, c)
		hp, cp := compose(w.wComp, w.bComp, pr)
		var sel *Node
		if l-t-1 == 1 {
			sel = Ones(g, shapes.Make(dtypes.Float32, b, 1)) // one candidate left: no choice to make
		} else {
			logits := maskedScores(w.query, hp, lengths, t)
			if train {
				sel, _ = m.est.Sample(reinmax.ScopeSource(scope), logits)
			} else {
				sel = StopGradient(OneHot(ArgMax(logits, -1), l-t-1, dtypes.Float32))
			}
		}
		picks = append(picks, ConvertDType(ArgMax(StopGradient(sel), -1), dtypes.Int32))
		h, c = merge(pr, hp, cp, sel, active(lengths, t))
	}
	return Reshape(h, b, m.cfg.Hidden), Stack(picks, 1)
}

// leafLSTM runs an LSTM cell over the embeddings x (B, L, H) from a zero state and returns the hidden and cell
// states (B, L, H) at every position:
//
//	[i, f, u, o] = x_t W_ih + h_{t−1} W_hh + b,   c_t = σ(f) c_{t−1} + σ(i) tanh(u),   h_t = σ(o) tanh(c_t)
func leafLSTM(w weights, x *Node) (h, c *Node) {
	b, l := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	hid := w.whh.Shape().Dimensions[0]
	xw := Add(DotGeneral(x, []int{2}, nil, w.wih, []int{0}, nil), ExpandLeftToRank(w.bLSM, 3))
	ht := Zeros(x.Graph(), shapes.Make(x.DType(), b, hid))
	ct := ht
	hs := make([]*Node, l)
	cs := make([]*Node, l)
	for t := range l {
		gates := Add(Reshape(SliceAxis(xw, 1, AxisElem(t)), b, 4*hid), DotGeneral(ht, []int{1}, nil, w.whh, []int{0}, nil))
		p := Split(gates, 1, 4)
		ct = Add(Mul(sigmoidViaTanh(p[1]), ct), Mul(sigmoidViaTanh(p[0]), Tanh(p[2])))
		ht = Mul(sigmoidViaTanh(p[3]), Tanh(ct))
		hs[t], cs[t] = ht, ct
	}
	return Stack(hs, 1), Stack(cs, 1)
}

// pairs are the children of every adjacent pair of a sequence of m nodes: node j on the left, node j+1 on the right,
// each (B, m−1, H).
type pairs struct {
	hl, cl, hr, cr *Node
}

// adjacent returns the pairs of the nodes (h, c) of shape (B, m, H).
func adjacent(h, c *Node) pairs {
	m := h.Shape().Dimensions[1]
	left, right := AxisRange(0, m-1), AxisRange(1, m)
	return pairs{
		hl: SliceAxis(h, 1, left), cl: SliceAxis(c, 1, left),
		hr: SliceAxis(h, 1, right), cr: SliceAxis(c, 1, right),
	}
}

// forgetOnes returns the constant (1, 1, 5H) that adds the +1 of the forget gates f_l and f_r to the composition.
func forgetOnes(g *Graph, hid int) *Node {
	v := make([]float32, 5*hid)
	for i := hid; i < 3*hid; i++ {
		v[i] = 1
	}
	return Const(g, tensors.FromFlatDataAndDimensions(v, 1, 1, 5*hid))
}

// compose returns the tree-LSTM parents (B, m−1, H) of the adjacent pairs:
//
//	[i, f_l, f_r, u, o] = [h_l; h_r] W + b
//	c = c_l σ(f_l+1) + c_r σ(f_r+1) + tanh(u) σ(i),   h = σ(o) tanh(c)
//
// where bias holds b with the +1 of the forget gates. The pairs are concatenated so that each step makes one
// product (the pure-Go backend's cost per product is high for products this small).
func compose(w, bias *Node, pr pairs) (hp, cp *Node) {
	z := DotGeneral(Concatenate([]*Node{pr.hl, pr.hr}, 2), []int{2}, nil, w, []int{0}, nil)
	p := Split(Add(z, bias), 2, 5)
	cp = Add(Add(Mul(pr.cl, sigmoidViaTanh(p[1])), Mul(pr.cr, sigmoidViaTanh(p[2]))), Mul(Tanh(p[3]), sigmoidViaTanh(p[0])))
	hp = Mul(sigmoidViaTanh(p[4]), Tanh(cp))
	return hp, cp
}

// maskedScores returns the merge logits (B, m−1) of the candidate parents hp (B, m−1, H) at step t:
// s_j = ⟨q, hp_j⟩/√H, and −∞ where j is not a valid merge, j ≥ length − t − 1. A sequence already reduced to its
// root (length − t − 1 ≤ 0) keeps position 0 valid, so that no row is all −∞; its choice is discarded by merge.
func maskedScores(query, hp, lengths *Node, t int) *Node {
	hid := hp.Shape().Dimensions[2]
	s := DivScalar(DotGeneral(hp, []int{2}, nil, query, []int{0}, nil), math.Sqrt(float64(hid)))
	valid := candidates(lengths, t, hp.Shape().Dimensions[1])
	return Where(valid, s, Infinity(hp.Graph(), s.DType(), -1))
}

// candidates returns the (B, n) mask of the merge positions j that are valid at step t for sequences of the given
// lengths (B): j < max(length − t − 1, 1).
func candidates(lengths *Node, t, n int) *Node {
	b := lengths.Shape().Dimensions[0]
	pos := Iota(lengths.Graph(), shapes.Make(lengths.DType(), b, n), 1)
	limit := MaxScalar(AddScalar(lengths, float64(-t-1)), 1)
	return LessThan(pos, BroadcastToDims(InsertAxes(limit, 1), b, n))
}

// active returns the (B) mask of the sequences that still have a merge to make at step t: length − t − 1 > 0.
func active(lengths *Node, t int) *Node {
	return GreaterThan(lengths, Scalar(lengths.Graph(), lengths.DType(), t+1))
}

// merge returns the nodes (B, m−1, H) after a step over the sequence whose adjacent pairs are pr, given the
// candidate parents (hp, cp) of shape (B, m−1, H), the selection sel (B, m−1) (one-hot; its gradient is the
// estimator's) and the mask of active sequences (B):
//
//	new_j = sel_j·parent_j + (1 − cum_j)·node_j + (cum_j − sel_j)·node_{j+1},   cum_j = Σ_{k≤j} sel_k
//
// Inactive sequences keep nodes 0..m−2: their weights are taken as sel = 0, cum = 0, which makes new_j = node_j.
// The weights are built on (B, m−1) and broadcast over H by the products.
func merge(pr pairs, hp, cp, sel, act *Node) (h2, c2 *Node) {
	b := sel.Shape().Dimensions[0]
	sel = Mul(sel, Reshape(ConvertDType(act, sel.DType()), b, 1))
	cum := cumSum(sel)
	s, left, right := InsertAxes(sel, 2), InsertAxes(OneMinus(cum), 2), InsertAxes(Sub(cum, sel), 2)
	mix := func(p, l, r *Node) *Node { return Add(Add(Mul(s, p), Mul(left, l)), Mul(right, r)) }
	return mix(hp, pr.hl, pr.hr), mix(cp, pr.cl, pr.cr)
}

// cumSum returns the cumulative sum of x (B, n) along its last axis, as the product with the upper-triangular
// matrix of ones: a DotGeneral, whose gradient the pure-Go backend computes well (graph.CumSum's gradient needs a
// negative padding that it does not support).
func cumSum(x *Node) *Node {
	n := x.Shape().Dimensions[1]
	upper := GreaterOrEqual(Iota(x.Graph(), shapes.Make(dtypes.Int32, n, n), 1), Iota(x.Graph(), shapes.Make(dtypes.Int32, n, n), 0))
	return DotGeneral(x, []int{1}, nil, ConvertDType(upper, x.DType()), []int{0}, nil)
}

// classify is the reference's classifier on the root state (B, H): dropout, a ReLU layer of H units, dropout, and
// a linear layer to the class logits.
func (m treeLSTM) classify(scope *model.Scope, w weights, root *Node, train bool) *Node {
	x := m.dropout(scope, root, train)
	x = MaxScalar(Add(DotGeneral(x, []int{1}, nil, w.wHid, []int{0}, nil), ExpandLeftToRank(w.bHid, 2)), 0)
	x = m.dropout(scope, x, train)
	return Add(DotGeneral(x, []int{1}, nil, w.wOut, []int{0}, nil), ExpandLeftToRank(w.bOut, 2))
}

// dropout zeroes each entry of x with probability cfg.Dropout and scales the others by 1/(1−cfg.Dropout), during
// training only. The mask comes from the scope's random number generator.
func (m treeLSTM) dropout(scope *model.Scope, x *Node, train bool) *Node {
	p := m.cfg.Dropout
	if !train || p == 0 {
		return x
	}
	keep := GreaterOrEqual(scope.RandomUniform(x.Graph(), x.Shape()), Scalar(x.Graph(), x.DType(), p))
	return Where(keep, MulScalar(x, 1/(1-p)), ZerosLike(x))
}

// loss returns the weighted mean cross-entropy of the logits (B, Classes) against labels (B) int32 with weights (B)
// (1 for a real example, 0 for padding of a partial batch), the weighted sum of the per-example cross-entropy, and
// the weighted number of correct argmax predictions.
func loss(logits, labels, weights *Node) (mean, sum, correct *Node) {
	nll := Neg(ReduceSum(Mul(OneHot(labels, Classes, logits.DType()), LogSoftmax(logits, -1)), -1))
	sum = ReduceAllSum(Mul(nll, weights))
	mean = Div(sum, ReduceAllSum(weights))
	hit := ConvertDType(Equal(ConvertDType(ArgMax(logits, -1), dtypes.Int32), labels), logits.DType())
	return mean, sum, ReduceAllSum(Mul(hit, weights))
}

// sigmoidViaTanh returns σ(x) = ½·tanh(x/2) + ½. On the pure-Go backend this is cheaper than graph.Sigmoid, whose
// logistic function calls a float64 exponential per element behind a branch on the sign; tanh needs no
// exponential for |x/2| < 0.625.
func sigmoidViaTanh(x *Node) *Node {
	return AddScalar(MulScalar(Tanh(MulScalar(x, 0.5)), 0.5), 0.5)
}
