package listops

import (
	"slices"
	"strings"
)

// Node is a node of an expression tree: a digit leaf, or an operator applied to its arguments.
// Parse and Generator return well-formed trees; a hand-built Node must have a digit token and
// no arguments, or an operator token and at least one argument.
type Node struct {
	Tok  Token   // a digit token for a leaf, OpMin, OpMax, OpMed or OpSM for an operator
	Args []*Node // the arguments of an operator, in order; nil for a leaf
}

// Leaf returns the leaf node of the digit d. It panics unless 0 <= d <= 9.
func Leaf(d int) *Node { return &Node{Tok: Digit(d)} }

// Apply returns the node applying the operator op to args.
func Apply(op Token, args ...*Node) *Node { return &Node{Tok: op, Args: args} }

// Eval returns the value of the expression, a digit 0..9:
//
//	MIN(a) = min_i a_i,  MAX(a) = max_i a_i,  SM(a) = (sum_i a_i) mod 10,
//	MED(a) = a_(m)                            for an odd count k = 2m-1 (sorted a_(1) <= ... <= a_(k)),
//	MED(a) = floor((a_(m) + a_(m+1)) / 2)     for an even count k = 2m.
//
// The even-count median is what the original generator computes with Python's
// int(statistics.median(a)); it reproduces all 10,000 labels of the official test split, while
// the lower middle value, the upper middle value and rounding do not.
// Eval panics on a malformed node.
func (n *Node) Eval() int {
	if n.Tok.IsDigit() {
		return n.Tok.Value()
	}
	if !n.Tok.IsOp() || len(n.Args) == 0 {
		panic(badNode)
	}
	v := make([]int, len(n.Args))
	for i, a := range n.Args {
		v[i] = a.Eval()
	}
	switch n.Tok {
	case OpMin:
		return slices.Min(v)
	case OpMax:
		return slices.Max(v)
	case OpSM:
		s := 0
		for _, x := range v {
			s += x
		}
		return s % 10
	default: // OpMed
		slices.Sort(v)
		k := len(v)
		if k%2 == 1 {
			return v[k/2]
		}
		return (v[k/2-1] + v[k/2]) / 2 // non-negative, so integer division is the floor
	}
}

// Len returns the number of tokens of the expression without parentheses.
func (n *Node) Len() int {
	if len(n.Args) == 0 {
		return 1
	}
	l := 2 // the operator and its closing bracket
	for _, a := range n.Args {
		l += a.Len()
	}
	return l
}

// Depth returns the number of levels of the tree, leaves included: 1 for a digit, 2 for an
// operator whose arguments are all digits. The original data have depth at most 20.
func (n *Node) Depth() int {
	d := 0
	for _, a := range n.Args {
		d = max(d, a.Depth())
	}
	return d + 1
}

// Tokens returns the token sequence of the expression, in prefix order without parentheses.
func (n *Node) Tokens() []Token {
	return n.appendTokens(make([]Token, 0, n.Len()))
}

func (n *Node) appendTokens(dst []Token) []Token {
	dst = append(dst, n.Tok)
	if len(n.Args) == 0 {
		return dst
	}
	for _, a := range n.Args {
		dst = a.appendTokens(dst)
	}
	return append(dst, Close)
}

// String returns the expression without parentheses, e.g. "[MAX 2 [MIN 3 4 ] ]". It is the
// canonical key of an expression: two trees are equal exactly when their strings are.
func (n *Node) String() string {
	var b strings.Builder
	for i, t := range n.Tokens() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.String())
	}
	return b.String()
}

// Binary returns the expression in the bracketed form of the published files, e.g.
// "( ( ( [MAX 2 ) 9 ) ] )". It equals n.Tree().String().
func (n *Node) Binary() string {
	var b strings.Builder
	n.writeBinary(&b)
	return b.String()
}

func (n *Node) writeBinary(b *strings.Builder) {
	if len(n.Args) == 0 {
		b.WriteString(n.Tok.String())
		return
	}
	// One "(" per argument and one for the closing bracket: ((op a1) a2) ... ak) ]).
	for range len(n.Args) + 1 {
		b.WriteString("( ")
	}
	b.WriteString(n.Tok.String())
	for _, a := range n.Args {
		b.WriteByte(' ')
		a.writeBinary(b)
		b.WriteString(" )")
	}
	b.WriteString(" ] )")
}

// Tree returns the gold binary tree of the expression over its token sequence, the bracketing
// of the published files: the operator token is paired with the first argument, that pair with
// the second argument, and so on, and the last pair with the closing bracket.
func (n *Node) Tree() *Tree {
	if len(n.Args) == 0 {
		return &Tree{Tok: n.Tok}
	}
	t := &Tree{Tok: n.Tok}
	for _, a := range n.Args {
		t = &Tree{Left: t, Right: a.Tree()}
	}
	return &Tree{Left: t, Right: &Tree{Tok: Close}}
}
