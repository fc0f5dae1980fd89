// Package listops is the paper's unsupervised-parsing experiment on ListOps (Table 1; reference section 3.5): a
// Gumbel Tree-LSTM (Choi et al. 2018) that must discover the parse tree of a nested list expression while learning
// to evaluate it. Every merge decision is a categorical sample whose gradient comes from a straight-through
// estimator.
//
// The model reads the token sequence x₁..x_n (parentheses removed) with word embeddings and a leaf LSTM, then
// builds a binary tree bottom-up in n−1 merge steps. At a step with m nodes (h_j, c_j) it composes every adjacent
// pair with the tree-LSTM cell
//
//	[i, f_l, f_r, u, o] = W [h_j; h_{j+1}] + b
//	c = c_j σ(f_l+1) + c_{j+1} σ(f_r+1) + tanh(u) σ(i),   h = σ(o) tanh(c)
//
// scores each candidate parent s_j = ⟨q, h⟩/√H with a learned query q, masks the positions beyond the sequence to
// −∞, and keeps one parent: sel ~ Cat(softmax(s)) from the estimator while training, sel = onehot(argmax s) at
// evaluation. The new sequence of m−1 nodes is
//
//	sel_j·parent_j + (1 − Σ_{k≤j} sel_k)·node_j + (Σ_{k≤j} sel_k − sel_j)·node_{j+1}
//
// and sequences that are already reduced to their root keep their state. An MLP on the root predicts the value
// (10 classes), with cross-entropy loss.
//
// The training and validation expressions come from the project's generator (data/listops), never from the
// official test split, which is kept out of them and used only for the final test accuracy.
//
// References: J. Choi, K. M. Yoo, S. Lee, "Learning to Compose Task-Specific Tree Structures", AAAI 2018;
// N. Nangia, S. R. Bowman, "ListOps: A Diagnostic Dataset for Latent Tree Learning", NAACL SRW 2018.
package listops // import "github.com/f60e9205/reinmax/experiments/listops"
