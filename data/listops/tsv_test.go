package listops

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// official loads the official test split, embedded in the package, once for all tests.
var official = sync.OnceValues(OfficialTest)

func officialTest(t *testing.T) []Example {
	t.Helper()
	ex, err := official()
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// TestOfficialRoundTrip checks every row of the official test split against its raw text:
// the label, the bracketed expression (Node.Binary reproduces it byte for byte), the tokens,
// and that Write reproduces the whole file.
func TestOfficialRoundTrip(t *testing.T) {
	t.Parallel()
	ex := officialTest(t)
	raw, err := Dataset().Embedded("test_d20s.tsv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != TestRows || len(ex) != TestRows {
		t.Fatalf("%d lines, %d examples, want %d", len(lines), len(ex), TestRows)
	}
	for i, line := range lines {
		label, expr, _ := strings.Cut(line, "\t")
		e := ex[i]
		if got := e.Expr.Eval(); string(rune('0'+got)) != label || e.Label != got {
			t.Fatalf("line %d: Eval %d, Label %d, file label %s", i+1, got, e.Label, label)
		}
		if got := e.Expr.Binary(); got != expr {
			t.Fatalf("line %d: Binary()\n%s\nwant\n%s", i+1, got, expr)
		}
		toks, err := Tokenize(expr)
		if err != nil || !slices.Equal(toks, e.Tokens) || !slices.Equal(e.Expr.Tokens(), e.Tokens) {
			t.Fatalf("line %d: Tokenize = %v, %v; Tokens %v", i+1, toks, err, e.Tokens)
		}
		back, err := FromTokens(toks)
		if err != nil || back.String() != e.Expr.String() {
			t.Fatalf("line %d: FromTokens = %v, %v", i+1, back, err)
		}
	}
	var b bytes.Buffer
	if err := Write(&b, ex); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), raw) {
		t.Errorf("Write(official) differs from %s", TestFile)
	}
}

// TestOfficialStats checks the statistics of the official split against numbers computed by an
// independent Python parser of the file (parentheses dropped, recursive descent).
func TestOfficialStats(t *testing.T) {
	t.Parallel()
	ex := officialTest(t)
	all := Describe(ex)
	// Python: sum of lengths 428451, sum of depths 55273 (leaves counted), max length 939,
	// labels Counter, operator tokens Counter, argument counts of operator nodes.
	if all.N != 10000 || all.MaxLen != 939 || all.MaxDepth != 20 ||
		!(all.MeanLen == 428451.0/10000) || !(all.MeanDepth == 55273.0/10000) {
		t.Errorf("official: %v", all)
	}
	if all.Labels != [10]int{1127, 1038, 967, 978, 991, 969, 895, 930, 964, 1141} {
		t.Errorf("official labels %v", all.Labels)
	}
	if all.Ops != [4]int{23258, 22972, 22957, 22956} {
		t.Errorf("official operators %v", all.Ops)
	}
	if !maps(all.Args, map[int]int{2: 21731, 3: 22815, 4: 23584, 5: 24013}) {
		t.Errorf("official argument counts %v", all.Args)
	}
	short := Describe(ShorterThan(ex, MaxTokens))
	// Python: 8925 rows with fewer than 100 tokens, sums of lengths 195204 and depths 38510.
	if short.N != 8925 || short.MaxLen != 99 || !(short.MeanLen == 195204.0/8925) || !(short.MeanDepth == 38510.0/8925) {
		t.Errorf("official, fewer than %d tokens: %v", MaxTokens, short)
	}
	if short.Labels != [10]int{988, 927, 877, 870, 893, 871, 800, 835, 851, 1013} {
		t.Errorf("official short labels %v", short.Labels)
	}
	t.Logf("official:       %v", all)
	t.Logf("official < %d: %v", MaxTokens, short)
}

func maps(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMedianRule shows why MED of an even count is the floor of the mean of the two middle
// values: only that rule reproduces every official label. The counts of the other rules are
// those of an independent Python evaluation of the file.
func TestMedianRule(t *testing.T) {
	t.Parallel()
	ex := officialTest(t)
	for _, rule := range []struct {
		name string
		med  func(lo, hi int) int // the two middle values of an even count, lo <= hi
		want int                  // rows whose label the rule reproduces
	}{
		{"floor of mean (int(statistics.median))", func(lo, hi int) int { return (lo + hi) / 2 }, 10000},
		{"lower middle", func(lo, hi int) int { return lo }, 8614},
		{"upper middle", func(lo, hi int) int { return hi }, 8127},
		{"ceiling of mean", func(lo, hi int) int { return (lo + hi + 1) / 2 }, 8883},
	} {
		got := 0
		for _, e := range ex {
			if evalWith(e.Expr, rule.med) == e.Label {
				got++
			}
		}
		if got != rule.want {
			t.Errorf("%s reproduces %d labels, want %d", rule.name, got, rule.want)
		}
	}
}

// evalWith evaluates n with a given even-count median, independently of Node.Eval.
func evalWith(n *Node, med func(lo, hi int) int) int {
	if len(n.Args) == 0 {
		return n.Tok.Value()
	}
	v := make([]int, len(n.Args))
	for i, a := range n.Args {
		v[i] = evalWith(a, med)
	}
	slices.Sort(v)
	switch n.Tok {
	case OpMin:
		return v[0]
	case OpMax:
		return v[len(v)-1]
	case OpSM:
		s := 0
		for _, x := range v {
			s += x
		}
		return s % 10
	}
	if k := len(v); k%2 == 0 {
		return med(v[k/2-1], v[k/2])
	}
	return v[len(v)/2]
}

func TestRead(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		in      string
		want    []string // Node.String of each example
		wantErr string
	}{
		{"", nil, ""},
		{"9\t( ( ( [MAX 2 ) 9 ) ] )\n", []string{"[MAX 2 9 ]"}, ""},
		{"9\t[max 2 9 ]\r\n4\t4", []string{"[MAX 2 9 ]", "4"}, ""},

		{"\n", nil, "listops: f.tsv:1: empty line: want label<TAB>expression"},
		{"9\t9\n\n", nil, "listops: f.tsv:2: empty line: want label<TAB>expression"},
		{"9\t9\n9 9\n", nil, "listops: f.tsv:2: no tab: want label<TAB>expression"},
		{"x\t9\n", nil, `listops: f.tsv:1: label "x": want one digit 0-9`},
		{"10\t9\n", nil, `listops: f.tsv:1: label "10": want one digit 0-9`},
		{"\t9\n", nil, `listops: f.tsv:1: label "": want one digit 0-9`},
		{"9\t\n", nil, "listops: f.tsv:1: empty expression"},
		{"1\t1\n2\t[MAX 2 [FOO ]\n", nil, `listops: f.tsv:2: token 3: unknown token "[FOO": want [MIN, [MAX, [MED, [SM, ], a digit 0-9, ( or )`},
		{"9\t( ( ( [MAX 2 ) 9 ) ]\n", nil, "listops: f.tsv:1: token 9: unbalanced '(': 1 still open at the end"},
		{"9\t( ( ( [MAX 2 ) 9 ) ] ) )\n", nil, "listops: f.tsv:1: token 11: unbalanced ')': no '(' is open"},
		{"9\t[MAX 2 9\n", nil, "listops: f.tsv:1: token 1: operator [MAX is not closed: want ']' before the end"},
		{"3\t[MAX 2 9 ]\n", nil, "listops: f.tsv:1: label 3, but the expression evaluates to 9"},
		{"9\t9\n" + strings.Repeat("1", maxLine+1), nil, "listops: f.tsv:2: line longer than 1048576 bytes"},
	} {
		ex, err := Read(strings.NewReader(test.in), "f.tsv")
		if test.wantErr != "" {
			var se *SyntaxError
			if err == nil || err.Error() != test.wantErr || (!strings.Contains(test.wantErr, "longer") && !errors.As(err, &se)) {
				t.Errorf("Read(%.40q) error %v, want %q", test.in, err, test.wantErr)
			}
			continue
		}
		var got []string
		for _, e := range ex {
			got = append(got, e.Expr.String())
		}
		if err != nil || !slices.Equal(got, test.want) {
			t.Errorf("Read(%q) = %v, %v; want %v", test.in, got, err, test.want)
		}
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestLoadTestErrors checks the errors of a test split read from a folder, and of the checks
// made after its checksum.
func TestLoadTestErrors(t *testing.T) {
	t.Parallel()
	const two = "9\t( ( ( [MAX 2 ) 9 ) ] )\n2\t2\n"
	const bad = "9\t( ( ( [MAX 2 ) 9 ) ] )\n2\t3\n"
	dir := t.TempDir()
	if ex, err := LoadTest(dir); err != nil || len(ex) != TestRows {
		t.Errorf("LoadTest of an empty folder: %d rows, %v; want the embedded split", len(ex), err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "listops"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, TestFile), []byte(two), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTest(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, TestFile)+" (LoadTest's folder): SHA-256 "+sha(two)+", expected "+testSHA256) {
		t.Errorf("LoadTest of another file: %v", err)
	}
	raw, err := Dataset().Embedded("test_d20s.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, TestFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if ex, err := LoadTest(dir); err != nil || len(ex) != TestRows {
		t.Errorf("LoadTest of the published file: %d rows, %v", len(ex), err)
	}
	for _, test := range []struct {
		name, content, wantErr string
	}{
		{"wrong count", two, "f.tsv: 2 rows, want 10000"},
		{"bad row", bad, "f.tsv:2: label 2, but the expression evaluates to 3"},
	} {
		if _, err := parseTest([]byte(test.content), "f.tsv"); err == nil || !strings.Contains(err.Error(), test.wantErr) {
			t.Errorf("%s: parseTest error %v, want one containing %q", test.name, err, test.wantErr)
		}
	}
}

func TestWriteRead(t *testing.T) {
	t.Parallel()
	ex, err := Generator{}.Generate(500, 3)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, ex); err != nil {
		t.Fatal(err)
	}
	back, err := Read(&b, "generated")
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(ex) {
		t.Fatalf("read %d examples back, wrote %d", len(back), len(ex))
	}
	for i := range ex {
		if back[i].Expr.String() != ex[i].Expr.String() || back[i].Label != ex[i].Label || !slices.Equal(back[i].Tokens, ex[i].Tokens) {
			t.Fatalf("example %d: read %v (%d), wrote %v (%d)", i, back[i].Expr, back[i].Label, ex[i].Expr, ex[i].Label)
		}
	}
}
