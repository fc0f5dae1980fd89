package npy_test

import (
	"bytes"
	"fmt"

	"github.com/f60e9205/reinmax/data/npy"
)

func ExampleRead() {
	// What numpy.save writes for np.array([[1, 2], [3, 4]], dtype=np.uint8): magic, version 1.0,
	// header length 118, the header padded to 128 bytes in all, then the 4 data bytes.
	header := "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }"
	for len(header) < 117 {
		header += " "
	}
	file := append([]byte("\x93NUMPY\x01\x00\x76\x00"), header+"\n"...)
	file = append(file, 1, 2, 3, 4)

	a, err := npy.Read(bytes.NewReader(file), "x.npy")
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := a.Float32s()
	fmt.Println(a.DType, a.Shape, v)
	// Output: |u1 [2 2] [1 2 3 4]
}
