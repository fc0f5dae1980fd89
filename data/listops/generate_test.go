package listops

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func keysOf(ex []Example) []string {
	k := make([]string, len(ex))
	for i, e := range ex {
		k[i] = e.Expr.String()
	}
	return k
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	a, errA := Generator{}.Generate(300, 7)
	b, errB := Generator{}.Generate(300, 7)
	c, errC := Generator{}.Generate(300, 8)
	p, errP := Generator{}.Generate(120, 7)
	if errA != nil || errB != nil || errC != nil || errP != nil {
		t.Fatal(errA, errB, errC, errP)
	}
	ka, kb, kc, kp := keysOf(a), keysOf(b), keysOf(c), keysOf(p)
	if !slices.Equal(ka, kb) {
		t.Errorf("seed 7 gave two different sets")
	}
	if slices.Equal(ka, kc) {
		t.Errorf("seeds 7 and 8 gave the same set")
	}
	if !slices.Equal(kp, ka[:120]) {
		t.Errorf("Generate(120, 7) is not the prefix of Generate(300, 7)")
	}
	// The start of seed 1's stream, recorded from this implementation (math/rand/v2 PCG is
	// specified bit for bit, so a change here means the generator itself changed).
	first, err := Generator{}.Generate(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := first[0].Expr.String(), "[MIN 0 8 ]"; got != want {
		t.Errorf("Generate(1, 1) = %s, want %s", got, want)
	}
}

// checkGrammar checks the limits of g (with defaults applied) on every example.
func checkGrammar(t *testing.T, g Generator, ex []Example) {
	t.Helper()
	g, err := g.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool, len(ex))
	for i, e := range ex {
		key := e.Expr.String()
		if seen[key] {
			t.Fatalf("example %d: %s repeats", i, key)
		}
		seen[key] = true
		if !e.Expr.Tok.IsOp() {
			t.Fatalf("example %d: root %v is not an operator", i, e.Expr.Tok)
		}
		if d := e.Expr.Depth(); d > g.MaxDepth {
			t.Fatalf("example %d: depth %d > %d: %s", i, d, g.MaxDepth, key)
		}
		if g.MaxTokens > 0 && len(e.Tokens) >= g.MaxTokens {
			t.Fatalf("example %d: %d tokens, want fewer than %d", i, len(e.Tokens), g.MaxTokens)
		}
		if e.Label != e.Expr.Eval() || !slices.Equal(e.Tokens, e.Expr.Tokens()) {
			t.Fatalf("example %d: label %d or tokens %v inconsistent with %s", i, e.Label, e.Tokens, key)
		}
		var walk func(n *Node)
		walk = func(n *Node) {
			if n.Tok.IsDigit() {
				if len(n.Args) != 0 {
					t.Fatalf("example %d: digit with arguments in %s", i, key)
				}
				return
			}
			if k := len(n.Args); k < g.MinArgs || k > g.MaxArgs {
				t.Fatalf("example %d: %d arguments, want %d..%d: %s", i, k, g.MinArgs, g.MaxArgs, key)
			}
			for _, a := range n.Args {
				walk(a)
			}
		}
		walk(e.Expr)
	}
}

func TestGenerateGrammar(t *testing.T) {
	t.Parallel()
	for _, g := range []Generator{
		{},
		{MinArgs: 1, MaxArgs: 3, MaxDepth: 4, MaxTokens: 30},
		{MinArgs: 3, MaxArgs: 3, OpProb: 0.3, MaxDepth: 3},
		{MaxTokens: -1, MaxDepth: 6},
	} {
		ex, err := g.Generate(2000, 11)
		if err != nil {
			t.Fatalf("%+v: %v", g, err)
		}
		checkGrammar(t, g, ex)
	}
	// The default generator reaches its limits: 5 arguments, depth 20 is rare, so check a larger
	// set for the extremes that the limits allow.
	ex, err := Generator{}.Generate(20000, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkGrammar(t, Generator{}, ex)
	s := Describe(ex)
	if s.MaxLen != MaxTokens-1 || s.Args[2] == 0 || s.Args[5] == 0 || len(s.Args) != 4 {
		t.Errorf("20000 default examples do not span the grammar: %v", s)
	}
}

func TestSplitDisjoint(t *testing.T) {
	t.Parallel()
	train, valid, err := Generator{}.Split(3000, 500, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(train) != 3000 || len(valid) != 500 {
		t.Fatalf("Split sizes %d, %d", len(train), len(valid))
	}
	inTrain := Keys(train)
	for _, e := range valid {
		if inTrain[e.Expr.String()] {
			t.Fatalf("%s is in both splits", e.Expr)
		}
	}
	alone, err := Generator{}.Generate(3000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keysOf(alone), keysOf(train)) {
		t.Errorf("the training split depends on the size of the validation split")
	}
	// Appending to train must not overwrite valid.
	train = append(train, valid[0])
	if &train[len(train)-1] == &valid[0] {
		t.Errorf("train and valid share their backing array past len(train)")
	}
}

// TestExcludeOfficial generates with and without the official test expressions excluded.
// Without, short expressions are drawn again (186 of 10,000 for seed 1, measured); with, none.
func TestExcludeOfficial(t *testing.T) {
	t.Parallel()
	test := Keys(officialTest(t))
	overlap := func(ex []Example) int {
		n := 0
		for _, e := range ex {
			if test[e.Expr.String()] {
				n++
			}
		}
		return n
	}
	free, err := Generator{}.Generate(10000, 1)
	if err != nil {
		t.Fatal(err)
	}
	safe, err := Generator{Exclude: test}.Generate(10000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n := overlap(free); n == 0 {
		t.Errorf("no overlap without Exclude: the test cannot tell Exclude works")
	}
	if n := overlap(safe); n != 0 {
		t.Errorf("%d expressions of the official test split generated despite Exclude", n)
	}
	t.Logf("overlap with the official test split, 10000 generated: %d without Exclude, %d with", overlap(free), overlap(safe))
}

func TestGenerateErrors(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		g       Generator
		n       int
		wantErr string
	}{
		{Generator{MinArgs: 4, MaxArgs: 3}, 1, "MinArgs <= MaxArgs"},
		{Generator{MinArgs: -1}, 1, "MinArgs <= MaxArgs"},
		{Generator{OpProb: 1}, 1, "want 0 < OpProb < 1"},
		{Generator{OpProb: -0.1}, 1, "want 0 < OpProb < 1"},
		{Generator{OpProb: math.NaN()}, 1, "want 0 < OpProb < 1"},
		{Generator{MaxDepth: 1}, 1, "MaxDepth 1: want >= 2"},
		{Generator{MaxTokens: 4}, 1, "MaxTokens 4: want > 4"},
		// Depth 2, two arguments, fewer than 5 tokens: only [OP d d ], 4*10*10 = 400 expressions.
		{Generator{MaxArgs: 2, MaxDepth: 2, MaxTokens: 5}, 401, "found only 400 of 401 unique expressions"},
	} {
		if _, err := test.g.Generate(test.n, 1); err == nil || !strings.Contains(err.Error(), test.wantErr) {
			t.Errorf("%+v: error %v, want one containing %q", test.g, err, test.wantErr)
		}
	}
	ex, err := Generator{MaxArgs: 2, MaxDepth: 2, MaxTokens: 5}.Generate(400, 1)
	if err != nil || len(ex) != 400 {
		t.Errorf("all 400 expressions of the smallest grammar: %d, %v", len(ex), err)
	}
}

// TestDrawLaw checks the grammar's probabilities on raw draws (no uniqueness, no length
// limit): every choice is uniform or Bernoulli, so each pooled frequency is within 5 binomial
// standard errors sqrt(p(1-p)/N) of its probability (a false alarm has probability < 1e-6 per
// check).
func TestDrawLaw(t *testing.T) {
	t.Parallel()
	g, err := Generator{MaxTokens: -1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(42, 43))
	var (
		eligible, ops int // arguments that could be operators, and those that are
		args          [6]int
		kinds         [4]int
		digits        [10]int
		opNodes       int
	)
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		if n.Tok.IsDigit() {
			digits[n.Tok.Value()]++
			return
		}
		opNodes++
		args[len(n.Args)]++
		kinds[n.Tok-OpMin]++
		for _, a := range n.Args {
			if depth+1 < g.MaxDepth {
				eligible++
				if a.Tok.IsOp() {
					ops++
				}
			} else if a.Tok.IsOp() {
				t.Fatalf("operator at depth %d > %d", depth+1, g.MaxDepth-1)
			}
			walk(a, depth+1)
		}
	}
	for range 20000 {
		walk(g.draw(rng), 1)
	}
	check := func(name string, count, total int, p float64) {
		got := float64(count) / float64(total)
		tol := 5 * math.Sqrt(p*(1-p)/float64(total))
		if !(math.Abs(got-p) <= tol) {
			t.Errorf("%s: frequency %.4f of %d, want %.4f +- %.4f", name, got, total, p, tol)
		}
	}
	check("operator argument", ops, eligible, 0.25)
	for k := 2; k <= 5; k++ {
		check("arity "+string(rune('0'+k)), args[k], opNodes, 0.25)
	}
	for i, c := range kinds {
		check(ops4[i].String(), c, opNodes, 0.25)
	}
	nDigits := 0
	for _, c := range digits {
		nDigits += c
	}
	for d, c := range digits {
		check("digit "+string(rune('0'+d)), c, nDigits, 0.1)
	}
}

var ops4 = [4]Token{OpMin, OpMax, OpMed, OpSM}

// TestLabelsMatchOfficial compares the label histogram of 20,000 generated expressions with
// that of the official rows of fewer than 100 tokens by a chi-square test of homogeneity
// (9 degrees of freedom; 27.88 is the 0.999 quantile, so a false alarm has probability 0.001).
// Lengths and depths are logged, not tested: a unique set is longer on average the larger it
// is (short expressions run out), so they depend on the set size (see the package report).
func TestLabelsMatchOfficial(t *testing.T) {
	t.Parallel()
	off := Describe(ShorterThan(officialTest(t), MaxTokens))
	ex, err := Generator{}.Generate(20000, 1)
	if err != nil {
		t.Fatal(err)
	}
	gen := Describe(ex)
	chi2 := 0.0
	for d := range 10 {
		row := float64(off.Labels[d] + gen.Labels[d])
		for _, s := range []Stats{off, gen} {
			want := row * float64(s.N) / float64(off.N+gen.N)
			chi2 += (float64(s.Labels[d]) - want) * (float64(s.Labels[d]) - want) / want
		}
	}
	if !(chi2 < 27.88) {
		t.Errorf("label histograms differ: chi2 = %.2f >= 27.88 (9 dof, p = 0.001)\nofficial  %v\ngenerated %v", chi2, off.Labels, gen.Labels)
	}
	t.Logf("chi2 = %.2f (9 dof)", chi2)
	t.Logf("official < %d: %v", MaxTokens, off)
	t.Logf("generated:     %v", gen)
}
