package listops

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse and, as a tsv line, to Read. Neither may panic; an
// accepted expression must evaluate to a digit and survive both written forms unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"( ( ( [MAX 2 ) 9 ) ] )",
		"[SM 1 [MIN 3 4 ] 5 ]",
		"( ( ( ( [SM 1 ) ( ( ( [MIN 3 ) 4 ) ] ) ) 5 ) ] )",
		"[med 9 0 4 3 ]",
		"7",
		"",
		"(",
		")",
		"]",
		"[MAX ]",
		"[MAX 2 9",
		"( [MAX ( 2 ( 9 ] ) ) )",
		"9\t( ( ( [MAX 2 ) 9 ) ] )",
		"3\t[MAX 2 9 ]",
		"\t\t",
		"x\ty",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err == nil {
			if v := n.Eval(); v < 0 || v > 9 {
				t.Fatalf("Parse(%q) evaluates to %d", s, v)
			}
			for _, form := range []string{n.String(), n.Binary()} {
				back, err := Parse(form)
				if err != nil || back.String() != n.String() {
					t.Fatalf("Parse(%q) = %v; reparsing %q: %v, %v", s, n, form, back, err)
				}
			}
			tree, err := MergeTree(n.Tokens(), n.Tree().Merges())
			if err != nil || tree.String() != n.Binary() {
				t.Fatalf("gold merges of %q: %v, %v", s, tree, err)
			}
		} else if _, ok := err.(*SyntaxError); !ok {
			t.Fatalf("Parse(%q) error %T, want *SyntaxError", s, err)
		}
		ex, err := Read(strings.NewReader(s), "fuzz")
		if err == nil {
			for _, e := range ex {
				if e.Label != e.Expr.Eval() {
					t.Fatalf("Read(%q): label %d for %s", s, e.Label, e.Expr)
				}
			}
		} else if !strings.HasPrefix(err.Error(), "listops: fuzz:") {
			t.Fatalf("Read(%q) error %q does not name the input", s, err)
		}
	})
}
