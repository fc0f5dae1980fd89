package listops

import (
	"slices"
	"testing"
)

func TestEval(t *testing.T) {
	t.Parallel()
	// Values worked out by hand from the definitions in the Eval doc.
	for _, test := range []struct {
		expr string
		want int
	}{
		{"7", 7},
		{"[MIN 7 ]", 7},
		{"[MIN 3 1 2 ]", 1},
		{"[MAX 3 1 2 ]", 3},
		{"[SM 9 8 7 ]", 4},                   // 24 mod 10
		{"[SM 0 0 ]", 0},                     //
		{"[MED 3 1 2 ]", 2},                  // odd count: the middle value
		{"[MED 9 0 4 3 1 ]", 3},              // sorted 0 1 3 4 9
		{"[MED 1 2 ]", 1},                    // even count: floor(1.5)
		{"[MED 4 6 ]", 5},                    // floor(5)
		{"[MED 9 0 4 3 ]", 3},                // sorted 0 3 4 9: floor(3.5)
		{"[MED 8 2 5 6 ]", 5},                // sorted 2 5 6 8: floor(5.5)
		{"[MED 9 9 0 0 ]", 4},                // floor(4.5)
		{"[SM 6 5 9 0 ]", 0},                 // first line of the official test split, label 0
		{"[MAX [MIN 5 8 ] [SM 7 8 ] 2 ]", 5}, // max(5, 5, 2)
		{"[MED [MAX 1 9 ] [MIN 3 4 ] [SM 5 5 ] 7 ]", 5}, // sorted 0 3 7 9: floor(5)
	} {
		n, err := Parse(test.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", test.expr, err)
		}
		if got := n.Eval(); got != test.want {
			t.Errorf("%s = %d, want %d", test.expr, got, test.want)
		}
	}
}

func TestEvalPanicsOnMalformedNode(t *testing.T) {
	t.Parallel()
	for _, n := range []*Node{
		{Tok: OpMax},                         // no arguments
		{Tok: Close, Args: []*Node{Leaf(1)}}, // not an operator
		{Tok: Pad},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Eval of %+v did not panic", n)
				}
			}()
			n.Eval()
		}()
	}
}

func TestNodeForms(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		node   *Node
		str    string
		binary string
		len    int
		depth  int
	}{
		{Leaf(4), "4", "4", 1, 1},
		{Apply(OpMax, Leaf(2), Leaf(9)), "[MAX 2 9 ]", "( ( ( [MAX 2 ) 9 ) ] )", 4, 2},
		{
			Apply(OpSM, Leaf(1), Apply(OpMin, Leaf(3), Leaf(4)), Leaf(5)),
			"[SM 1 [MIN 3 4 ] 5 ]",
			"( ( ( ( [SM 1 ) ( ( ( [MIN 3 ) 4 ) ] ) ) 5 ) ] )",
			8, 3,
		},
		{
			Apply(OpMed, Apply(OpMax, Apply(OpMin, Leaf(0)))),
			"[MED [MAX [MIN 0 ] ] ]",
			"( ( [MED ( ( [MAX ( ( [MIN 0 ) ] ) ) ] ) ) ] )",
			7, 4,
		},
	} {
		n := test.node
		if got := n.String(); got != test.str {
			t.Errorf("String() = %q, want %q", got, test.str)
		}
		if got := n.Binary(); got != test.binary {
			t.Errorf("%s: Binary() = %q, want %q", test.str, got, test.binary)
		}
		if got := n.Tree().String(); got != test.binary {
			t.Errorf("%s: Tree().String() = %q, want %q", test.str, got, test.binary)
		}
		if got := n.Len(); got != test.len || len(n.Tokens()) != test.len {
			t.Errorf("%s: Len() = %d, len(Tokens()) = %d, want %d", test.str, got, len(n.Tokens()), test.len)
		}
		if got := n.Depth(); got != test.depth {
			t.Errorf("%s: Depth() = %d, want %d", test.str, got, test.depth)
		}
		if got := n.Tree().Tokens(); !slices.Equal(got, n.Tokens()) {
			t.Errorf("%s: Tree().Tokens() = %v, want %v", test.str, got, n.Tokens())
		}
		for _, s := range []string{test.str, test.binary} {
			back, err := Parse(s)
			if err != nil || back.String() != test.str {
				t.Errorf("Parse(%q) = %v, %v; want %s", s, back, err, test.str)
			}
		}
	}
}
