package omniglot_test

import (
	"fmt"

	"github.com/f60e9205/reinmax/data/omniglot"
)

func ExampleAreaAverage() {
	// A 3x3 image averaged to 2x2: each output pixel covers 1.5 x 1.5 source pixels, so the
	// centre pixel gives a quarter of its area to each output and the corner all of it to one.
	src := []float32{
		9, 0, 0,
		0, 1, 0,
		0, 0, 0,
	}
	dst := make([]float32, 4)
	omniglot.AreaAverage(dst, 2, src, 3)
	// (9*1 + 1*0.25) / 2.25 and 0.25 / 2.25
	fmt.Printf("%.4f %.4f\n%.4f %.4f\n", dst[0], dst[1], dst[2], dst[3])
	// Output:
	// 4.1111 0.1111
	// 0.1111 0.1111
}
