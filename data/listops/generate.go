package listops

import (
	"fmt"
	"math/rand/v2"
)

// Generator draws ListOps expressions with the grammar of the original data generator
// (Nangia & Bowman 2018, make_data.py, MAX_DEPTH = 20, VALUE_P = 0.25, MAX_ARGS = 5):
//
//	node(d) = an operator, chosen uniformly among MIN, MAX, MED, SM, with k ~ U{MinArgs..MaxArgs}
//	          arguments node(d+1), ..., node(d+1)    with probability OpProb, if d < MaxDepth;
//	        = a digit, uniform on 0..9                otherwise.
//
// The root is node(1) conditioned on being an operator (the original draws the root like any
// other node, so 75% of its draws are lone digits, of which a set of unique expressions can hold
// at most ten; the official test split has one). Depth, counted as in Node.Depth, is therefore
// at most MaxDepth. Expressions with MaxTokens tokens or more are rejected (rejection sampling,
// so the result follows the grammar conditioned on the length), as are expressions already
// produced and those in Exclude: every expression of a call is unique.
//
// A zero field selects the reference value given in its comment.
type Generator struct {
	MinArgs   int     // least number of arguments of an operator, >= 1; 2
	MaxArgs   int     // largest number of arguments, >= MinArgs; 5
	OpProb    float64 // probability that an argument is an operator, in [0, 1); 0.25
	MaxDepth  int     // largest depth, >= 2; 20
	MaxTokens int     // keep expressions with fewer tokens (> 3); 100; negative: no limit

	// Exclude holds canonical strings (Node.String) of expressions never to produce, e.g.
	// Keys(test) so that no generated expression appears in the official test split.
	Exclude map[string]bool
}

// maxMisses bounds the consecutive rejected draws before Generate gives up: a grammar whose
// unique expressions are exhausted would otherwise loop for ever.
const maxMisses = 100_000

// streamID is the second word of the PCG state, fixed so that a seed alone names a data set.
const streamID = 0x6c6973746f7073 // "listops"

func (g Generator) withDefaults() (Generator, error) {
	if g.MinArgs == 0 {
		g.MinArgs = 2
	}
	if g.MaxArgs == 0 {
		g.MaxArgs = 5
	}
	if g.OpProb == 0 {
		g.OpProb = 0.25
	}
	if g.MaxDepth == 0 {
		g.MaxDepth = 20
	}
	if g.MaxTokens == 0 {
		g.MaxTokens = MaxTokens
	}
	switch {
	case g.MinArgs < 1 || g.MaxArgs < g.MinArgs:
		return g, fmt.Errorf("listops: generator arguments %d..%d: want 1 <= MinArgs <= MaxArgs", g.MinArgs, g.MaxArgs)
	case !(g.OpProb > 0 && g.OpProb < 1):
		return g, fmt.Errorf("listops: generator OpProb %v: want 0 < OpProb < 1", g.OpProb)
	case g.MaxDepth < 2:
		return g, fmt.Errorf("listops: generator MaxDepth %d: want >= 2", g.MaxDepth)
	case g.MaxTokens >= 0 && g.MaxTokens <= g.MinArgs+2:
		return g, fmt.Errorf("listops: generator MaxTokens %d: want > %d (the shortest expression has %d tokens)", g.MaxTokens, g.MinArgs+2, g.MinArgs+2)
	}
	return g, nil
}

// Generate returns n unique expressions drawn with the source rand.NewPCG(seed, streamID).
// The result is a function of the Generator and the seed, and the first k examples of
// Generate(n, seed) are Generate(k, seed). It fails on an invalid Generator, or when 100,000
// draws in a row are rejected (the grammar has run out of new expressions).
// It panics if n < 0.
func (g Generator) Generate(n int, seed uint64) ([]Example, error) {
	if n < 0 {
		panic(badGenSize)
	}
	g, err := g.withDefaults()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, streamID))
	seen := make(map[string]bool, n)
	out := make([]Example, 0, n)
	misses := 0
	for len(out) < n {
		expr := g.draw(rng)
		if expr != nil {
			key := expr.String()
			if !seen[key] && !g.Exclude[key] {
				seen[key] = true
				out = append(out, NewExample(expr))
				misses = 0
				continue
			}
		}
		misses++
		if misses >= maxMisses {
			return nil, fmt.Errorf("listops: generator found only %d of %d unique expressions (%d draws in a row rejected)", len(out), n, misses)
		}
	}
	return out, nil
}

// Split returns nTrain training and nValid validation expressions that are all distinct:
// Generate(nTrain+nValid, seed), the first nTrain for training and the rest for validation.
func (g Generator) Split(nTrain, nValid int, seed uint64) (train, valid []Example, err error) {
	if nTrain < 0 || nValid < 0 {
		panic(badGenSize)
	}
	ex, err := g.Generate(nTrain+nValid, seed)
	if err != nil {
		return nil, nil, err
	}
	return ex[:nTrain:nTrain], ex[nTrain:], nil
}

// draw returns one expression of the grammar, or nil if it reached MaxTokens tokens. Drawing
// stops as soon as the count is reached, which rejects exactly the same trees as filtering
// finished ones.
func (g Generator) draw(rng *rand.Rand) *Node {
	budget := g.MaxTokens - 1 // tokens still allowed
	if g.MaxTokens < 0 {
		budget = int(^uint(0) >> 1)
	}
	return g.op(rng, 1, &budget)
}

var ops = [4]Token{OpMin, OpMax, OpMed, OpSM}

func (g Generator) op(rng *rand.Rand, depth int, budget *int) *Node {
	*budget -= 2 // the operator and its closing bracket
	if *budget < 0 {
		return nil
	}
	k := g.MinArgs + rng.IntN(g.MaxArgs-g.MinArgs+1)
	n := &Node{Tok: ops[rng.IntN(len(ops))], Args: make([]*Node, k)}
	for i := range n.Args {
		if depth+1 < g.MaxDepth && rng.Float64() < g.OpProb {
			n.Args[i] = g.op(rng, depth+1, budget)
			if n.Args[i] == nil {
				return nil
			}
			continue
		}
		*budget--
		if *budget < 0 {
			return nil
		}
		n.Args[i] = &Node{Tok: Digit(rng.IntN(10))}
	}
	return n
}
