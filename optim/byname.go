package optim

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// WithGradients is an optimiser that can also apply gradients the caller computed (to log them, say): RAdam and
// GoMLX's Adam.
type WithGradients interface {
	optimizer.Interface
	// UpdateGraphWithGradients applies grads, in the order of scope.BuildTrainableVariablesGradientsGraph.
	UpdateGraphWithGradients(scope *model.Scope, grads []*Node, dtype dtypes.DType)
}

// New returns the optimiser called name ("adam" or "radam") with learning rate lr and PyTorch's defaults otherwise
// (β₁ = 0.9, β₂ = 0.999, ε = 1e-8), the settings of the paper's experiments.
func New(name string, lr float64) (WithGradients, error) {
	switch name {
	case "adam":
		if !(lr > 0) {
			return nil, fmt.Errorf("optim: adam: learning rate = %v, want > 0", lr)
		}
		return optimizer.Adam().LearningRate(lr).Betas(0.9, 0.999).Epsilon(1e-8).Done().(WithGradients), nil
	case "radam":
		o := NewRAdam(lr)
		if err := o.Validate(); err != nil {
			return nil, err
		}
		return o, nil
	}
	return nil, fmt.Errorf("optim: unknown optimiser %q (valid: adam, radam)", name)
}
