package listops

import (
	"slices"
	"testing"
)

func TestParseToken(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		in   string
		want Token
		ok   bool
	}{
		{"0", Digit(0), true},
		{"9", Digit(9), true},
		{"[MIN", OpMin, true},
		{"[MAX", OpMax, true},
		{"[MED", OpMed, true},
		{"[SM", OpSM, true},
		{"[min", OpMin, true},
		{"[max", OpMax, true},
		{"[med", OpMed, true},
		{"[sm", OpSM, true},
		{"]", Close, true},
		{"(", Pad, false},
		{")", Pad, false},
		{"10", Pad, false},
		{"-1", Pad, false},
		{"MAX", Pad, false},
		{"[FIRST", Pad, false},
		{"", Pad, false},
		{"<pad>", Pad, false},
	} {
		got, ok := ParseToken(test.in)
		if got != test.want || ok != test.ok {
			t.Errorf("ParseToken(%q) = %v, %v; want %v, %v", test.in, got, ok, test.want, test.ok)
		}
	}
}

func TestVocab(t *testing.T) {
	t.Parallel()
	v := Vocab()
	if len(v) != VocabSize || v[Pad] != "<pad>" {
		t.Fatalf("Vocab() = %q", v)
	}
	seen := map[string]bool{}
	for id, s := range v {
		if seen[s] {
			t.Errorf("Vocab: %q twice", s)
		}
		seen[s] = true
		if id == int(Pad) {
			continue
		}
		tok, ok := ParseToken(s)
		if !ok || int(tok) != id || tok.String() != s {
			t.Errorf("id %d: ParseToken(%q) = %v, %v", id, s, tok, ok)
		}
	}
	for d := range 10 {
		tok := Digit(d)
		if !tok.IsDigit() || tok.IsOp() || tok.Value() != d || int(tok) != d+1 {
			t.Errorf("Digit(%d) = %d: IsDigit %v IsOp %v Value %d", d, tok, tok.IsDigit(), tok.IsOp(), tok.Value())
		}
	}
	for _, tok := range []Token{OpMin, OpMax, OpMed, OpSM} {
		if !tok.IsOp() || tok.IsDigit() || tok.Value() != -1 {
			t.Errorf("%v: IsOp %v IsDigit %v Value %d", tok, tok.IsOp(), tok.IsDigit(), tok.Value())
		}
	}
	for _, tok := range []Token{Pad, Close, 16, 255} {
		if tok.IsOp() || tok.IsDigit() {
			t.Errorf("%v: IsOp %v IsDigit %v", tok, tok.IsOp(), tok.IsDigit())
		}
	}
	if s := Token(200).String(); s != "<bad:200>" {
		t.Errorf("Token(200).String() = %q", s)
	}
}

func TestDigitPanics(t *testing.T) {
	t.Parallel()
	for _, d := range []int{-1, 10} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Digit(%d) did not panic", d)
				}
			}()
			Digit(d)
		}()
	}
}

func TestTokenize(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		in      string
		want    []Token
		wantErr string
	}{
		{"( ( ( [MAX 2 ) 9 ) ] )", []Token{OpMax, Digit(2), Digit(9), Close}, ""},
		{"[max 2\t9  ]", []Token{OpMax, Digit(2), Digit(9), Close}, ""},
		{"", []Token{}, ""},
		{"( 7 )", []Token{Digit(7)}, ""},
		{"[MAX 2 x ]", nil, `listops: token 3: unknown token "x"`},
		// The tokenizer does not check the grammar.
		{"] ] 3", []Token{Close, Close, Digit(3)}, ""},
	} {
		got, err := Tokenize(test.in)
		if test.wantErr != "" {
			if err == nil || err.Error() != test.wantErr {
				t.Errorf("Tokenize(%q) error %v, want %q", test.in, err, test.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, test.want) {
			t.Errorf("Tokenize(%q) = %v, %v; want %v", test.in, got, err, test.want)
		}
	}
}

func TestPadIDs(t *testing.T) {
	t.Parallel()
	a := NewExample(Apply(OpMax, Leaf(2), Leaf(9)))
	b := NewExample(Apply(OpSM, Leaf(1), Apply(OpMin, Leaf(3), Leaf(4)), Leaf(5)))
	ids, lengths := PadIDs([]Example{a, b}, 0)
	// Ids from the table in the Token doc: [MAX=12 digit d=d+1 ]=15 [SM=14 [MIN=11.
	wantIDs := []int32{
		12, 3, 10, 15, 0, 0, 0, 0,
		14, 2, 11, 4, 5, 15, 6, 15,
	}
	if !slices.Equal(ids, wantIDs) || !slices.Equal(lengths, []int32{4, 8}) {
		t.Errorf("PadIDs = %v, %v; want %v, [4 8]", ids, lengths, wantIDs)
	}
	ids, _ = PadIDs([]Example{a}, 6)
	if !slices.Equal(ids, []int32{12, 3, 10, 15, 0, 0}) {
		t.Errorf("PadIDs(width 6) = %v", ids)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("PadIDs with a too small width did not panic")
		}
	}()
	PadIDs([]Example{b}, 3)
}
