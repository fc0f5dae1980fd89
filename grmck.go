package reinmax

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
)

// GRMCK is the Gumbel-Rao estimator with K Monte-Carlo samples (GR-MCK) of Paulus, Maddison & Krause (2021): STGS
// Rao-Blackwellised over the Gumbel noise given the sample.
//
// With θ the logits, D ~ Cat(softmax(θ)) with category s, z_k = θ + G_k for K Gumbel vectors drawn conditionally on
// argmax z_k = s, g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D,  soft = softmax(θ)
//	backward: ∂L/∂θ = (1/K)·Σ_k (1/τ)·J(softmax(z_k/τ))·g_D + J(softmax(θ))·g_p
//
// Its expectation equals STGS's and its variance falls with K; the cost of the backward pass grows like K. The
// conditional Gumbels are computed in log space, so large logits cannot overflow. Tau must be positive and K at
// least 1; the zero value selects τ = 1 and K = 100 (the default of the original code).
//
// Reference: M. B. Paulus, C. J. Maddison, A. Krause, "Rao-Blackwellizing the Straight-Through Gumbel-Softmax
// Gradient Estimator", ICLR 2021.
type GRMCK struct {
	Tau float64
	K   int
}

// Name implements StraightThrough.
func (GRMCK) Name() string { return "gr-mck" }

// Validate returns an error unless the parameters are in range.
func (e GRMCK) Validate() error {
	if err := checkTau("gr-mck", e.tau(), 0); err != nil {
		return err
	}
	if e.K < 0 {
		return fmt.Errorf("reinmax: gr-mck: K = %d, want K >= 1", e.K)
	}
	return nil
}

func (e GRMCK) tau() float64 { return orDefault(e.Tau, 1) }
func (e GRMCK) k() int       { return orDefault(e.K, 100) }

// Sample implements StraightThrough.
func (e GRMCK) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits("gr-mck", logits)
	return e.Given(src, logits, Categorical(src, logits))
}

// Given implements StraightThrough.
func (e GRMCK) Given(src Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits("gr-mck", logits)
	checkOneHot("gr-mck", logits, onehot)
	must(e.Validate())
	theta := finite(logits)
	z := conditionalGumbel(src, theta, onehot, e.k())
	return relaxedJacobian(theta, onehot, z, e.tau()), Softmax(logits, -1)
}
