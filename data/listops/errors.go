package listops

import (
	"fmt"
	"strings"
)

// Panic messages for programmer errors.
const (
	badDigit   = "listops: digit out of range 0..9"
	badNode    = "listops: malformed expression node"
	tooLong    = "listops: sequence longer than the batch width"
	badGenSize = "listops: negative number of examples"
)

// SyntaxError reports an expression or a tsv line that is not valid ListOps.
type SyntaxError struct {
	File  string // the file name, or "" when the text did not come from a file
	Line  int    // 1-based line number, or 0
	Token int    // 1-based index of the offending white-space separated field, or 0
	Msg   string // what is wrong, with what was expected
}

// Error returns "listops: file:line: token k: msg", leaving out the parts that are unknown.
func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("listops: ")
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Token > 0 {
		fmt.Fprintf(&b, "token %d: ", e.Token)
	}
	b.WriteString(e.Msg)
	return b.String()
}
