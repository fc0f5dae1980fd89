package mnist_test

import (
	"fmt"

	"github.com/f60e9205/reinmax/data/mnist"
)

func ExampleLoad() {
	test, err := mnist.Load(mnist.MNIST, mnist.Test)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(test.N, test.Rows, test.Cols, test.Labels[:5])
	// Output: 10000 28 28 [7 2 1 0 4]
}
