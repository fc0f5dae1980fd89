// Package store finds, fetches, imports and verifies the files of the data sets.
//
// A data set (Dataset) is a list of files, each known by its SHA-256. Small data sets ship inside the
// binary (Dataset.Embedded); the larger ones live in one data root, a folder chosen by Root: an explicit
// folder (the command line's --data), else $REINMAX_DATA_DIR, else the folder reinmax in the user's cache
// folder (os.UserCacheDir). The files of data set NAME are ROOT/NAME/FILE.
//
// Before a file is declared missing it is looked for in the data root and then in the places where a
// package installs it (Dataset.Places: a Debian package, a Go module in the module cache), and every
// Found says where the file came from. Every file is verified by SHA-256 before it is used.
//
// Nothing downloads unless asked: Fetch downloads the files from the data set's public location into the
// data root, resuming a partial download, and Import copies them from a folder the user has. Both write a
// file under a distinct name (FILE.partial), verify it and only then rename it into place, under a lock
// that keeps a second fetch or import of the same data set out, so a killed or failed run never leaves a
// half file where a loader looks.
package store // import "github.com/f60e9205/reinmax/data/store"
