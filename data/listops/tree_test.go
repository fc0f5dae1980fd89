package listops

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestMergeTree(t *testing.T) {
	t.Parallel()
	maxTok := []Token{OpMax, Digit(2), Digit(9), Close} // [MAX 2 9 ]
	for _, test := range []struct {
		toks    []Token
		merges  []int
		want    string
		spans   [][2]int
		wantErr string
	}{
		{toks: maxTok, merges: []int{0, 0, 0}, want: "( ( ( [MAX 2 ) 9 ) ] )",
			spans: [][2]int{{0, 2}, {0, 3}, {0, 4}}},
		{toks: maxTok, merges: []int{0, 0}, want: "( ( ( [MAX 2 ) 9 ) ] )",
			spans: [][2]int{{0, 2}, {0, 3}, {0, 4}}},
		// Step 0 joins 2 and 9; step 1 (positions 0..1) joins (2 9) and ]; step 2 joins the rest.
		{toks: maxTok, merges: []int{1, 1, 0}, want: "( [MAX ( ( 2 9 ) ] ) )",
			spans: [][2]int{{1, 3}, {1, 4}, {0, 4}}},
		{toks: maxTok, merges: []int{2, 0, 0}, want: "( ( [MAX 2 ) ( 9 ] ) )",
			spans: [][2]int{{0, 2}, {2, 4}, {0, 4}}},
		{toks: maxTok, merges: []int{2, 0}, want: "( ( [MAX 2 ) ( 9 ] ) )",
			spans: [][2]int{{0, 2}, {2, 4}, {0, 4}}},
		{toks: []Token{Digit(7)}, merges: nil, want: "7"},
		{toks: []Token{Digit(7), Digit(8)}, merges: nil, want: "( 7 8 )", spans: [][2]int{{0, 2}}},

		{toks: nil, merges: nil, wantErr: "listops: merge tree of an empty token sequence"},
		{toks: maxTok, merges: []int{0}, wantErr: "listops: 1 merges for 4 tokens: want 3 (or 2)"},
		{toks: maxTok, merges: []int{0, 0, 0, 0}, wantErr: "listops: 4 merges for 4 tokens: want 3 (or 2)"},
		{toks: maxTok, merges: []int{3, 0, 0}, wantErr: "listops: merge step 0: position 3 out of range 0..2"},
		{toks: maxTok, merges: []int{0, 2, 0}, wantErr: "listops: merge step 1: position 2 out of range 0..1"},
		{toks: maxTok, merges: []int{0, 0, 1}, wantErr: "listops: merge step 2: position 1 out of range 0..0"},
		{toks: maxTok, merges: []int{-1, 0, 0}, wantErr: "listops: merge step 0: position -1 out of range 0..2"},
		{toks: []Token{Digit(7)}, merges: []int{0}, wantErr: "listops: 1 merges for 1 tokens: want 0 (or 0)"},
	} {
		tree, err := MergeTree(test.toks, test.merges)
		if test.wantErr != "" {
			if err == nil || err.Error() != test.wantErr {
				t.Errorf("MergeTree(%v, %v) error %v, want %q", test.toks, test.merges, err, test.wantErr)
			}
			continue
		}
		if err != nil || tree.String() != test.want {
			t.Errorf("MergeTree(%v, %v) = %v, %v; want %s", test.toks, test.merges, tree, err, test.want)
			continue
		}
		if got := tree.Spans(); !slices.Equal(got, test.spans) {
			t.Errorf("%s: Spans() = %v, want %v", test.want, got, test.spans)
		}
		if got := tree.Tokens(); !slices.Equal(got, test.toks) || tree.Len() != len(test.toks) {
			t.Errorf("%s: Tokens() = %v, Len() = %d, want %v", test.want, got, tree.Len(), test.toks)
		}
	}
}

func TestMergeTreeKeepsCallersSlice(t *testing.T) {
	t.Parallel()
	merges := make([]int, 2, 3)
	merges = append(merges[:2], 7) // a value past len must survive completion with a final 0
	if _, err := MergeTree([]Token{Digit(1), Digit(2), Digit(3), Digit(4)}, merges[:2]); err != nil {
		t.Fatal(err)
	}
	if merges[2] != 7 {
		t.Errorf("MergeTree wrote into the caller's spare capacity: %v", merges)
	}
}

// TestMergesRoundTrip checks that Tree.Merges inverts MergeTree: on the gold trees of generated
// expressions and on trees built from random merge sequences.
func TestMergesRoundTrip(t *testing.T) {
	t.Parallel()
	ex, err := Generator{}.Generate(300, 5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, e := range ex {
		gold := e.Expr.Tree()
		m := gold.Merges()
		if len(m) != len(e.Tokens)-1 {
			t.Fatalf("%s: %d merges for %d tokens", e.Expr, len(m), len(e.Tokens))
		}
		back, err := MergeTree(e.Tokens, m)
		if err != nil || back.String() != e.Expr.Binary() {
			t.Fatalf("%s: MergeTree(gold merges %v) = %v, %v; want %s", e.Expr, m, back, err, e.Expr.Binary())
		}

		random := make([]int, len(e.Tokens)-1)
		for step := range random {
			random[step] = rng.IntN(len(e.Tokens) - step - 1)
		}
		tree, err := MergeTree(e.Tokens, random)
		if err != nil {
			t.Fatalf("MergeTree(random %v): %v", random, err)
		}
		again, err := MergeTree(e.Tokens, tree.Merges())
		if err != nil || again.String() != tree.String() || !slices.Equal(again.Spans(), tree.Spans()) {
			t.Fatalf("random merges %v: tree %s, rebuilt %v, %v", random, tree, again, err)
		}
		if n := len(tree.Spans()); n != len(e.Tokens)-1 {
			t.Fatalf("%s: %d spans, want %d", tree, n, len(e.Tokens)-1)
		}
	}
}

func TestIndent(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		node *Node
		want string
	}{
		{Leaf(3), "3\n"},
		{Apply(OpSM, Leaf(3)), "" +
			"*\n" +
			"|-- *\n" +
			"|   |-- [SM\n" +
			"|   `-- 3\n" +
			"`-- ]\n"},
		{Apply(OpMin, Leaf(1), Leaf(2)), "" +
			"*\n" +
			"|-- *\n" +
			"|   |-- *\n" +
			"|   |   |-- [MIN\n" +
			"|   |   `-- 1\n" +
			"|   `-- 2\n" +
			"`-- ]\n"},
	} {
		if got := test.node.Tree().Indent(); got != test.want {
			t.Errorf("%s: Indent() =\n%s\nwant\n%s", test.node, got, test.want)
		}
	}
}
