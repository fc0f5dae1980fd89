package listops

import (
	"fmt"
	"strings"
)

// Parse parses an expression, in either of two forms:
//   - without parentheses, prefix notation: "[MAX 2 [MIN 3 4 ] ]";
//   - with parentheses, the binary bracketing of the published files: "( ( ( [MAX 2 ) 9 ) ] )".
//     The bracketing must be exactly the one Node.Binary writes; any other is an error.
//
// Tokens are separated by white space; operators may be lower case. Every operator needs at least
// one argument (the generated data have 2 to 5). Errors are *SyntaxError values naming the token.
func Parse(expr string) (*Node, error) {
	fields := strings.Fields(expr)
	if len(fields) == 0 {
		return nil, &SyntaxError{Msg: "empty expression"}
	}
	toks := make([]Token, 0, len(fields))
	pos := make([]int, 0, len(fields)) // 1-based field index of each token
	open := 0
	hasParens := false
	for i, f := range fields {
		switch f {
		case "(":
			open++
			hasParens = true
			continue
		case ")":
			open--
			hasParens = true
			if open < 0 {
				return nil, &SyntaxError{Token: i + 1, Msg: "unbalanced ')': no '(' is open"}
			}
			continue
		}
		t, ok := ParseToken(f)
		if !ok {
			return nil, &SyntaxError{Token: i + 1,
				Msg: fmt.Sprintf("unknown token %q: want [MIN, [MAX, [MED, [SM, ], a digit 0-9, ( or )", f)}
		}
		toks = append(toks, t)
		pos = append(pos, i+1)
	}
	if open > 0 {
		return nil, &SyntaxError{Token: len(fields), Msg: fmt.Sprintf("unbalanced '(': %d still open at the end", open)}
	}
	n, err := build(toks, pos)
	if err != nil {
		return nil, err
	}
	if hasParens {
		if err := checkBracketing(fields, n); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// FromTokens builds the expression tree of a token sequence without parentheses.
// Errors are *SyntaxError values naming the 1-based token index.
func FromTokens(toks []Token) (*Node, error) {
	pos := make([]int, len(toks))
	for i := range pos {
		pos[i] = i + 1
	}
	return build(toks, pos)
}

// build parses prefix notation with an explicit stack, so that hostile nesting cannot exhaust
// the goroutine stack. pos[i] is the field index reported for toks[i].
func build(toks []Token, pos []int) (*Node, error) {
	if len(toks) == 0 {
		return nil, &SyntaxError{Msg: "empty expression"}
	}
	var root *Node
	var stack []*Node // open operators
	var opened []int  // pos of each open operator
	for i, t := range toks {
		var n *Node
		switch {
		case t.IsDigit():
			n = &Node{Tok: t}
		case t.IsOp():
			n = &Node{Tok: t}
		case t == Close:
			if len(stack) == 0 {
				return nil, &SyntaxError{Token: pos[i], Msg: "']' without an open operator"}
			}
			top := stack[len(stack)-1]
			if len(top.Args) == 0 {
				return nil, &SyntaxError{Token: pos[i],
					Msg: fmt.Sprintf("operator %v (token %d) has no arguments: want at least one", top.Tok, opened[len(opened)-1])}
			}
			stack, opened = stack[:len(stack)-1], opened[:len(opened)-1]
			continue
		default:
			return nil, &SyntaxError{Token: pos[i], Msg: fmt.Sprintf("invalid token id %d", uint8(t))}
		}
		if len(stack) == 0 {
			if root != nil {
				return nil, &SyntaxError{Token: pos[i], Msg: fmt.Sprintf("%v after the end of the expression", t)}
			}
			root = n
		} else {
			top := stack[len(stack)-1]
			top.Args = append(top.Args, n)
		}
		if t.IsOp() {
			stack = append(stack, n)
			opened = append(opened, pos[i])
		}
	}
	if len(stack) > 0 {
		return nil, &SyntaxError{Token: opened[len(opened)-1],
			Msg: fmt.Sprintf("operator %v is not closed: want ']' before the end", stack[len(stack)-1].Tok)}
	}
	return root, nil
}

// checkBracketing compares the fields of a parenthesised expression with the canonical binary
// form of n.
func checkBracketing(fields []string, n *Node) error {
	want := strings.Fields(n.Binary())
	for i, f := range fields {
		if i >= len(want) {
			return &SyntaxError{Token: i + 1, Msg: fmt.Sprintf("%q after the end of the ListOps binary bracketing", f)}
		}
		if t, ok := ParseToken(f); ok {
			f = t.String() // accept lower case
		}
		if f != want[i] {
			return &SyntaxError{Token: i + 1,
				Msg: fmt.Sprintf("bracketing is not the ListOps binary form: got %q, want %q", f, want[i])}
		}
	}
	if len(fields) < len(want) {
		return &SyntaxError{Token: len(fields),
			Msg: fmt.Sprintf("bracketing is not the ListOps binary form: missing %q at the end", want[len(fields)])}
	}
	return nil
}
