package optim

import (
	"errors"
	"fmt"
	"math"
	"path"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// RAdam is the rectified Adam optimiser of Liu et al. (2020), as torch.optim.RAdam implements it. At step t, for
// gradient g:
//
//	m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²,   m̂ = m/(1−β₁ᵗ)
//	ρ∞ = 2/(1−β₂) − 1,   ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ)
//	if ρₜ > 5:  θ ← θ − lr·rₜ·m̂·√(1−β₂ᵗ)/(√v + ε),   rₜ = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ))
//	else:       θ ← θ − lr·m̂   (the variance of the adaptive rate is not yet tractable: plain momentum)
//
// The zero value is invalid; use NewRAdam for PyTorch's defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8).
//
// Reference: L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao, J. Han, "On the Variance of the Adaptive Learning Rate
// and Beyond", ICLR 2020.
type RAdam struct {
	LearningRate float64
	Beta1, Beta2 float64
	Epsilon      float64
}

// NewRAdam returns RAdam with learning rate lr and PyTorch's defaults for the other parameters.
func NewRAdam(lr float64) RAdam {
	return RAdam{LearningRate: lr, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}
}

// Validate returns an error naming the first parameter out of range.
func (o RAdam) Validate() error {
	switch {
	case !(o.LearningRate > 0) || math.IsInf(o.LearningRate, 0):
		return fmt.Errorf("optim: radam: learning rate = %v, want a finite value > 0", o.LearningRate)
	case !(o.Beta1 >= 0 && o.Beta1 < 1):
		return fmt.Errorf("optim: radam: beta1 = %v, want 0 <= beta1 < 1", o.Beta1)
	case !(o.Beta2 > 0 && o.Beta2 < 1):
		return fmt.Errorf("optim: radam: beta2 = %v, want 0 < beta2 < 1", o.Beta2)
	case !(o.Epsilon > 0):
		return fmt.Errorf("optim: radam: epsilon = %v, want epsilon > 0", o.Epsilon)
	}
	return nil
}

// radamScope is the scope of RAdam's own variables (step counter and moments).
const radamScope = "radam"

// UpdateGraph implements optimizer.Interface: it adds one RAdam step on every trainable variable to the graph.
func (o RAdam) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	if !loss.Shape().IsScalar() {
		panic(fmt.Errorf("optim: radam: the loss must be a scalar, got shape %s", loss.Shape()))
	}
	o.UpdateGraphWithGradients(scope, scope.BuildTrainableVariablesGradientsGraph(loss), loss.DType())
}

// UpdateGraphWithGradients adds one RAdam step that applies grads, the gradients of the loss with respect to the
// trainable variables in the order of scope.BuildTrainableVariablesGradientsGraph, computed in dtype.
func (o RAdam) UpdateGraphWithGradients(scope *model.Scope, grads []*Node, dtype dtypes.DType) {
	if err := o.Validate(); err != nil {
		panic(err)
	}
	if len(grads) == 0 {
		panic(errors.New("optim: radam: no gradients: are there trainable variables?"))
	}
	g := grads[0].Graph()
	lr := optimizer.LearningRateVar(scope, dtype, o.LearningRate).NodeValue(g)
	_ = optimizer.IncrementGlobalStep(g, dtype)
	t := optimizer.IncrementCounter(scope.At(radamScope), g, "step", dtype)

	b1, b2 := Scalar(g, dtype, o.Beta1), Scalar(g, dtype, o.Beta2)
	b2t := Pow(b2, t)
	debias1 := Reciprocal(OneMinus(Pow(b1, t)))
	rhoInf := 2/(1-o.Beta2) - 1
	rho := Sub(Scalar(g, dtype, rhoInf), Div(MulScalar(Mul(t, b2t), 2), OneMinus(b2t)))
	// Rectification rₜ·√(1−β₂ᵗ), valid where ρₜ > 5; elsewhere the step is plain momentum.
	rectified := GreaterThan(rho, Scalar(g, dtype, 5))
	safeRho := Max(rho, Scalar(g, dtype, 5))
	r := Sqrt(DivScalar(Div(Mul(AddScalar(safeRho, -4), AddScalar(safeRho, -2)), safeRho),
		(rhoInf-4)*(rhoInf-2)/rhoInf))
	// Both branches of the step are m/(B·√v + C) for scalars B and C, so that each variable takes 12 element-wise
	// passes (the pure-Go backend runs one loop per operation): with A the step's scale,
	//   rectified:  A = lr·rₜ·√(1−β₂ᵗ)/(1−β₁ᵗ),  step = A·m/(√v + ε),  B = 1/A, C = ε/A
	//   momentum:   A = lr/(1−β₁ᵗ),             step = A·m,          B = 0,   C = 1/A
	scale := Reciprocal(Mul(Mul(lr, debias1), Where(rectified, Mul(r, Sqrt(OneMinus(b2t))), ScalarOne(g, dtype))))
	zero := ScalarZero(g, dtype)
	sqrtCoef := Where(rectified, scale, zero)
	offset := Where(rectified, MulScalar(scale, o.Epsilon), scale)

	i := 0
	for v := range scope.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		if i >= len(grads) {
			panic(errors.New("optim: radam: more trainable variables than gradients; were variables created after the loss?"))
		}
		o.update(scope, g, v, grads[i], OneMinus(b1), b2, OneMinus(b2), sqrtCoef, offset)
		i++
	}
	if i != len(grads) {
		panic(fmt.Errorf("optim: radam: %d gradients for %d trainable variables", len(grads), i))
	}
}

// update adds the step of variable v: m ← m + (1−β₁)(g − m), s ← β₂s + (1−β₂)g², θ ← θ − m/(B·√s + C).
func (o RAdam) update(scope *model.Scope, g *Graph, v *model.Variable, grad, oneMinusB1, b2, oneMinusB2, sqrtCoef, offset *Node) {
	dtype := oneMinusB1.DType()
	m1, m2 := moments(scope, v, dtype)
	if grad.DType() != dtype {
		grad = ConvertDType(grad, dtype)
	}
	mPrev := m1.NodeValue(g)
	m := Add(mPrev, Mul(Sub(grad, mPrev), oneMinusB1))
	s := Add(Mul(m2.NodeValue(g), b2), Mul(Square(grad), oneMinusB2))
	m1.SetNodeValue(m)
	m2.SetNodeValue(s)
	step := Div(m, Add(Mul(Sqrt(s), sqrtCoef), offset))
	value := v.NodeValue(g)
	if value.DType() != dtype {
		value = ConvertDType(value, dtype)
	}
	updated := Sub(value, step)
	if v.Shape().DType != dtype {
		updated = ConvertDType(updated, v.Shape().DType)
	}
	v.SetNodeValue(updated)
}

// moments returns RAdam's first and second moment variables of v, creating them at zero.
func moments(scope *model.Scope, v *model.Variable, dtype dtypes.DType) (m1, m2 *model.Variable) {
	shape := v.Shape().Clone()
	shape.DType = dtype
	s := scope.Store().Scope(path.Join("/", radamScope, v.Scope())).WithInitializer(initializer.Zero)
	m1 = s.VariableWithShape(v.Name()+"_1st_moment", shape).SetTrainable(false)
	m2 = s.VariableWithShape(v.Name()+"_2nd_moment", shape).SetTrainable(false)
	return m1, m2
}

// Clear implements optimizer.Interface: it deletes RAdam's step counter and moments.
func (o RAdam) Clear(scope *model.Scope) error {
	return scope.Store().DeleteVariablesInScope(path.Join("/", radamScope))
}
