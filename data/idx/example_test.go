package idx_test

import (
	"bytes"
	"fmt"

	"github.com/f60e9205/reinmax/data/idx"
)

func ExampleDecode() {
	file := []byte{
		0x00, 0x00, 0x08, 0x02, // magic: uint8 elements, 2 dimensions
		0x00, 0x00, 0x00, 0x02, // 2 rows
		0x00, 0x00, 0x00, 0x03, // 3 columns
		0, 128, 255, 1, 2, 3,
	}
	a, err := idx.Decode(bytes.NewReader(file), "tiny.idx")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Type, a.Dims, a.Data)

	_, err = idx.Decode(bytes.NewReader(file[:15]), "tiny.idx")
	fmt.Println(err)
	// Output:
	// uint8 [2 3] [0 128 255 1 2 3]
	// idx: tiny.idx: data: expected 6 bytes for sizes [2 3] of uint8, got 3 bytes (truncated file)
}
