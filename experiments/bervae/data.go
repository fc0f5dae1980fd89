package bervae

import (
	"fmt"
	"math/rand/v2"

	"github.com/f60e9205/reinmax/data/binarize"
	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/data/omniglot"
)

// Pixels is the number of pixels of a 28×28 image.
const Pixels = 28 * 28

// Data holds the grey-level splits of one data set: training, validation and test images.
type Data struct {
	Name               string
	Train, Valid, Test *images.Set
}

// Load reads a data set and splits it as the protocol does: MNIST and Fashion-MNIST keep the last 10,000 of
// their 60,000 training images for validation; Omniglot (our reconstruction of the 28×28 set, see package omniglot)
// keeps the last 1,345.
// MNIST and Fashion-MNIST are read from the data root (see package data/store); Omniglot ships with the module.
func Load(dataset, root string) (Data, error) {
	switch dataset {
	case "mnist", "fashion":
		name := mnist.MNIST
		if dataset == "fashion" {
			name = mnist.Fashion
		}
		all, err := mnist.LoadRoot(root, name, mnist.Train)
		if err != nil {
			return Data{}, err
		}
		test, err := mnist.LoadRoot(root, name, mnist.Test)
		if err != nil {
			return Data{}, err
		}
		train, valid := mnist.SplitValid(all)
		return Data{Name: dataset, Train: train, Valid: valid, Test: test}, nil
	case "omniglot":
		all, test, err := omniglot.Load()
		if err != nil {
			return Data{}, err
		}
		train, valid := omniglot.SplitValid(all)
		return Data{Name: dataset, Train: train, Valid: valid, Test: test}, nil
	}
	return Data{}, fmt.Errorf("bervae: unknown dataset %q", dataset)
}

// trainLen is the number of training images of a data set under the protocol's split.
func trainLen(dataset string) int {
	if dataset == "omniglot" {
		return omniglot.TrainLen - omniglot.ValidSize
	}
	return mnist.TrainLen - mnist.ValidSize
}

// evalSeed seeds the single binarisation of the validation and test images, the same for every run so that all
// runs are evaluated on the same pixels.
const evalSeed = 0x5eed

// binarized returns one Bernoulli draw of the images' pixels from the generator seeded by (a, b).
func binarized(im *images.Set, a, b uint64) *images.Set {
	out := *im
	out.Images = binarize.Fixed(im.Images, rand.New(rand.NewPCG(a, b)))
	return &out
}
