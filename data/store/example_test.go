package store_test

import (
	"fmt"

	"github.com/f60e9205/reinmax/data/listops"
	"github.com/f60e9205/reinmax/data/store"
)

func ExampleRoot() {
	root, err := store.Root("/srv/reinmax-data") // as given with --data
	fmt.Println(root, err)
	// Output: /srv/reinmax-data <nil>
}

func ExampleDataset_Read() {
	d := listops.Dataset() // embedded: no place on disk is searched
	b, found, err := d.Read(nil, "test_d20s.tsv")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(b[0]), "bytes,", found[0].Origin)
	// Output: 2804179 bytes, embedded in the binary
}
