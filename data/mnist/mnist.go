package mnist

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/f60e9205/reinmax/data/idx"
	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/data/store"
)

// Name names a data set.
type Name int

const (
	MNIST   Name = iota // LeCun's handwritten digits
	Fashion             // Zalando's Fashion-MNIST
)

// String returns "MNIST" or "Fashion-MNIST".
func (n Name) String() string {
	switch n {
	case MNIST:
		return "MNIST"
	case Fashion:
		return "Fashion-MNIST"
	}
	return fmt.Sprintf("Name(%d)", int(n))
}

// Split is one of the two published parts of a data set.
type Split int

const (
	Train Split = iota // the 60,000 training images
	Test               // the 10,000 test images
)

// String returns "train" or "test".
func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Test:
		return "test"
	}
	return fmt.Sprintf("Split(%d)", int(s))
}

// Sizes of both data sets.
const (
	Rows     = 28
	Cols     = 28
	TrainLen = 60000
	TestLen  = 10000
)

// Source says where to find the files of one data set.
type Source struct {
	Name Name

	// Dir, when not empty, is the only folder read: it holds train-images-idx3-ubyte.gz,
	// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.
	Dir string

	// Root is the data root, used when Dir is empty: an explicit folder, or "" for the default
	// ($REINMAX_DATA_DIR, else the user cache folder; see store.Root). The files are looked for in
	// its folder Dataset(Name).Name, then where a package installs them: for MNIST the GoMNIST
	// module in the Go module cache, for Fashion-MNIST Debian's dataset-fashion-mnist.
	Root string
}

// Load loads one split of a data set from the default data root or the places where packages install
// it; see Source.
func Load(name Name, split Split) (*images.Set, error) {
	return Source{Name: name}.Load(split)
}

// LoadRoot loads one split of a data set from the data root root ("" for the default) or the places
// where packages install it; see Source.Root.
func LoadRoot(root string, name Name, split Split) (*images.Set, error) {
	return Source{Name: name, Root: root}.Load(split)
}

// Load reads, verifies and decodes one split. The returned error, if any, names the files at
// fault and says how to get good copies.
func (s Source) Load(split Split) (*images.Set, error) {
	set, _, err := s.Read(split)
	return set, err
}

// Read is Load that also says where each of the two files (labels, then images) came from.
func (s Source) Read(split Split) (*images.Set, []store.Found, error) {
	var prefix string
	var n int
	switch split {
	case Train:
		prefix, n = "train", TrainLen
	case Test:
		prefix, n = "t10k", TestLen
	default:
		panic("mnist: unknown Split")
	}
	d := Dataset(s.Name)
	places := d.Search(s.Root)
	if s.Dir != "" {
		places = []store.Place{{Dir: s.Dir, Origin: "Source.Dir"}}
	}
	// The small labels file first: a bad file fails before the images are decompressed.
	names := []string{prefix + "-labels-idx1-ubyte.gz", prefix + "-images-idx3-ubyte.gz"}
	b, found, err := d.Read(places, names...)
	if err != nil {
		return nil, nil, fmt.Errorf("mnist: %w", err)
	}
	labels, err := decode(b[0], found[0], []int{n})
	if err != nil {
		return nil, nil, err
	}
	pixels, err := decode(b[1], found[1], []int{n, Rows, Cols})
	if err != nil {
		return nil, nil, err
	}
	set := &images.Set{Images: make([]float32, len(pixels.Data)), Labels: make([]int, n), N: n, Rows: Rows, Cols: Cols}
	for i, l := range labels.Data {
		if l > 9 {
			return nil, nil, fmt.Errorf("mnist: %s: label %d is %d, expected 0 to 9", found[0].Path, i, l)
		}
		set.Labels[i] = int(l)
	}
	var grey [256]float32
	for i := range grey {
		grey[i] = float32(i) / 255
	}
	for i, b := range pixels.Data {
		set.Images[i] = grey[b]
	}
	return set, found, nil
}

// decode decodes b, the verified bytes of the file f, as a uint8 IDX array of the given sizes.
// Since the file is known good, an error points at a bug in this package or in package idx.
func decode(b []byte, f store.Found, dims []int) (*idx.Array, error) {
	name := f.Path
	if name == "" {
		name = f.File
	}
	a, err := idx.Decode(bytes.NewReader(b), name)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	if a.Type != idx.Uint8 || !slices.Equal(a.Dims, dims) {
		return nil, fmt.Errorf("mnist: %s: expected uint8 sizes %v, got %s %v", name, dims, a.Type, a.Dims)
	}
	return a, nil
}
