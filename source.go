package reinmax

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Source supplies an estimator with uniform random numbers on the open interval (0, 1).
//
// The open interval matters: Gumbel noise is -log(-log u), which is infinite at u = 0 and at u = 1.
type Source interface {
	// Uniform returns a tensor of the given shape, filled with independent U(0, 1) draws, none equal to 0 or 1.
	Uniform(g *Graph, shape shapes.Shape) *Node
}

// StateSource draws from an explicit in-graph random number generator state (see graph.RNGStateFromSeed).
// Each call to Uniform advances State; read State after building the graph to carry the state forward.
type StateSource struct {
	State *Node
}

// NewStateSource returns a StateSource whose state is a graph constant derived from seed.
func NewStateSource(g *Graph, seed int64) *StateSource {
	return &StateSource{State: RNGStateFromSeedForGraph(g, seed)}
}

// Uniform implements Source.
func (s *StateSource) Uniform(g *Graph, shape shapes.Shape) *Node {
	var u *Node
	s.State, u = RandomUniform(s.State, shape)
	return openInterval(u)
}

// ScopeSource draws from the random number generator variable of a model scope, so that the state advances with
// every execution of the graph (the usual choice inside a model.Exec).
func ScopeSource(scope *model.Scope) Source {
	return scopeSource{scope}
}

type scopeSource struct{ scope *model.Scope }

func (s scopeSource) Uniform(g *Graph, shape shapes.Shape) *Node {
	return openInterval(s.scope.RandomUniform(g, shape))
}

// openInterval shifts GoMLX's uniforms, which lie in [0, 1) on a lattice of step 2⁻³² (float32) or 2⁻⁶⁴ (float64)
// near 0, by half that step, so that 0 is never returned. Values far from 0 move by less than an ulp or not at all;
// the largest stays below 1.
func openInterval(u *Node) *Node {
	halfStep := math.Ldexp(1, -33)
	if u.DType() == dtypes.Float64 {
		halfStep = math.Ldexp(1, -65)
	}
	return AddScalar(u, halfStep)
}

// gumbel returns standard Gumbel noise -log(-log u) of the given shape.
func gumbel(src Source, g *Graph, shape shapes.Shape) *Node {
	u := src.Uniform(g, shape)
	return Neg(Log(Neg(Log(u))))
}
