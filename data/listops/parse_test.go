package listops

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		in      string
		want    string // Node.String of the result, or "" for an error
		wantErr string
	}{
		{"[MAX 2 9 ]", "[MAX 2 9 ]", ""},
		{"( ( ( [MAX 2 ) 9 ) ] )", "[MAX 2 9 ]", ""},
		{"( ( ( [max 2 ) 9 ) ] )", "[MAX 2 9 ]", ""},
		{"  [sm\t1 [Min 3 4 ] 5 ]  ", "[SM 1 [MIN 3 4 ] 5 ]", ""},
		{"3", "3", ""},
		{"[MIN 7 ]", "[MIN 7 ]", ""},

		{"", "", "listops: empty expression"},
		{"  \t ", "", "listops: empty expression"},
		{"( )", "", "listops: empty expression"},
		{"[MAX 2 x ]", "", `listops: token 3: unknown token "x": want [MIN, [MAX, [MED, [SM, ], a digit 0-9, ( or )`},
		{"[FIRST 2 3 ]", "", `listops: token 1: unknown token "[FIRST": want [MIN, [MAX, [MED, [SM, ], a digit 0-9, ( or )`},
		{"12", "", `listops: token 1: unknown token "12": want [MIN, [MAX, [MED, [SM, ], a digit 0-9, ( or )`},
		{"[MAX 2 9", "", "listops: token 1: operator [MAX is not closed: want ']' before the end"},
		{"[MAX 2 [MIN 9 ]", "", "listops: token 1: operator [MAX is not closed: want ']' before the end"},
		{"[MAX 2 9 ] ]", "", "listops: token 5: ']' without an open operator"},
		{"]", "", "listops: token 1: ']' without an open operator"},
		{"[MAX ]", "", "listops: token 2: operator [MAX (token 1) has no arguments: want at least one"},
		{"[MAX 2 9 ] 4", "", "listops: token 5: 4 after the end of the expression"},
		{"1 2", "", "listops: token 2: 2 after the end of the expression"},
		{"( ( ( [MAX 2 ) 9 ) ] ) )", "", "listops: token 11: unbalanced ')': no '(' is open"},
		{"( ( ( [MAX 2 ) 9 ) ]", "", "listops: token 9: unbalanced '(': 1 still open at the end"},
		{") [MAX 2 9 ] (", "", "listops: token 1: unbalanced ')': no '(' is open"},
		// Balanced, but not the bracketing of the published files.
		{"( [MAX ( 2 ( 9 ] ) ) )", "", `listops: token 2: bracketing is not the ListOps binary form: got "[MAX", want "("`},
		{"( ( [MAX 2 9 ) ] )", "", `listops: token 3: bracketing is not the ListOps binary form: got "[MAX", want "("`},
		{"( 3 )", "", `listops: token 1: bracketing is not the ListOps binary form: got "(", want "3"`},
		{"( ( ( ( [MAX 2 ) 9 ) ] ) )", "", `listops: token 4: bracketing is not the ListOps binary form: got "(", want "[MAX"`},
		{"( ( ( [MAX 2 ) 9 ) ] ) ( 3 )", "", "listops: token 12: 3 after the end of the expression"},
	} {
		n, err := Parse(test.in)
		if test.wantErr != "" {
			var se *SyntaxError
			if err == nil || err.Error() != test.wantErr || !errors.As(err, &se) {
				t.Errorf("Parse(%q) error %v, want %q", test.in, err, test.wantErr)
			}
			continue
		}
		if err != nil || n.String() != test.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", test.in, n, err, test.want)
		}
	}
}

func TestFromTokens(t *testing.T) {
	t.Parallel()
	n, err := FromTokens([]Token{OpSM, Digit(1), OpMin, Digit(3), Digit(4), Close, Close})
	if err != nil || n.String() != "[SM 1 [MIN 3 4 ] ]" {
		t.Errorf("FromTokens = %v, %v", n, err)
	}
	for _, test := range []struct {
		toks    []Token
		wantErr string
	}{
		{nil, "listops: empty expression"},
		{[]Token{OpMax, Pad, Close}, "listops: token 2: invalid token id 0"},
		{[]Token{OpMax, 99, Close}, "listops: token 2: invalid token id 99"},
		{[]Token{OpMax, Digit(1)}, "listops: token 1: operator [MAX is not closed: want ']' before the end"},
	} {
		if _, err := FromTokens(test.toks); err == nil || err.Error() != test.wantErr {
			t.Errorf("FromTokens(%v) error %v, want %q", test.toks, err, test.wantErr)
		}
	}
}
