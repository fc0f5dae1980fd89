package listops

import (
	"fmt"
	"strings"
)

// Tree is a binary tree over a token sequence: a leaf holds one token, an inner node joins two
// adjacent subtrees. Node.Tree gives the gold tree of an expression; MergeTree gives the tree a
// model builds by merging adjacent positions.
type Tree struct {
	Tok         Token // the token of a leaf; Pad for an inner node
	Left, Right *Tree // both nil for a leaf, both non-nil for an inner node
}

// MergeTree builds the binary tree that a sequence of merge decisions makes over tokens.
// With n = len(tokens), the sequence starts as n one-leaf trees; at step t = 0, 1, ... the trees
// at positions merges[t] and merges[t]+1 are joined, which leaves n-t-1 trees, so
// merges[t] must lie in 0..n-t-2. A full sequence has n-1 merges; a sequence of n-2 merges
// (a model that makes no choice at the last step, when only position 0 is left) is completed
// with a final 0. MergeTree returns an error for an empty sequence, a wrong number of merges
// or a position out of range.
func MergeTree(tokens []Token, merges []int) (*Tree, error) {
	n := len(tokens)
	if n == 0 {
		return nil, fmt.Errorf("listops: merge tree of an empty token sequence")
	}
	switch {
	case len(merges) == n-2:
		merges = append(merges[:len(merges):len(merges)], 0)
	case len(merges) != n-1:
		return nil, fmt.Errorf("listops: %d merges for %d tokens: want %d (or %d)", len(merges), n, n-1, max(n-2, 0))
	}
	items := make([]*Tree, n)
	for i, tok := range tokens {
		items[i] = &Tree{Tok: tok}
	}
	for t, i := range merges {
		if i < 0 || i > n-t-2 {
			return nil, fmt.Errorf("listops: merge step %d: position %d out of range 0..%d", t, i, n-t-2)
		}
		items[i] = &Tree{Left: items[i], Right: items[i+1]}
		items = append(items[:i+1], items[i+2:]...)
	}
	return items[0], nil
}

// IsLeaf reports whether t is a leaf.
func (t *Tree) IsLeaf() bool { return t.Left == nil }

// Len returns the number of leaves.
func (t *Tree) Len() int {
	if t.IsLeaf() {
		return 1
	}
	return t.Left.Len() + t.Right.Len()
}

// Tokens returns the leaves from left to right.
func (t *Tree) Tokens() []Token {
	var dst []Token
	var walk func(*Tree)
	walk = func(t *Tree) {
		if t.IsLeaf() {
			dst = append(dst, t.Tok)
			return
		}
		walk(t.Left)
		walk(t.Right)
	}
	walk(t)
	return dst
}

// String returns the tree fully bracketed, an inner node as "( left right )" and a leaf as its
// token: the gold tree of [MAX 2 9 ] reads "( ( ( [MAX 2 ) 9 ) ] )", as in the published files.
func (t *Tree) String() string {
	var b strings.Builder
	var walk func(*Tree)
	walk = func(t *Tree) {
		if t.IsLeaf() {
			b.WriteString(t.Tok.String())
			return
		}
		b.WriteString("( ")
		walk(t.Left)
		b.WriteByte(' ')
		walk(t.Right)
		b.WriteString(" )")
	}
	walk(t)
	return b.String()
}

// Indent returns the tree drawn one node per line, children indented under their parent and
// inner nodes shown as "*":
//
//	*
//	|-- *
//	|   |-- [SM
//	|   `-- 3
//	`-- ]
func (t *Tree) Indent() string {
	var b strings.Builder
	var walk func(t *Tree, prefix, branch, cont string)
	walk = func(t *Tree, prefix, branch, cont string) {
		b.WriteString(prefix)
		b.WriteString(branch)
		if t.IsLeaf() {
			b.WriteString(t.Tok.String())
		} else {
			b.WriteByte('*')
		}
		b.WriteByte('\n')
		if t.IsLeaf() {
			return
		}
		walk(t.Left, prefix+cont, "|-- ", "|   ")
		walk(t.Right, prefix+cont, "`-- ", "    ")
	}
	walk(t, "", "", "")
	return b.String()
}

// Spans returns the leaf interval [start, end) of every inner node, in post-order (children
// before parents, left before right). The spans of two trees over the same tokens give their
// bracketing agreement (unlabelled F1).
func (t *Tree) Spans() [][2]int {
	var spans [][2]int
	var walk func(t *Tree, start int) int
	walk = func(t *Tree, start int) int {
		if t.IsLeaf() {
			return start + 1
		}
		mid := walk(t.Left, start)
		end := walk(t.Right, mid)
		spans = append(spans, [2]int{start, end})
		return end
	}
	walk(t, 0)
	return spans
}

// Merges returns a merge sequence that MergeTree turns back into t: the inner nodes in
// post-order, each merged at its position in the current sequence. That position is the
// number of ancestors of which the node lies in the right subtree, since everything left of
// it has already been reduced to one tree per such ancestor.
func (t *Tree) Merges() []int {
	var merges []int
	var walk func(t *Tree, k int)
	walk = func(t *Tree, k int) {
		if t.IsLeaf() {
			return
		}
		walk(t.Left, k)
		walk(t.Right, k+1)
		merges = append(merges, k)
	}
	walk(t, 0)
	return merges
}
