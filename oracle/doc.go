// Package oracle computes exact, plain float64 ground truth for discrete gradient estimators.
//
// It is the reference the estimators of package reinmax and the gradient lab are tested against, so it is
// written to be read next to the maths, not to be fast. It does not use GoMLX.
//
// # Notation
//
// theta holds the logits of L categorical variables with C categories each, row-major in a []float64 of
// length L*C: row l, theta[l*C:(l+1)*C], belongs to variable l, and pi_l = softmax(theta_l). A joint
// outcome D is L one-hot rows, stored either the same way (a []float64 of length L*C) or as the index
// vector d []int of length L with D_l = e_{d_l}. The softmax Jacobian at p is J(p) = diag(p) - p p^T; it is
// applied as
//
//	J(p) v = p⊙v - p <p, v>
//
// in O(C), without forming a C×C matrix (see JVP). A loss on the one-hot sample is a Func.
//
// # What is here
//
//   - Softmax, SoftmaxTau and JVP.
//   - Outcomes: enumeration of the C^L joint outcomes (at most MaxOutcomes), Prob and LogProb.
//   - Func and test functions with exact gradients: Quadratic, Cubic, RandomQuadratic, RandomCubic,
//     RandomSmooth.
//   - Expectation and ExactGradient: E_D f(D) and its gradient with respect to theta, by enumeration.
//   - The per-sample backward passes of the straight-through family: ST, ReinMax, ReinMaxAlpha (ReinMax
//     with a free mixing weight), GST (GST-1.0 and GST-p) and STGS (which is also GR-MCK when given
//     conditional Gumbel perturbations).
//   - GumbelMax and ConditionalGumbel, the samplers of perturbed logits, in log space.
//   - ExpectedGradient, Euler, Heun and Quadrature: the exact expectation over D of an estimator, and the
//     two-node rules that E[ST] (first order), E[ReinMax] (second order) and E[ReinMaxAlpha] equal at tau = 1.
//
// # Reference
//
// Liyuan Liu, Chengyu Dong, Xiaodong Liu, Bin Yu, Jianfeng Gao, "Bridging Discrete and Backpropagation:
// Straight-Through and Beyond", NeurIPS 2023, arXiv:2304.08612. The formulas follow sections 1.2-1.4, 2 and
// 6b of the project's shared/reference/reinmax-reference.md.
package oracle // import "github.com/f60e9205/reinmax/oracle"
