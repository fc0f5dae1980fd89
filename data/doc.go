// Package data groups the data sets of the experiments; the loaders live in its sub-packages.
//
//	idx        decoder of LeCun's IDX format (the MNIST files), gzip-compressed or not
//	npy        reader of NumPy .npy arrays and .npz archives
//	mnist      MNIST and Fashion-MNIST, 28x28, checksummed
//	omniglot   our reconstruction of the 28x28 Omniglot from the 105x105 originals
//	binarize   Bernoulli binarisation x_b = 1[u < x], dynamic or fixed
//	listops    ListOps expressions: reader of the official test split, generator, evaluator
//	images     a labelled set of equally sized grey images, the form the image loaders return
//
// The package itself holds what the loaders share: SharedDir, the rule that finds the project's shared/data
// folder, and ReadAtMost, a reader that does not trust a file's announced size.
//
// The image packages are plain Go (no GoMLX) and return float32 grey levels in [0,1]. Nothing
// downloads at run time: every file is found on disk (the Go module cache, a Debian package,
// or the project's shared/data folder) and checked against its SHA-256.
package data // import "github.com/f60e9205/reinmax/data"
