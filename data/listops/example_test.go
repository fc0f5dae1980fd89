package listops_test

import (
	"fmt"

	"github.com/f60e9205/reinmax/data/listops"
)

func ExampleParse() {
	n, err := listops.Parse("( ( ( ( [SM 1 ) ( ( ( [MED 3 ) 8 ) ] ) ) 5 ) ] )")
	if err != nil {
		panic(err)
	}
	fmt.Println(n)
	fmt.Println(n.Eval(), n.Len(), n.Depth())
	fmt.Println(n.Tokens())
	// Output:
	// [SM 1 [MED 3 8 ] 5 ]
	// 1 8 3
	// [[SM 1 [MED 3 8 ] 5 ]]
}

func ExampleMergeTree() {
	n, _ := listops.Parse("[MAX 2 9 ]")
	gold := n.Tree()
	fmt.Println(gold, gold.Merges())

	// A model that first joins "2 9", then "(2 9) ]".
	tree, err := listops.MergeTree(n.Tokens(), []int{1, 1, 0})
	if err != nil {
		panic(err)
	}
	fmt.Println(tree)
	fmt.Print(tree.Indent())
	// Output:
	// ( ( ( [MAX 2 ) 9 ) ] ) [0 0 0]
	// ( [MAX ( ( 2 9 ) ] ) )
	// *
	// |-- [MAX
	// `-- *
	//     |-- *
	//     |   |-- 2
	//     |   `-- 9
	//     `-- ]
}

func ExampleGenerator() {
	train, valid, err := listops.Generator{}.Split(1000, 100, 1)
	if err != nil {
		panic(err)
	}
	s := listops.Describe(train)
	fmt.Println(len(train), len(valid), s.MaxLen < listops.MaxTokens, s.MaxDepth <= 20)
	// Output:
	// 1000 100 true true
}
