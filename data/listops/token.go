package listops

import (
	"fmt"
	"strings"
)

// Token is the id of a ListOps token in the model's vocabulary. The ids are fixed:
//
//	0        Pad (padding; never produced by the tokenizer)
//	1..10    the digits 0..9 (digit d has id d+1)
//	11..14   [MIN, [MAX, [MED, [SM
//	15       ] (closes an operator)
//
// Parentheses of the published files are not tokens: the tokenizer drops them.
type Token uint8

// The tokens that are not digits; digit d is Digit(d).
const (
	Pad   Token = 0
	OpMin Token = 11
	OpMax Token = 12
	OpMed Token = 13
	OpSM  Token = 14
	Close Token = 15
)

// VocabSize is the number of token ids, padding included.
const VocabSize = 16

const digit0 Token = 1

// Digit returns the token of the digit d. It panics unless 0 <= d <= 9.
func Digit(d int) Token {
	if d < 0 || d > 9 {
		panic(badDigit)
	}
	return digit0 + Token(d)
}

// IsDigit reports whether t is one of the ten digit tokens.
func (t Token) IsDigit() bool { return t >= digit0 && t < digit0+10 }

// IsOp reports whether t is one of the four operator tokens.
func (t Token) IsOp() bool { return t >= OpMin && t <= OpSM }

// Value returns the digit of a digit token, and -1 for any other token.
func (t Token) Value() int {
	if !t.IsDigit() {
		return -1
	}
	return int(t - digit0)
}

var tokenNames = [VocabSize]string{
	"<pad>", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
	"[MIN", "[MAX", "[MED", "[SM", "]",
}

// String returns the token as it is written in the published files ("[MAX", "7", "]"),
// "<pad>" for Pad, and "<bad:N>" for an id outside the vocabulary.
func (t Token) String() string {
	if int(t) < VocabSize {
		return tokenNames[t]
	}
	return fmt.Sprintf("<bad:%d>", uint8(t))
}

// Vocab returns the written form of every id, indexed by id (a fresh copy).
func Vocab() []string {
	v := make([]string, VocabSize)
	copy(v, tokenNames[:])
	return v
}

// ParseToken returns the token written as s. Operators are accepted in upper or lower case
// ("[MAX", "[max"). Padding and parentheses are not tokens: ok is false for them.
func ParseToken(s string) (t Token, ok bool) {
	if len(s) == 1 && s[0] >= '0' && s[0] <= '9' {
		return digit0 + Token(s[0]-'0'), true
	}
	switch strings.ToUpper(s) {
	case "[MIN":
		return OpMin, true
	case "[MAX":
		return OpMax, true
	case "[MED":
		return OpMed, true
	case "[SM":
		return OpSM, true
	case "]":
		return Close, true
	}
	return Pad, false
}

// Tokenize splits an expression at white space, drops the parentheses and returns the token ids.
// It checks the tokens only, not the grammar; Parse checks both.
func Tokenize(expr string) ([]Token, error) {
	fields := strings.Fields(expr)
	toks := make([]Token, 0, len(fields))
	for i, f := range fields {
		if f == "(" || f == ")" {
			continue
		}
		t, ok := ParseToken(f)
		if !ok {
			return nil, &SyntaxError{Token: i + 1, Msg: fmt.Sprintf("unknown token %q", f)}
		}
		toks = append(toks, t)
	}
	return toks, nil
}

// PadIDs lays out the token sequences of a batch as a row-major [len(batch), width] matrix of
// int32 ids padded with Pad, and returns it with the length of every sequence. A width of 0
// or less selects the longest sequence of the batch. PadIDs panics if a sequence is longer
// than width.
func PadIDs(batch []Example, width int) (ids, lengths []int32) {
	if width <= 0 {
		for _, e := range batch {
			width = max(width, len(e.Tokens))
		}
	}
	ids = make([]int32, len(batch)*width)
	lengths = make([]int32, len(batch))
	for i, e := range batch {
		if len(e.Tokens) > width {
			panic(tooLong)
		}
		row := ids[i*width : (i+1)*width]
		for j, t := range e.Tokens {
			row[j] = int32(t)
		}
		lengths[i] = int32(len(e.Tokens))
	}
	return ids, lengths
}
