// Package gradlab measures how good a gradient estimator is against the exact gradient.
//
// For a Problem, a loss f on the one-hot samples D of categorical variables with logits θ whose exact gradient
// g* = ∇θ E_D f(D) is known (by enumeration, see package oracle), Measure draws N estimates g_1..g_N of g* on the
// estimator's real GoMLX path and reports, with confidence intervals where they make sense:
//
//	relative bias          ‖E[g] − g*‖ / ‖g*‖
//	relative std           √(tr Cov[g]) / ‖g*‖
//	mean cosine            E[cos(g, g*)]
//	cosine of the mean     cos(E[g], g*)
//	mean squared error     E‖g − g*‖² = ‖E[g] − g*‖² + tr Cov[g]   (bias² + variance)
//
// The draws stream through Moments (Welford's update, merged batch-wise), so N = 10⁶ needs constant memory.
//
// # How the draws are made
//
// One graph execution draws a batch of n estimates: θ is broadcast to shape (n, dims...), the estimator samples
// every row independently, the problem's loss is evaluated per row in the graph, and the gradient of the sum over
// rows with respect to the broadcast logits holds, in row i, the i-th draw's estimate. Everything is float64.
//
// # Problems
//
// ProblemSpec names the built-in problems: a single categorical with a quadratic or a cubic loss, polynomial
// programming with a small number of variables, and the family f_h(D) = F(h·D) with F a small fixed tanh network,
// on which the relative bias of straight-through falls like O(h) and that of ReinMax at τ = 1 like O(h²) (Order,
// FitSlope). A problem defined elsewhere implements the Problem interface: the categorical VAE's
// catvae.EncoderProblem exposes its encoder logits at a checkpoint, its decoder loss per draw as a graph function,
// and the exact encoder gradient it computes by enumerating the C^L codes of each image (the paper's analysis).
//
// # Estimators
//
// Estimator adapts an estimator to the lab: a graph function that returns a scalar surrogate whose gradient is
// the estimate. FromStraightThrough adapts the straight-through family of package reinmax and FromScoreFunction
// the score-function family (on categorical variables). Lab, the sweep behind the command `reinmax gradlab`, runs
// by name the registered straight-through estimators, at every temperature (and reinmax-alpha at every mixing
// weight α), and the unbiased score-function ones for categorical variables (Names). On a Separable problem, a sum
// of independent per-example terms, score-function estimators weigh each example's score by its own term.
//
// # The estimator atlas
//
// A draw of a straight-through estimator costs one evaluation of the loss, one of a score-function estimator K or
// more (IndeCateR K·L·C): Result.Evals. At a budget of B evaluations per example, the average of B/Evals draws has
// the mean squared error bias² + Var·Evals/B (Result.MSEAt). Atlas names, per problem and budget, the estimators with
// the lowest one; WriteAtlasPlot draws the relative bias against the relative standard deviation per evaluation,
// √(Var·Evals)/‖g*‖, for every estimator of a problem.
//
// Reference: L. Liu, C. Dong, X. Liu, B. Yu, J. Gao, "Bridging Discrete and Backpropagation: Straight-Through and
// Beyond", NeurIPS 2023, arXiv:2304.08612 (section 3.3 of the project's reference gives the authors' diagnostic).
package gradlab // import "github.com/f60e9205/reinmax/gradlab"
