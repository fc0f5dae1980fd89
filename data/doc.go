// Package data groups the data sets of the experiments; the loaders live in its sub-packages.
//
//	store      the data root: finds, fetches, imports and verifies the files of the data sets
//	idx        decoder of LeCun's IDX format (the MNIST files), gzip-compressed or not
//	npy        reader of NumPy .npy arrays and .npz archives
//	mnist      MNIST and Fashion-MNIST, 28x28, checksummed
//	omniglot   our reconstruction of the 28x28 Omniglot from the 105x105 originals (embedded)
//	binarize   Bernoulli binarisation x_b = 1[u < x], dynamic or fixed
//	listops    ListOps expressions: the official test split (embedded), generator, evaluator
//	images     a labelled set of equally sized grey images, the form the image loaders return
//
// The package itself holds what the decoders share: ReadAtMost, a reader that does not trust a file's
// announced size, and IsEOF.
//
// The image packages are plain Go (no GoMLX) and return float32 grey levels in [0,1]. The small data
// sets (Omniglot, the ListOps test split) ship inside their packages; MNIST and Fashion-MNIST are found
// in the data root or where a package installs them (the Go module cache, a Debian package), or
// fetched into the data root on request (package store). Every file is checked against its SHA-256.
package data // import "github.com/f60e9205/reinmax/data"
