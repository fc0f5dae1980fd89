// Package moe routes the tokens of a mixture-of-experts layer, with the router's gradient supplied by a chosen
// method: the Switch Transformer's gate gradient, the straight-through estimators of package reinmax (ReinMax among
// them), SparseMixer v1 and v2, the dense-backward DenseMixer, and the fully dense mixture as the upper reference.
//
// # The routed output
//
// With router logits θ_t of token t over E experts, π_t = softmax(θ_t) and expert outputs f_e(x_t), every method
// chooses K ∈ {1, 2} experts per token and returns combine weights W (tokens × E): w_{t,e} is the gate of expert e
// when e is chosen and 0 otherwise, and the layer's output is
//
//	y_t = Σ_e w_{t,e} f_e(x_t).
//
// The gradient of W is the method: with G = ∂L/∂W (g_{t,e} = ⟨∂L/∂y_t, f_e(x_t)⟩), S the one-hot choice, J(p)v =
// p⊙v − p⟨p, v⟩ and π̃ SparseMixer's masked softmax (below), the gradient reaching θ_t is
//
//	method          choice                         forward w_{t,e}         ∂L/∂θ_t                          K     experts run
//	switch          top-K of θ                     S_e π_e                 J(π)(G⊙S)                        1, 2  chosen
//	densemixer      top-K of θ                     S_e π_e                 J(π) G                           1, 2  all
//	dense           every expert                   π_e                     J(π) G (exact)                   1     all
//	st, reinmax,    D ~ Cat(π) drawn by the        D_e π_e                 est(g_D = G⊙π) + J(π)(G⊙D)       1     all
//	  stgs, ...     estimator of package reinmax
//	sparsemixer     D ~ Cat(π̃)                     D_e π̃_e m, m ∈ {1, ½}   2 J(π̃)(G⊙D)                      1     chosen
//	sparsemixer-v2  D₁ ~ Cat(π̃¹), D₂ ~ Cat(π̃²)    Σ_j D_j π̃ʲ m_j,         Σ_j J(π̃ʲ)(G⊙D_j)                 1, 2  chosen
//	                                               m_j ∈ {1, ⅓}
//
// Switch ignores the choice: the router learns only through the gate that scales the chosen expert. DenseMixer
// keeps Switch's forward and gives the router the gradient of the dense mixture Σ_e π_e f_e, which needs every
// expert's output. The straight-through family treats the choice D as the discrete variable of a loss
// φ(D) = L(Σ_e D_e π_e f_e): its estimator supplies ∂/∂θ E_D φ through ∂φ/∂D_e = π_e g_e, and the gate term is
// exact given D; it too needs every expert's output (g_e for every e).
//
// # SparseMixer
//
// SparseMixer (Liu, Gao & Chen 2023) draws the expert from a masked softmax: experts whose logit lies far below the
// largest, (max θ − θ_e) > 2ε·max(|θ_e|, max θ) with the jitter ε (default 0.1), get π̃_e = 0 and are never drawn.
// For the loss ℓ(s) = L(s f_D) of the chosen expert along its gate, E_D[L(π_D f_D)] has the gradient
// Σ_i [ℓ_i(π_i) − ℓ_i(0)]·∂π_i/∂θ + Σ_i π_i ℓ_i'(π_i)·∂π_i/∂θ; version 1 approximates the first sum by the midpoint
// rule ℓ(π) − ℓ(0) ≈ π ℓ'(π/2), so that one expert's backward pass estimates both sums: the forward pass is run at
// half the gate (m = ½) and the gradient doubled. Because the half gate also changes what the experts learn, the
// midpoint is used for half of the draws that are not the argmax, and the first-order rule ℓ(π) − ℓ(0) ≈ π ℓ'(π)
// (m = 1, the gradient still doubled) for the others.
//
// Version 2 (GRIN, Liu et al. 2024) approximates the first sum alone, by Radau's rule
// ℓ(π) − ℓ(0) ≈ π (¼ ℓ'(π) + ¾ ℓ'(π/3)), exact when ℓ' is quadratic: a draw that is not the argmax runs at gate
// π̃/3 (m = ⅓) with probability ¾ and at the full gate otherwise, and its gradient is J(π̃)(G⊙D), undoubled. Its
// second expert is drawn the same way from the logits with the first expert removed, with a mask of its own.
// At inference both versions take the argmax at the full gate.
//
// The papers' text was not available to this package; the maths above is derived from the updates of the authors'
// published code (microsoft/SparseMixer, and GRIN's in Phi-3.5-MoE) and checked against it term by term.
//
// # Capacity
//
// Forward dispatches with static shapes, as the Switch Transformer does: each expert takes at most
// C = min(T, ⌈c·K·T/E⌉) of the T tokens, c the capacity factor; the first choices of all tokens are placed before
// any second choice, each in token order, and an assignment beyond C is dropped: its weight is multiplied by 0, so
// that it adds nothing to its token's output and g is 0 there; the experts not chosen keep theirs. Dropped
// assignments are counted exactly. Methods that run only the chosen experts gather their C tokens per expert; those
// that need every expert's output run every expert on every token.
//
// # References
//
// W. Fedus, B. Zoph, N. Shazeer, "Switch Transformers: Scaling to Trillion Parameter Models with Simple and
// Efficient Sparsity", JMLR 2022, arXiv:2101.03961.
// L. Liu, J. Gao, W. Chen, "Sparse Backpropagation for MoE Training", arXiv:2310.00811, 2023.
// L. Liu et al., "GRIN: GRadient-INformed MoE", arXiv:2409.12136, 2024.
// F. Yao et al., "DenseMixer: Improving MoE Post-Training with Precise Router Gradient", 2025.
package moe // import "github.com/f60e9205/reinmax/moe"
