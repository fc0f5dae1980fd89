// Package reinmax provides gradient estimators for networks that contain discrete random choices, as GoMLX graph
// functions: ReinMax (Liu et al., NeurIPS 2023) and every estimator it is compared with.
//
// Backpropagation cannot pass through a sample D ~ Cat(softmax(θ)); an estimator supplies the missing Jacobian.
// Straight-through is a first-order (forward Euler) approximation of the true gradient; ReinMax is a second-order
// (Heun) one at the same cost.
//
// # Straight-through family
//
// A StraightThrough estimator maps logits θ of shape (..., C) (categories on the last axis) to (hard, soft):
// hard is the sample, whose gradient is the estimator, and soft = π₀ = softmax(θ), whose gradient is exact.
// With J(p)v = p⊙v − p⟨p,v⟩, g_D = ∂L/∂hard and g_p = ∂L/∂soft, the gradient reaching θ is J(π₀)g_p plus:
//
//	estimator      hard                            gradient through hard                          τ
//	ST             D ~ Cat(π₀)                     (1/τ) J(softmax(θ/τ)) g_D                      > 0
//	STGS           onehot(argmax(θ+G)), G Gumbel   (1/τ) J(softmax((θ+G)/τ)) g_D                  > 0
//	GumbelSoftmax  y = softmax((θ+G)/τ) (relaxed)  (1/τ) J(y) g_D (exact gradient of y)           > 0
//	GST            D ~ Cat(π₀)                     (1/τ) J(softmax(θ'/τ)) g_D, θ' gapped logits   > 0
//	GRMCK          D ~ Cat(π₀)                     (1/K) Σ_k (1/τ) J(softmax((θ+G_k)/τ)) g_D,     > 0
//	                                               G_k Gumbels conditioned on argmax = D
//	ReinMax        D ~ Cat(π₀)                     2 J(π₁) g_D − ½ J(π₀) g_D,                     ≥ 1
//	                                               π₁ = (softmax(θ/τ) + D)/2
//	ReinMaxAlpha   D ~ Cat(π₀)                     J(P) g_D + β(D − P)⟨D − P, g_D⟩ − β J(π₀) g_D, ≥ 1
//	                                               P = softmax(θ/τ), β = 1/(2α); α = 1 is ReinMax
//	ReinMaxRao     D ~ Cat(π₀)                     2 (1/K) Σ_k (1/τ) J(softmax((θ+G_k)/τ)) g_D    > 0
//	                                               − ½ J(π₀) g_D, G_k conditioned on argmax = D
//	ReinMaxCV      onehot(argmax(θ+G₀))            ReinMax's + η [(1/K) Σ_k J_τ(θ+G_k) − J_τ(θ+G₀)] g_D ≥ 1
//	DecoupledST    D ~ Cat(softmax(θ/τ_f))         (1/τ) J(softmax(θ/τ)) g_D                      > 0
//	DecoupledSTGS  onehot(argmax(θ+τ_f G))         (1/τ) J(softmax((θ+τ_f G)/τ)) g_D              > 0
//
// Every backward pass is written in closed form with graph.IdentityWithCustomGradient. The sample is drawn at
// temperature 1 (except by the decoupled estimators, at τ_f); τ only shapes the surrogate. Categories with logit
// −Inf are never sampled and receive a zero, finite gradient. Randomness comes from a Source of uniforms on the open interval (0, 1): NewStateSource
// for an explicit RNG state, ScopeSource for a model.Scope's.
//
// # Binary variables
//
// ST, STGS, ReinMax, ReinMaxAlpha and the decoupled estimators also implement Binary, their Bernoulli form: one logit
// α per variable (shape (..., L), as a sigmoid layer gives), b ~ Bernoulli(σ(α)), the estimator of logits (α, 0) in
// scalar, element-wise form. NewBinary returns it by name.
//
// # Registry
//
// Estimators, Lookup, NewStraightThrough, NewBinary and NewScoreFunction give every estimator by name with its
// parameters (Params: τ, K, α, τ_f), for command-line tools and sweeps.
//
// # Reference
//
// L. Liu, C. Dong, X. Liu, B. Yu, J. Gao, "Bridging Discrete and Backpropagation: Straight-Through and Beyond",
// NeurIPS 2023, arXiv:2304.08612.
package reinmax // import "github.com/f60e9205/reinmax"
