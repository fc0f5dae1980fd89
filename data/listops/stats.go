package listops

import (
	"fmt"
	"strings"
)

// Stats summarises a set of examples, to compare generated data with the official split.
type Stats struct {
	N         int
	MeanLen   float64     // mean number of tokens, parentheses not counted
	MaxLen    int         // largest number of tokens
	MeanDepth float64     // mean Node.Depth
	MaxDepth  int         // largest Node.Depth
	Labels    [10]int     // examples per label
	Ops       [4]int      // operator nodes per operator: MIN, MAX, MED, SM
	Args      map[int]int // operator nodes per number of arguments
}

// Describe returns the statistics of examples.
func Describe(examples []Example) Stats {
	s := Stats{N: len(examples), Args: make(map[int]int)}
	var walk func(n *Node)
	walk = func(n *Node) {
		if len(n.Args) == 0 {
			return
		}
		s.Ops[n.Tok-OpMin]++
		s.Args[len(n.Args)]++
		for _, a := range n.Args {
			walk(a)
		}
	}
	lenSum, depthSum := 0, 0
	for _, e := range examples {
		l, d := len(e.Tokens), e.Expr.Depth()
		lenSum += l
		depthSum += d
		s.MaxLen = max(s.MaxLen, l)
		s.MaxDepth = max(s.MaxDepth, d)
		s.Labels[e.Label]++
		walk(e.Expr)
	}
	if s.N > 0 {
		s.MeanLen = float64(lenSum) / float64(s.N)
		s.MeanDepth = float64(depthSum) / float64(s.N)
	}
	return s
}

// String returns the statistics on one line.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "n=%d len mean %.2f max %d, depth mean %.2f max %d, labels %v, ops MIN/MAX/MED/SM %v, args",
		s.N, s.MeanLen, s.MaxLen, s.MeanDepth, s.MaxDepth, s.Labels, s.Ops)
	for k := range 64 {
		if c, ok := s.Args[k]; ok {
			fmt.Fprintf(&b, " %d:%d", k, c)
		}
	}
	return b.String()
}
