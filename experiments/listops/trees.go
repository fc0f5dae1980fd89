package listops

import (
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"fmt"
	"io"
	"strings"

	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
)

// Tree renderings: how many test expressions, and their length range (short enough to read).
const (
	treeCount  = 5
	treeMinLen = 6
	treeMaxLen = 14
)

// pickTrees returns the indices of the first treeCount expressions of ex with treeMinLen to treeMaxLen tokens.
func pickTrees(ex []listopsdata.Example) []int {
	var out []int
	for i, e := range ex {
		if n := len(e.Tokens); n >= treeMinLen && n <= treeMaxLen {
			out = append(out, i)
			if len(out) == treeCount {
				break
			}
		}
	}
	return out
}

// writeTrees writes RenderTrees of the final record's run for a few test expressions to path, atomically.
func writeTrees(path string, rec Epoch, test []listopsdata.Example, parses []parse) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		fmt.Fprintf(w, "%s: test accuracy %.2f%%, tree F1 %.3f (greedy parsing, %d epochs)\n\n",
			rec.Label(), 100*rec.Test.Acc, rec.Test.TreeF1, rec.Epochs)
		for k, i := range pickTrees(test) {
			e := test[i]
			induced, err := listopsdata.MergeTree(e.Tokens, parses[i].merges)
			if err != nil {
				return err
			}
			if k > 0 {
				fmt.Fprintln(w)
			}
			io.WriteString(w, RenderTrees(e, induced, parses[i].pred))
		}
		return nil
	})
}

// RenderTrees draws the gold tree of an expression beside a tree induced by a model, one node per line
// (listopsdata.Tree.Indent), under a header with the expression, its value, the model's prediction and the number of
// the gold tree's non-trivial spans the induced tree shares.
func RenderTrees(e listopsdata.Example, induced *listopsdata.Tree, pred int) string {
	gold := e.Expr.Tree()
	var b strings.Builder
	total := len(gold.Spans()) - 1
	shared := int(spanAgreement(gold, induced)*float64(total) + 0.5)
	fmt.Fprintf(&b, "%s   value %d, predicted %d, %d of %d gold spans found\n", e.Expr, e.Label, pred, shared, total)
	left := strings.Split(strings.TrimSuffix(gold.Indent(), "\n"), "\n")
	right := strings.Split(strings.TrimSuffix(induced.Indent(), "\n"), "\n")
	wide := len("gold")
	for _, l := range left {
		wide = max(wide, len([]rune(l)))
	}
	row := func(l, r string) {
		fmt.Fprintf(&b, "  %s%s   %s\n", l, strings.Repeat(" ", wide-len([]rune(l))), r)
	}
	row("gold", "induced")
	for i := range max(len(left), len(right)) {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		row(l, r)
	}
	return b.String()
}
