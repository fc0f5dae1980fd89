package listops

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/f60e9205/reinmax/data"
)

// Facts about the official test split.
const (
	// TestFile is the path of the official test split inside the shared data folder.
	TestFile = "listops/test_d20s.tsv"
	// TestRows is the number of rows of the official test split.
	TestRows = 10000
	// MaxTokens is the length filter of the reference experiment: only sequences with fewer than
	// MaxTokens tokens (parentheses not counted) are kept, in all splits.
	MaxTokens = 100
	// DataDirEnv is the environment variable that names the shared data folder.
	DataDirEnv = data.EnvSharedDir
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

// DataDir returns the project's shared data folder; see data.SharedDir.
func DataDir() (string, error) {
	return data.SharedDir()
}

// LoadTest reads the official test split, dir/listops/test_d20s.tsv, where dir is the shared
// data folder ("" finds it with DataDir). It checks the file's SHA-256 against the entry in
// dir/SHA256SUMS and that it holds TestRows examples whose labels equal their values.
// The examples are returned in file order, unfiltered: ShorterThan(ex, MaxTokens) applies the
// reference length filter. The split is for evaluation only; never train or tune on it.
func LoadTest(dir string) ([]Example, error) {
	if dir == "" {
		var err error
		if dir, err = DataDir(); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(dir, filepath.FromSlash(TestFile))
	want, err := checksum(dir, TestFile)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("listops: %w", err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("listops: %s: SHA-256 %s, want %s (from SHA256SUMS): the file is not the published one", path, got, want)
	}
	ex, err := Read(bytes.NewReader(data), path)
	if err != nil {
		return nil, err
	}
	if len(ex) != TestRows {
		return nil, fmt.Errorf("listops: %s: %d rows, want %d", path, len(ex), TestRows)
	}
	return ex, nil
}

// checksum returns the SHA-256 listed for name in dir/SHA256SUMS (lines "hex  name" or "hex *name").
func checksum(dir, name string) (string, error) {
	sums := filepath.Join(dir, "SHA256SUMS")
	data, err := os.ReadFile(sums)
	if err != nil {
		return "", fmt.Errorf("listops: reading checksums: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) == 2 && strings.TrimPrefix(f[1], "*") == name {
			return strings.ToLower(f[0]), nil
		}
	}
	return "", fmt.Errorf("listops: %s has no entry for %s", sums, name)
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
