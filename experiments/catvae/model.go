package catvae

import (
	"errors"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/nn"
)

// Pixels is the number of pixels of an MNIST image.
const Pixels = 28 * 28

// vae builds the model's graph for one configuration, with an estimator of the straight-through family or the exact
// gradient.
type vae struct {
	cfg Config
	est reinmax.Estimator
}

// terms are the per-batch means of the two parts of the negative ELBO.
type terms struct {
	bce, kl *Node
}

func (t terms) loss() *Node { return Add(t.bce, t.kl) }

func (m vae) act(x *Node) *Node {
	if m.cfg.LeakyReLU {
		return activation.LeakyReluWith(x, 0.01) // torch.nn.LeakyReLU's default slope, as the paper's script uses
	}
	return nn.ReLU(x)
}

// encode returns the logits θ of shape (B, L, C) for images x of shape (B, 784).
func (m vae) encode(scope *model.Scope, x *Node) *Node {
	h := m.act(nn.Dense(scope.In("enc1"), x, 512))
	h = m.act(nn.Dense(scope.In("enc2"), h, 256))
	logits := nn.Dense(scope.In("enc3"), h, m.cfg.Latents*m.cfg.Categories)
	return Reshape(logits, x.Shape().Dimensions[0], m.cfg.Latents, m.cfg.Categories)
}

// decode returns the Bernoulli logits of the pixels, shape (..., 784), for one-hot codes of shape (..., L·C).
func (m vae) decode(scope *model.Scope, z *Node) *Node {
	h := m.act(nn.Dense(scope.In("dec1"), z, 256))
	h = m.act(nn.Dense(scope.In("dec2"), h, 512))
	return nn.Dense(scope.In("dec3"), h, Pixels)
}

// negELBO draws one code per image with the estimator and returns the batch means of the reconstruction and KL
// terms. The sample is drawn from the scope's random number generator. With Exact, the reconstruction term is its
// exact expectation over all C^L codes and both encoder and decoder get exact gradients.
func (m vae) negELBO(scope *model.Scope, x *Node) terms {
	logits := m.encode(scope, x)
	b := x.Shape().Dimensions[0]
	lc := m.cfg.Latents * m.cfg.Categories
	soft := Softmax(logits, -1)
	var bce *Node
	switch m.est.Spec.Family {
	case reinmax.StraightThroughFamily:
		var hard *Node
		hard, soft = m.est.StraightThrough.Sample(reinmax.ScopeSource(scope), logits)
		bce = bernoulliNLL(x, m.decode(scope, Reshape(hard, b, lc)))
	case reinmax.ScoreFunctionFamily:
		// f(codes) for all N codes at once, shape (N, B): Σ_pixels softplus(o_n) − ⟨x_b, o_n⟩, one decoder pass
		// per code and a matrix product instead of an (N, B, 784) tensor.
		f := func(codes *Node) *Node {
			n := codes.Shape().Dimensions[0]
			out := m.decode(scope, Reshape(codes, n, lc))
			xo := DotGeneral(out, []int{1}, nil, x, []int{1}, nil)
			return Sub(InsertAxes(ReduceSum(Softplus(out), -1), 1), xo)
		}
		bce = ReduceAllMean(m.est.ScoreFunction.Estimate(nil, nil, reinmax.OneHotCategorical, logits, f))
	}
	return terms{bce: bce, kl: m.klUniform(m.sampleLaw(logits, soft))}
}

// sampleLaw returns the probabilities of the law the code is drawn from, whose KL to the prior makes the −ELBO a
// bound: softmax(θ/τ_f) for the decoupled estimators, whose sample is D ~ Cat(softmax(θ/τ_f)), and the estimator's
// soft = softmax(θ) for the others. (The KL of softmax(θ) beside a sample of softmax(θ/τ_f) is no bound: with τ_f < 1
// it is the smaller of the two, and training lowers it by flattening softmax(θ) while the sample stays sharp.)
func (m vae) sampleLaw(logits, soft *Node) *Node {
	if tf := m.cfg.TauForward; tf != 0 && tf != 1 {
		return Softmax(DivScalar(logits, tf), -1)
	}
	return soft
}

// bernoulliNLL is Σ_pixels BCE(sigmoid(out), x) averaged over the batch, in the stable form
// softplus(o) − x·o = max(o, 0) + log1p(e^{−|o|}) − x·o, with its gradient (σ(o) − x)/B in closed form, σ(o) taken from
// the same e^{−|o|}: the graph needs one exponential and one log1p per pixel, and none of the sign and selection
// passes of autodiff through GoMLX's Softplus.
func bernoulliNLL(x, out *Node) *Node {
	b := float64(x.Shape().Dimensions[0])
	g := out.Graph()
	zero, one := ScalarZero(g, out.DType()), ScalarOne(g, out.DType())
	e := Exp(Neg(Abs(out)))
	value := DivScalar(ReduceAllSum(Sub(Add(MaxScalar(out, 0), Log1p(e)), Mul(x, out))), b)
	sigma := Div(Where(GreaterOrEqual(out, zero), one, e), AddScalar(e, 1))
	return scalarWithGradient(value, out, func(v *Node) *Node {
		return Mul(Sub(sigma, x), DivScalar(v, b))
	})
}

// scalarWithGradient returns a node with the value of the scalar value (computed without gradient) through which the
// gradient v arriving from the loss reaches x as grad(v). The gradient is recorded by a custom gradient on the output
// and handed to one on an identity of x, which GoMLX's autodiff visits later (it goes in reverse order of creation);
// x is put on the output's path with a zero made by a selection, which costs no pass over x.
func scalarWithGradient(value, x *Node, grad func(v *Node) *Node) *Node {
	var recorded *Node
	xg := IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
		if recorded == nil {
			panic(errors.New("catvae: the loss gradient was not recorded before that of its input; GoMLX's autodiff order changed"))
		}
		v := recorded
		recorded = nil
		return grad(v)
	})
	g := x.Graph()
	specs := make([]SliceAxisSpec, x.Rank())
	for i := range specs {
		specs[i] = AxisRange(0, 1)
	}
	zero := Where(Const(g, false), Reshape(Slice(xg, specs...)), ScalarZero(g, x.DType()))
	return IdentityWithCustomGradient(Add(StopGradient(value), zero), func(_, v *Node) *Node {
		recorded = v
		return v
	})
}

// klUniform is Σ_l KL(q_l ‖ Uniform(C)) = Σ_l Σ_c q log q + L·log C averaged over the batch, with the paper's
// 1e-10 inside the logarithm.
func (m vae) klUniform(q *Node) *Node {
	b := float64(q.Shape().Dimensions[0])
	neg := DivScalar(ReduceAllSum(Mul(q, Log(AddScalar(q, 1e-10)))), b)
	return AddScalar(neg, float64(m.cfg.Latents)*math.Log(float64(m.cfg.Categories)))
}
