package moe

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/moe"
	"github.com/f60e9205/reinmax/nn"
)

// Pixels is the number of pixels of an image.
const Pixels = 28 * 28

// Classes is the number of classes of both data sets.
const Classes = 10

// classifier builds the model's graph: a shared layer, one mixture-of-experts layer with a residual connection,
// and a linear classifier. Each image is one token of the MoE layer.
//
//	h = ReLU(W₀x + b₀)                      shared layer, Hidden units
//	θ = W_r h + b_r                          router logits over E experts
//	y = Σ_e w_e(θ) f_e(h),  f_e(h) = W₂ₑ ReLU(W₁ₑ h + b₁ₑ) + b₂ₑ   the routed experts (package moe)
//	logits = W_c (h + y) + b_c               classifier over 10 classes
type classifier struct {
	cfg    Config
	router moe.Router
}

// outputs are the nodes of one forward pass over a batch.
type outputs struct {
	logits, routerLogits *Node // (B, 10), (B, E)
	decision             moe.Decision
	h, experts           *Node // the shared features (B, H) and, from expertOutputs, every expert's output (E, B, H)
}

// forward runs the model on images x (B, 784); the router draws from the scope's random number generator.
func (m classifier) forward(scope *model.Scope, x *Node) outputs {
	h := activation.Relu(nn.Dense(scope.In("shared"), x, m.cfg.Hidden))
	theta := nn.Dense(scope.In("router"), h, m.cfg.Experts)
	y, d := m.router.Forward(reinmax.ScopeSource(scope), theta, h, m.experts(scope.In("experts")))
	logits := nn.Dense(scope.In("classifier"), Add(h, y), Classes)
	return outputs{logits: logits, routerLogits: theta, decision: d, h: h}
}

// experts returns the E experts, two-layer ReLU networks Hidden → ExpertHidden → Hidden evaluated at once with
// batched products; weights and biases are initialised U(−1/√in, 1/√in), as torch.nn.Linear does.
func (m classifier) experts(scope *model.Scope) moe.Experts {
	e, h, f := m.cfg.Experts, m.cfg.Hidden, m.cfg.ExpertHidden
	return func(x *Node) *Node {
		g := x.Graph()
		layer := func(name string, x *Node, in, out int) *Node {
			bound := 1 / math.Sqrt(float64(in))
			s := scope.In("%s", name).WithInitializer(initializer.RandomUniformFn(scope, -bound, bound))
			w := s.VariableWithShape("weights", shapes.Make(x.DType(), e, in, out)).NodeValue(g)
			b := s.VariableWithShape("biases", shapes.Make(x.DType(), e, 1, out)).NodeValue(g)
			return Add(DotGeneral(x, []int{2}, []int{0}, w, []int{1}, []int{0}), b) // (E, n, out)
		}
		return layer("layer2", activation.Relu(layer("layer1", x, h, f)), f, h)
	}
}

// expertOutputs returns every expert's output for every image, (E, B, H), with the variables of a scope that
// forward has built (the router problem of the lab needs them).
func (m classifier) expertOutputs(scope *model.Scope, h *Node) *Node {
	b := h.Shape().Dimensions[0]
	return m.experts(scope.Shared("experts"))(BroadcastToDims(InsertAxes(h, 0), m.cfg.Experts, b, m.cfg.Hidden))
}

// crossEntropy returns the cross-entropy of each row of logits (B, 10) against labels (B) int32, shape (B).
func crossEntropy(logits, labels *Node) *Node {
	onehot := OneHot(labels, Classes, logits.DType())
	return Neg(ReduceSum(Mul(onehot, LogSoftmax(logits, -1)), -1))
}
