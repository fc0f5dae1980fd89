package reinmax

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Latent says how the logits given to a score-function estimator parameterise the discrete variables.
type Latent int

const (
	// Bernoulli variables: logits α of shape (..., L), one per binary variable, P(b_l = 1) = σ(α_l). Samples
	// b ∈ {0, 1} have the shape of the logits, and ∂ log q(b)/∂α = b − σ(α).
	Bernoulli Latent = iota
	// OneHotCategorical variables: logits θ of shape (..., L, C), D_l ~ Cat(softmax(θ_l)). Samples are one-hot with
	// the shape of the logits, and ∂ log q(D)/∂θ = D − softmax(θ).
	OneHotCategorical
)

// String returns "bernoulli" or "categorical".
func (l Latent) String() string {
	switch l {
	case Bernoulli:
		return "bernoulli"
	case OneHotCategorical:
		return "categorical"
	}
	return fmt.Sprintf("Latent(%d)", int(l))
}

// latentAxes is the number of trailing axes of the logits that index the variables: 1 (L) or 2 (L, C).
func (l Latent) latentAxes() int {
	if l == OneHotCategorical {
		return 2
	}
	return 1
}

// Loss is the function f whose expectation E_q f a score-function estimator differentiates.
//
// Its argument holds samples with a leading axis of K samples followed by the shape of the logits, (K, ..., L) for
// Bernoulli variables or (K, ..., L, C) for one-hot categorical ones; the axes "..." are the batch axes of the logits
// (one independent example per index). It returns the K per-sample losses of every example, shape (K, ...), in the
// dtype of the logits. The loss of example i must depend on the samples of example i only (no batch normalisation
// across examples).
//
// f may use parameters of its own (a decoder) and may use the logits directly (the −log q term of an ELBO): both
// receive their usual pathwise gradient, averaged over the evaluations, through the estimator's surrogate. The samples
// carry no gradient to the logits; the estimator supplies that part.
//
// Double CV and RODEO also differentiate f with respect to its samples (they use ∂f/∂b at the sampled points), and
// RELAX evaluates f at relaxed samples in (0, 1) and differentiates it twice. f must then be a smooth graph function
// of the samples: for example, a decoder that multiplies them by a weight matrix, not one that gathers rows by index.
// For RELAX, f must also not slice its samples (SliceAxis): the gradient of a slice is a Pad, which GoMLX v0.28.2
// cannot differentiate again, and building the graph fails with "no gradient is defined" for Pad.
//
// Exact calls f once on all joint outcomes with size-1 batch axes, shape (N, 1, ..., 1, L[, C]); f must broadcast them
// against its per-example data and return shape (N, ...) or (N, 1, ..., 1).
type Loss func(samples *Node) *Node

// ScoreFunction is an estimator of the score-function family: it evaluates the loss f on samples of the discrete
// variables and estimates ∂ E_q f / ∂ logits from the values (REINFORCE and its variance-reduced descendants), or
// computes it exactly by enumeration (Exact). The estimators (registry name, type, K = evaluations of f per example,
// variables, state):
//
//	reinforce           Reinforce          K >= 1          Bernoulli, categorical
//	reinforce-baseline  ReinforceBaseline  K >= 1          Bernoulli, categorical   moving average of f
//	rloo                RLOO               K >= 2          Bernoulli, categorical
//	arms                ARMS               K >= 2          Bernoulli
//	disarm              DisARM             K >= 2, even    Bernoulli                K/2 antithetic pairs
//	relax               RELAX              K = 3, 6, ...   Bernoulli                learned control variate (2nd order)
//	double-cv           DoubleCV           K >= 2          Bernoulli                learned coefficient, uses ∂f/∂b
//	rodeo               RODEO              K >= 2          Bernoulli                learned Stein control variates, ∂f/∂b
//	indecater           IndeCateR          K·L·C, K >= 1   Bernoulli, categorical   every outcome of each variable in turn
//	exact               Exact              every outcome   Bernoulli, categorical   at most MaxExactOutcomes outcomes
//
// All but Exact are unbiased for any f (Exact is the expectation itself).
//
// Estimate returns a surrogate of the shape of the logits' batch axes whose value is the Monte-Carlo estimate of
// E_q f for every example (the mean of f over the evaluations at samples of q) and whose gradient with respect to
// the logits is the estimator; its gradient with respect to f's own parameters is their pathwise gradient averaged
// over those samples. Minimise, for example, ReduceAllMean(surrogate) with any optimiser. The value does not depend
// on the estimator's control variates.
//
// scope holds the estimator's own state: the moving average of REINFORCE's baseline and the learned control variates
// of RELAX, Double CV and RODEO. Their state lives in the sub-scope named after the estimator (scope.In(Name())), is
// stored as non-trainable variables, so that the model's optimiser leaves it alone, and is updated by the estimator
// itself: Estimate adds to the graph one Adam step that minimises the squared norm of the estimate, the estimator's
// variance up to a term that the control variate cannot change (Grathwohl et al. 2018, eq. 5). Run the graph with
// a model.Exec, whose variable updates persist between executions, and the control variate trains alongside the
// model. Stateless estimators accept a nil scope; the others panic when it is nil. Two latent layers trained with
// the same estimator need different scopes (scope.In("layer1"), ...).
//
// Estimate builds a graph: it panics, with an error that names the estimator and the problem, when K is out of range
// for the estimator, when the logits are not float, when the latent kind is not supported by the estimator, or when
// f returns a tensor of the wrong shape or dtype. The panic value is an error, which model.Exec and graph.Exec return
// as their error. NaN or infinite losses are not checked at run time: they make the surrogate and the gradient of the
// affected examples NaN (and, through the leave-one-out baselines, every sample of that example), while the moving
// average and the learned control variates skip the update of that step. EstimateChecked counts them.
type ScoreFunction interface {
	// Name returns the estimator's registry name, for example "rloo".
	Name() string
	// Evaluations returns K, the number of samples at which f is evaluated for every example; 0 for Exact, which
	// evaluates it at every joint outcome.
	Evaluations() int
	// Estimate returns the surrogate described above.
	Estimate(scope *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node
}

// EstimateChecked is e.Estimate that also returns nonFinite, a scalar Int32 node that counts the loss values returned
// by f that are NaN or ±Inf. Return it from the graph and pass it to CheckLosses after every execution: the check
// costs one reduction over the K losses of every example.
func EstimateChecked(e ScoreFunction, scope *model.Scope, src Source, latent Latent, logits *Node, f Loss) (surrogate, nonFinite *Node) {
	var losses []*Node
	checked := func(samples *Node) *Node {
		y := f(samples)
		losses = append(losses, y)
		return y
	}
	surrogate = e.Estimate(scope, src, latent, logits, checked)
	nonFinite = Scalar(logits.Graph(), dtypes.Int32, 0)
	for _, y := range losses {
		bad := ConvertDType(LogicalNot(IsFinite(StopGradient(y))), dtypes.Int32)
		nonFinite = Add(nonFinite, ReduceAllSum(bad))
	}
	return surrogate, nonFinite
}

// CheckLosses returns nil when nonFinite is 0, and otherwise an error that names the estimator and the count.
func CheckLosses(name string, nonFinite int) error {
	if nonFinite == 0 {
		return nil
	}
	return fmt.Errorf("reinmax: %s: %d loss values were NaN or ±Inf", name, nonFinite)
}

// sfInput holds the validated input of an Estimate call.
type sfInput struct {
	name   string
	latent Latent
	logits *Node // finite(logits): the surrogate's gradient goes to these
	alpha  *Node // StopGradient of logits
	batch  []int // the batch dimensions of the logits
}

// newInput validates logits for the estimator name and latent kind; binaryOnly estimators reject categorical input.
func newInput(name string, latent Latent, logits *Node, binaryOnly bool) sfInput {
	if logits == nil {
		panic(fmt.Errorf("reinmax: %s: logits are nil", name))
	}
	if !logits.DType().IsFloat() {
		panic(fmt.Errorf("reinmax: %s: logits must be float32 or float64, got %s", name, logits.DType()))
	}
	switch latent {
	case Bernoulli:
		if logits.Rank() < 1 {
			panic(fmt.Errorf("reinmax: %s: Bernoulli logits need a last axis of variables (..., L), got shape %s", name, logits.Shape()))
		}
	case OneHotCategorical:
		if binaryOnly {
			panic(fmt.Errorf("reinmax: %s: supports Bernoulli variables only (logits (..., L)), got %s logits of shape %s",
				name, latent, logits.Shape()))
		}
		if logits.Rank() < 2 || numCategories(logits) < 2 {
			panic(fmt.Errorf("reinmax: %s: categorical logits need shape (..., L, C) with C >= 2, got %s", name, logits.Shape()))
		}
	default:
		panic(fmt.Errorf("reinmax: %s: unknown latent kind %d", name, int(latent)))
	}
	in := sfInput{name: name, latent: latent, logits: logits}
	if latent == OneHotCategorical {
		in.logits = finite(logits)
	}
	in.alpha = StopGradient(in.logits)
	in.batch = slices.Clone(logits.Shape().Dimensions[:logits.Rank()-latent.latentAxes()])
	return in
}

// probs returns σ(α) or softmax(θ) over the last axis, without gradient.
func (in sfInput) probs() *Node {
	if in.latent == OneHotCategorical {
		return Softmax(in.alpha, -1)
	}
	return Sigmoid(in.alpha)
}

// sampleShape returns the shape (k, logits...) in the dtype of the logits.
func (in sfInput) sampleShape(k int) shapes.Shape {
	return shapes.Make(in.alpha.DType(), append([]int{k}, in.alpha.Shape().Dimensions...)...)
}

// samples draws k independent samples of q, shape (k, logits...), without gradient.
func (in sfInput) samples(src Source, k int) *Node {
	g := in.alpha.Graph()
	kShape := in.sampleShape(k)
	if in.latent == OneHotCategorical {
		return StopGradient(oneHotArgMax(Add(InsertAxes(in.alpha, 0), gumbel(src, g, kShape))))
	}
	u := src.Uniform(g, kShape)
	return bernoulliBelow(u, Sigmoid(in.alpha))
}

// bernoulliBelow returns 1[u < θ] in the dtype of u, without gradient; θ may lack u's leading axes.
func bernoulliBelow(u, theta *Node) *Node {
	return StopGradient(ConvertDType(LessThan(u, ExpandLeftToRank(theta, u.Rank())), u.DType()))
}

// score returns ∂ log q(samples)/∂logits = samples − probs for samples of shape (K, logits...).
func (in sfInput) score(samples *Node) *Node {
	return Sub(samples, InsertAxes(in.probs(), 0))
}

// eval calls f on samples (leading axis k) and checks that it returns shape (k, batch...).
func (in sfInput) eval(f Loss, samples *Node, k int) *Node {
	y := f(samples)
	want := append([]int{k}, in.batch...)
	if y == nil || !slices.Equal(y.Shape().Dimensions, want) || y.DType() != in.alpha.DType() {
		got := "nil"
		if y != nil {
			got = y.Shape().String()
		}
		panic(fmt.Errorf("reinmax: %s: the loss f must return one %s value per sample and example, shape %v, got %s",
			in.name, in.alpha.DType(), want, got))
	}
	return y
}

// perVariable inserts the latent axes into per-sample values of shape (K, batch...), so that they broadcast against
// samples of shape (K, batch..., L[, C]).
func (in sfInput) perVariable(x *Node) *Node {
	axes := make([]int, in.latent.latentAxes())
	for i := range axes {
		axes[i] = -1
	}
	return InsertAxes(x, axes...)
}

// surrogate returns value + ⟨sg(ĝ), logits − sg(logits)⟩ summed over the latent axes: its value is value (shape
// batch), its gradient with respect to the logits is ĝ (shape of the logits) and its gradient with respect to
// anything value depends on is unchanged.
func (in sfInput) surrogate(value, ghat *Node) *Node {
	n := in.logits.Rank()
	axes := []int{n - 1}
	if in.latent == OneHotCategorical {
		axes = []int{n - 2, n - 1}
	}
	zero := Sub(in.logits, StopGradient(in.logits))
	return Add(value, ReduceSum(Mul(StopGradient(ghat), zero), axes...))
}

// leaveOneOutMean returns, for every k, the mean of x over the other K−1 entries of axis 0.
func leaveOneOutMean(x *Node) *Node {
	k := x.Shape().Dimensions[0]
	return DivScalar(Sub(ReduceAndKeep(x, ReduceSum, 0), x), float64(k-1))
}

// gradientLeaf returns a node with the value of x from which Gradient can be taken (Gradient with respect to a
// StopGradient node is zero) and through which no gradient reaches x.
func gradientLeaf(x *Node) *Node {
	return Identity(StopGradient(x))
}

// checkK returns an error naming the estimator unless k >= min and k is a multiple of step.
func checkK(name string, k, min, step int, what string) error {
	if k < min || k%step != 0 {
		return fmt.Errorf("reinmax: %s: K = %d, want %s", name, k, what)
	}
	return nil
}

// mustScope panics unless the stateful estimator name received a scope.
func mustScope(name string, scope *model.Scope) {
	if scope == nil {
		panic(fmt.Errorf("reinmax: %s: Estimate needs a model scope for its learned state, got nil", name))
	}
}

// Adam's constants for the control-variate updates (Kingma & Ba 2015, the defaults of the paper).
const (
	adamBeta1   = 0.9
	adamBeta2   = 0.999
	adamEpsilon = 1e-8
)

// learned holds the parameters of a learned control variate: non-trainable variables in the estimator's sub-scope
// that the estimator updates itself with Adam.
type learned struct {
	scope  *model.Scope
	g      *Graph
	dtype  dtypes.DType
	vars   []*model.Variable
	values []*Node
}

// newLearned returns the parameter set of estimator name, stored in scope.In(name).
func newLearned(name string, scope *model.Scope, g *Graph, dtype dtypes.DType) *learned {
	mustScope(name, scope)
	return &learned{scope: scope.In("%s", name), g: g, dtype: dtype}
}

func (c *learned) add(v *model.Variable) *Node {
	v.SetTrainable(false)
	x := v.NodeValue(c.g)
	c.vars = append(c.vars, v)
	c.values = append(c.values, x)
	return x
}

// scalar returns a scalar parameter initialised to init.
func (c *learned) scalar(name string, init float64) *Node {
	return c.add(c.scope.VariableWithValue(name, filled(c.dtype, init)))
}

// dense returns the weights (in × out, Glorot-uniform from the store's initialiser seed) and biases (zero) of a
// dense layer.
func (c *learned) dense(name string, in, out int) (w, b *Node) {
	s := c.scope.WithInitializer(initializer.GlorotUniformFn(c.scope))
	w = c.add(s.VariableWithShape(name+"_w", shapes.Make(c.dtype, in, out)))
	b = c.add(c.scope.VariableWithValue(name+"_b", filled(c.dtype, 0, out)))
	return w, b
}

// minimise adds to the graph one Adam step with learning rate lr on the parameters, down the gradient of the scalar
// objective. A step whose objective or gradients are not all finite leaves the parameters (and Adam's moments)
// unchanged.
func (c *learned) minimise(objective *Node, lr float64) {
	grads := Gradient(objective, c.values...)
	ok := LogicalAll(IsFinite(StopGradient(objective)))
	for _, gr := range grads {
		ok = LogicalAnd(ok, LogicalAll(IsFinite(gr)))
	}
	stepVar := c.scope.VariableWithValue("adam_step", filled(c.dtype, 0))
	stepVar.SetTrainable(false)
	step := AddScalar(stepVar.NodeValue(c.g), 1)
	stepVar.SetNodeValue(Where(ok, step, stepVar.NodeValue(c.g)))
	corr1 := OneMinus(Exp(MulScalar(step, math.Log(adamBeta1))))
	corr2 := OneMinus(Exp(MulScalar(step, math.Log(adamBeta2))))
	for i, v := range c.vars {
		gr := grads[i]
		mVar := c.scope.VariableWithValue(v.Name()+"_adam_m", filled(c.dtype, 0, v.Shape().Dimensions...))
		vVar := c.scope.VariableWithValue(v.Name()+"_adam_v", filled(c.dtype, 0, v.Shape().Dimensions...))
		mVar.SetTrainable(false)
		vVar.SetTrainable(false)
		m0, v0 := mVar.NodeValue(c.g), vVar.NodeValue(c.g)
		m := Add(MulScalar(m0, adamBeta1), MulScalar(gr, 1-adamBeta1))
		s := Add(MulScalar(v0, adamBeta2), MulScalar(Square(gr), 1-adamBeta2))
		delta := Div(Div(m, corr1), AddScalar(Sqrt(Div(s, corr2)), adamEpsilon))
		x := c.values[i]
		mVar.SetNodeValue(Where(ok, m, m0))
		vVar.SetNodeValue(Where(ok, s, v0))
		v.SetNodeValue(Where(ok, Sub(x, MulScalar(delta, lr)), x))
	}
}

// squaredNorm returns the mean over examples of ‖ĝ‖², the objective of the learned control variates.
func squaredNorm(in sfInput, ghat *Node) *Node {
	n := 1
	for _, d := range in.batch {
		n *= d
	}
	return DivScalar(ReduceAllSum(Square(ghat)), float64(n))
}

// filled returns a tensor of the given dtype and dimensions (a scalar when none) with every entry equal to x.
func filled(dtype dtypes.DType, x float64, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	if dtype == dtypes.Float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = x
		}
		if len(dims) == 0 {
			return tensors.FromScalar(x)
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(x)
	}
	if len(dims) == 0 {
		return tensors.FromScalar(float32(x))
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// mustSF panics with err (an error value, which GoMLX's executors turn into the error they return) while building a
// graph.
func mustSF(err error) {
	if err != nil {
		panic(err)
	}
}
