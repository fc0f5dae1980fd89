// Package listops reads, evaluates, generates and renders ListOps expressions (Nangia & Bowman 2018).
//
// A ListOps expression is a prefix-notation tree over four operators and the digits 0-9:
//
//	[MIN a1 ... ak ]   minimum
//	[MAX a1 ... ak ]   maximum
//	[MED a1 ... ak ]   median; for even k the floor of the mean of the two middle values
//	[SM  a1 ... ak ]   sum modulo 10
//
// The published files write each line as label<TAB>expression, where the expression carries
// parentheses that make it a binary tree: an operator token is paired with its first argument,
// the pair with the next argument, and so on, and finally with the closing bracket:
//
//	[MAX 2 9 ]  is written  ( ( ( [MAX 2 ) 9 ) ] )
//
// The model sees the expression without parentheses, as a sequence of tokens from a fixed
// vocabulary of 16 ids (id 0 is padding), and the target is the value of the expression.
//
// The package is plain Go: it has a tokenizer (Tokenize), a parser to an expression tree (Parse,
// Node), an evaluator (Node.Eval), the official test split, embedded and checksummed (OfficialTest),
// a reader and writer of the tsv format (Read, Write), a seedable generator of new, unique
// expressions with the grammar of the original data (Generator), and a binary-tree type for
// displaying both the gold bracketing and the merge decisions of a tree-structured model (Tree).
//
// References: N. Nangia and S. R. Bowman, "ListOps: A Diagnostic Dataset for Latent Tree
// Learning", NAACL SRW 2018 (https://arxiv.org/abs/1804.06028).
package listops // import "github.com/f60e9205/reinmax/data/listops"
