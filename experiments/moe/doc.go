// Package moe is a small mixture-of-experts classifier on Fashion-MNIST and MNIST, trained with every routing
// method of package github.com/f60e9205/reinmax/moe, top-1 and top-2: a shared layer, one MoE layer of E two-layer
// ReLU experts with a residual connection, and a linear classifier; each image is one token of the MoE layer.
//
//	h = ReLU(W₀x + b₀),  θ = W_r h + b_r,  logits = W_c (h + Σ_e w_e(θ) f_e(h)) + b_c
//
// The loss is the mean cross-entropy plus the Switch Transformer's load-balancing loss times a small coefficient.
// Records every EvalEvery steps hold the training loss, the expert load (entropy and busiest share over the mean)
// and the dropped fraction since the previous record, the test accuracy and NLL with the deterministic router, and
// the wall time.
//
// RouterProblem puts a trained model's router in the gradient lab (package gradlab): the exact gradient of the
// expected loss with respect to the router logits of M test images, against which every routing method's
// gradient is measured.
package moe // import "github.com/f60e9205/reinmax/experiments/moe"
