package bervae

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/nn"
)

// Latents is the number of binary latent variables.
const Latents = 200

// hidden is the width of the hidden layers.
const hidden = 200

// leak is the negative slope of the LeakyReLU activations.
const leak = 0.3

// vae builds the model's graph for one configuration. est is a reinmax.StraightThrough or a reinmax.ScoreFunction.
type vae struct {
	cfg Config
	est reinmax.Estimator
}

func act(x *Node) *Node { return activation.LeakyReluWith(x, leak) }

// encode returns the Bernoulli logits α = 2a − 1, shape (B, 200), of q(z|x) for images x of shape (B, 784).
func (m vae) encode(scope *model.Scope, x *Node) *Node {
	scope = scope.At("encoder")
	h := act(nn.Dense(scope.In("layer1"), x, hidden))
	h = act(nn.Dense(scope.In("layer2"), h, hidden))
	a := nn.Dense(scope.In("layer3"), h, Latents)
	return AddScalar(MulScalar(a, 2), -1)
}

// decode returns the Bernoulli logits of the pixels, shape (..., 784), for codes z of shape (..., 200). It may be
// called several times in one graph (the estimators evaluate the decoder at several points); the weights are shared.
func (m vae) decode(scope *model.Scope, z *Node) *Node {
	scope = scope.At("decoder")
	h := act(nn.Dense(scope.In("layer1"), z, hidden))
	h = act(nn.Dense(scope.In("layer2"), h, hidden))
	return nn.Dense(scope.In("layer3"), h, Pixels)
}

// prior returns the learned prior logits π, shape (200,), initialised at 0.
func (m vae) prior(scope *model.Scope, g *Graph, dtype dtypes.DType) *Node {
	return scope.At("prior").WithInitializer(initializer.Zero).
		VariableWithShape("logits", shapes.Make(dtype, Latents)).NodeValue(g)
}

// reconstruction returns −log p(x|z) = Σ_pixels BCE(decoder(z), x) for codes z of shape (K, B, 200) and images x of
// shape (B, 784): shape (K, B).
func (m vae) reconstruction(scope *model.Scope, x, z *Node) *Node {
	out := m.decode(scope, z)
	return ReduceSum(Sub(Softplus(out), Mul(InsertAxes(x, 0), out)), -1)
}

// kl returns KL(q(z|x) ‖ p(z)) per image, shape (B), in closed form for independent Bernoulli variables with logits
// α (posterior) and π (prior): Σ_l σ(α)(log σ(α) − log σ(π)) + σ(−α)(log σ(−α) − log σ(−π)).
func kl(alpha, prior *Node) *Node {
	logSig := func(x *Node) *Node { return Neg(Softplus(Neg(x))) }
	p := ExpandLeftToRank(prior, alpha.Rank())
	q := Sigmoid(alpha)
	t1 := Mul(q, Sub(logSig(alpha), logSig(p)))
	t2 := Mul(OneMinus(q), Sub(logSig(Neg(alpha)), logSig(Neg(p))))
	return ReduceSum(Add(t1, t2), -1)
}

// negELBO returns, per image, the K-sample estimate (1/K)Σ_k −log p(x|z_k) + KL(q‖p), shape (B), whose gradient
// with respect to the encoder is the estimator's. The samples come from the scope's random number generator; the
// score-function estimators keep their state in the sub-scope "estimator".
func (m vae) negELBO(scope *model.Scope, x *Node) (loss, recon *Node) {
	alpha := m.encode(scope, x)
	src := reinmax.ScopeSource(scope)
	k := m.cfg.K
	switch {
	case m.cfg.Binary:
		dims := append([]int{k}, alpha.Shape().Dimensions...)
		z, _ := m.est.StraightThrough.(reinmax.Binary).SampleBinary(src, reinmax.Bernoulli, BroadcastToDims(InsertAxes(alpha, 0), dims...))
		recon = ReduceMean(m.reconstruction(scope, x, z), 0)
	case m.est.Spec.Family == reinmax.StraightThroughFamily:
		// The two-category logits [a, 1−a] of the reference, up to a common shift: [α, 0] has the same softmax.
		logits := Stack([]*Node{alpha, ZerosLike(alpha)}, -1)
		dims := append([]int{k}, logits.Shape().Dimensions...)
		hard, _ := m.est.StraightThrough.Sample(src, BroadcastToDims(InsertAxes(logits, 0), dims...))
		z := Squeeze(SliceAxis(hard, -1, AxisElem(0)), -1)
		recon = ReduceMean(m.reconstruction(scope, x, z), 0)
	default:
		f := func(z *Node) *Node { return m.reconstruction(scope, x, z) }
		recon = m.est.ScoreFunction.Estimate(scope.At("estimator"), src, reinmax.Bernoulli, alpha, f)
	}
	return Add(recon, kl(alpha, m.prior(scope, x.Graph(), x.DType()))), recon
}

// sampleBernoulli draws k samples z ~ Bernoulli(σ(α)), shape (k, α...), without gradient.
func sampleBernoulli(scope *model.Scope, alpha *Node, k int) *Node {
	dims := append([]int{k}, alpha.Shape().Dimensions...)
	u := reinmax.ScopeSource(scope).Uniform(alpha.Graph(), shapes.Make(alpha.DType(), dims...))
	return StopGradient(ConvertDType(LessThan(u, InsertAxes(Sigmoid(alpha), 0)), alpha.DType()))
}

// sampledNegELBO returns, per image, the single-sample −ELBO −log p(x|z) + KL(q‖p) with z ~ q(z|x), shape (B):
// the evaluation metric, independent of the estimator.
func (m vae) sampledNegELBO(scope *model.Scope, x *Node) *Node {
	alpha := m.encode(scope, x)
	z := sampleBernoulli(scope, alpha, 1)
	recon := Squeeze(m.reconstruction(scope, x, z), 0)
	return Add(recon, kl(alpha, m.prior(scope, x.Graph(), x.DType())))
}

// importanceBound returns, per image, −log (1/S) Σ_s p(x, z_s)/q(z_s|x) with S samples z_s ~ q(z|x), the
// S-sample importance-weighted upper bound on −log p(x) (Burda et al. 2016), shape (B).
func (m vae) importanceBound(scope *model.Scope, x *Node, samples int) *Node {
	alpha := m.encode(scope, x)
	prior := m.prior(scope, x.Graph(), x.DType())
	z := sampleBernoulli(scope, alpha, samples)
	logBernoulli := func(z, logits *Node) *Node { // Σ_l log p(z_l) for P(z_l = 1) = σ(logits_l)
		return ReduceSum(Neg(Softplus(Mul(OneMinus(MulScalar(z, 2)), logits))), -1)
	}
	logW := Sub(Add(Neg(m.reconstruction(scope, x, z)), logBernoulli(z, ExpandLeftToRank(prior, 3))),
		logBernoulli(z, InsertAxes(alpha, 0)))
	m0 := StopGradient(ReduceMax(logW, 0))
	lse := Add(m0, Log(ReduceMean(Exp(Sub(logW, InsertAxes(m0, 0))), 0)))
	return Neg(lse)
}
