package listops

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed" // the official test split
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/f60e9205/reinmax/data/store"
)

// Facts about the official test split.
const (
	// TestFile is the path of the official test split in a folder given to LoadTest.
	TestFile = "listops/test_d20s.tsv"
	// TestRows is the number of rows of the official test split.
	TestRows = 10000
	// MaxTokens is the length filter of the reference experiment: only sequences with fewer than
	// MaxTokens tokens (parentheses not counted) are kept, in all splits.
	MaxTokens = 100
)

// maxLine bounds the length of a tsv line; the longest official line has 6,186 bytes.
const maxLine = 1 << 20

// Example is one labelled expression.
type Example struct {
	Label  int     // the value of Expr, 0..9
	Expr   *Node   // the expression tree
	Tokens []Token // Expr.Tokens(): the model's input, without parentheses
}

// NewExample returns the example of expr, labelled with its value.
func NewExample(expr *Node) Example {
	return Example{Label: expr.Eval(), Expr: expr, Tokens: expr.Tokens()}
}

// Read reads examples in the tsv format of the published files: one line per example,
// "label<TAB>expression", the label a digit and the expression in either form Parse accepts.
// Every label must equal the value of its expression. name is used in error messages only.
// Errors are *SyntaxError values naming the file and the 1-based line.
func Read(r io.Reader, name string) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	var out []Example
	line := 0
	for sc.Scan() {
		line++
		e, err := parseLine(sc.Text())
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				se.File, se.Line = name, line
			}
			return nil, err
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &SyntaxError{File: name, Line: line + 1, Msg: fmt.Sprintf("line longer than %d bytes", maxLine)}
		}
		return nil, fmt.Errorf("listops: reading %s: %w", name, err)
	}
	return out, nil
}

func parseLine(s string) (Example, error) {
	s = strings.TrimSuffix(s, "\r")
	if strings.TrimSpace(s) == "" {
		return Example{}, &SyntaxError{Msg: "empty line: want label<TAB>expression"}
	}
	label, expr, ok := strings.Cut(s, "\t")
	if !ok {
		return Example{}, &SyntaxError{Msg: "no tab: want label<TAB>expression"}
	}
	if len(label) != 1 || label[0] < '0' || label[0] > '9' {
		return Example{}, &SyntaxError{Msg: fmt.Sprintf("label %q: want one digit 0-9", label)}
	}
	n, err := Parse(expr)
	if err != nil {
		return Example{}, err
	}
	e := NewExample(n)
	if want := int(label[0] - '0'); e.Label != want {
		return Example{}, &SyntaxError{Msg: fmt.Sprintf("label %d, but the expression evaluates to %d", want, e.Label)}
	}
	return e, nil
}

// Write writes examples in the tsv format of the published files, "label<TAB>binary form\n",
// which Read reads back.
func Write(w io.Writer, examples []Example) error {
	bw := bufio.NewWriter(w)
	for _, e := range examples {
		bw.WriteByte(byte('0' + e.Label))
		bw.WriteByte('\t')
		bw.WriteString(e.Expr.Binary())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// testSHA256 is the SHA-256 of the official test split, test_d20s.tsv, as published; copied from
// shared/data/SHA256SUMS, the project's record of the files it received.
const testSHA256 = "71335416e6896e8dd8dc69281c8ed9b37316382d05d3705d660461564e843840"

// testGz is the official test split, gzip-compressed (gzip -9n); embedded/PROVENANCE.md says where
// it comes from and embedded/LICENSE under which terms.
//
//go:embed embedded/test_d20s.tsv.gz
var testGz []byte

// Dataset describes the official test split for package store: it is embedded (compressed; the
// SHA-256 is that of the published, uncompressed file), so it needs no data root and cannot be
// missing.
func Dataset() store.Dataset {
	return store.Dataset{
		Name:  "listops",
		Title: "ListOps",
		About: "Nangia, Bowman 2018: the official test split, 10,000 expressions; MIT, (c) 2018 New York University",
		Files: []store.File{{Name: path.Base(TestFile), SHA256: []string{testSHA256}}},
		Embedded: func(name string) ([]byte, error) {
			if name != path.Base(TestFile) {
				return nil, fmt.Errorf("listops: no embedded file %s", name)
			}
			z, err := gzip.NewReader(bytes.NewReader(testGz))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(z)
		},
	}
}

// OfficialTest returns the official test split, embedded in the package; see LoadTest.
func OfficialTest() ([]Example, error) {
	return LoadTest("")
}

// LoadTest reads the official test split: dir/listops/test_d20s.tsv (TestFile) when dir is not ""
// and holds it (so dir may be a data root), else the copy embedded in the package. Either file must
// have the SHA-256 of the published one, so the examples are the same whichever is read. It also
// checks that the split holds TestRows examples whose labels equal their values. The examples are
// returned in file order, unfiltered: ShorterThan(ex, MaxTokens) applies the reference length
// filter. The split is for evaluation only; never train or tune on it.
func LoadTest(dir string) ([]Example, error) {
	d := Dataset()
	file := path.Base(TestFile)
	if dir != "" {
		local := d
		local.Embedded = nil
		b, found, err := local.Read([]store.Place{{Dir: filepath.Join(dir, filepath.FromSlash(path.Dir(TestFile))), Origin: "LoadTest's folder"}}, file)
		var missing *store.MissingError
		if !errors.As(err, &missing) {
			if err != nil {
				return nil, fmt.Errorf("listops: %w", err)
			}
			return parseTest(b[0], found[0].Path)
		}
	}
	b, _, err := d.Read(nil, file)
	if err != nil {
		return nil, fmt.Errorf("listops: %w", err)
	}
	return parseTest(b[0], TestFile+" (embedded)")
}

// parseTest parses the verified bytes of the test split; name is for messages.
func parseTest(b []byte, name string) ([]Example, error) {
	ex, err := Read(bytes.NewReader(b), name)
	if err != nil {
		return nil, err
	}
	if len(ex) != TestRows {
		return nil, fmt.Errorf("listops: %s: %d rows, want %d", name, len(ex), TestRows)
	}
	return ex, nil
}

// ShorterThan returns the examples with fewer than n tokens, in order (a new slice).
func ShorterThan(examples []Example, n int) []Example {
	var out []Example
	for _, e := range examples {
		if len(e.Tokens) < n {
			out = append(out, e)
		}
	}
	return out
}

// Keys returns the set of canonical expression strings (Node.String) of examples, for
// Generator.Exclude.
func Keys(examples []Example) map[string]bool {
	keys := make(map[string]bool, len(examples))
	for _, e := range examples {
		keys[e.Expr.String()] = true
	}
	return keys
}
