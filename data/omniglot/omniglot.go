package omniglot

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/data/npy"
	"github.com/f60e9205/reinmax/data/store"
)

// Sizes of the data.
const (
	Rows, Cols    = 28, 28 // size of the images Load returns
	SrcSize       = 105    // the originals are SrcSize x SrcSize
	Background    = 964    // characters in images_background.npz
	Evaluation    = 659    // characters in images_evaluation.npz
	Characters    = 1623   // Background + Evaluation
	Drawings      = 20     // drawings of each character
	TrainDrawings = 15     // drawings 0 to 14 train, 15 to 19 test
	TrainLen      = 24345  // Characters * TrainDrawings
	TestLen       = 8115   // Characters * (Drawings - TrainDrawings)
)

// Provenance is the sentence to print with every result obtained on these sets.
const Provenance = "Omniglot: our reconstruction of the 28x28 Omniglot, not Burda et al.'s exact pixels " +
	"(105x105 originals area-averaged to 28x28, strokes = 1; drawings 0-14 of each of the 1,623 characters " +
	"for training (24,345), 15-19 for test (8,115; Burda's test set has 8,070))"

// part is one of the two files.
type part struct {
	file   string
	sha256 string // from shared/data/SHA256SUMS, the project's record of the files it received
	chars  int
	first  int // label of its first character
}

// parts are the two files; the SHA-256 values are copied from shared/data/SHA256SUMS (a test
// checks that the embedded copies still have them).
var parts = [2]part{
	{"images_background.npz", "8bf84167413cd00beacdce3fe582f780ab538d8dbef043a6d688f2527bbce199", Background, 0},
	{"images_evaluation.npz", "0b84c7ffd94c4841c0040e529c86a82eaaccb986d8eadad5673f7991b7475276", Evaluation, Background},
}

// files holds the two originals, shipped inside the package; embedded/PROVENANCE.md says where they
// come from and embedded/LICENSE under which terms.
//
//go:embed embedded/images_background.npz embedded/images_evaluation.npz
var files embed.FS

// Dataset describes the two files for package store: they are embedded, so the data set needs no
// data root and cannot be missing.
func Dataset() store.Dataset {
	d := store.Dataset{
		Name:  "omniglot",
		Title: "Omniglot",
		About: "Lake, Salakhutdinov, Tenenbaum 2015: 1,623 characters x 20 drawings, 105x105; MIT, (c) 2015 Brenden Lake",
		Embedded: func(name string) ([]byte, error) {
			return files.ReadFile("embedded/" + name)
		},
	}
	for _, p := range parts {
		d.Files = append(d.Files, store.File{Name: p.file, SHA256: []string{p.sha256}})
	}
	return d
}

// Source says where to find images_background.npz and images_evaluation.npz.
type Source struct {
	// Dir, when not empty, is a folder holding the two files, read instead of the copies embedded
	// in the package.
	Dir string
}

// Load builds both sets from the copies embedded in the package; see Source.
func Load() (train, test *images.Set, err error) {
	return Source{}.Load()
}

// Load reads and checks both files and builds the training and test sets of our
// reconstruction of the 28x28 Omniglot, not Burda et al.'s exact pixels (see the package
// documentation and Provenance). The two files are decoded concurrently. The returned error,
// if any, names the file at fault.
func (s Source) Load() (train, test *images.Set, err error) {
	d := Dataset()
	var places []store.Place
	if s.Dir != "" {
		d.Embedded = nil
		places = []store.Place{{Dir: s.Dir, Origin: "Source.Dir"}}
	}
	// Check both files before decoding either, so that a bad file fails fast.
	b, found, err := d.Read(places, parts[0].file, parts[1].file)
	if err != nil {
		return nil, nil, fmt.Errorf("omniglot: %w", err)
	}
	train = &images.Set{Images: make([]float32, TrainLen*Rows*Cols), Labels: make([]int, TrainLen), N: TrainLen, Rows: Rows, Cols: Cols}
	test = &images.Set{Images: make([]float32, TestLen*Rows*Cols), Labels: make([]int, TestLen), N: TestLen, Rows: Rows, Cols: Cols}
	var errs [len(parts)]error
	var wg sync.WaitGroup
	for k, p := range parts {
		name := found[k].Path
		if name == "" {
			name = p.file
		}
		wg.Go(func() { errs[k] = p.decode(b[k], name, train, test) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	return train, test, nil
}

// decode decodes b, the checked bytes of the file at path (its name, if embedded), into the rows of train and test
// that belong to its characters. Since the file is known good, an error here points at a bug
// in this package or in package npy.
func (p part) decode(b []byte, path string, train, test *images.Set) error {
	a, err := npy.NewArchive(bytes.NewReader(b), int64(len(b)), path)
	if err != nil {
		return fmt.Errorf("omniglot: %w", err)
	}
	if err := p.checkLabels(a, path); err != nil {
		return err
	}
	h, rc, err := a.Open("images")
	if err != nil {
		return fmt.Errorf("omniglot: %w", err)
	}
	defer rc.Close()
	if want := []int{p.chars, Drawings, SrcSize, SrcSize}; h.DType != npy.Bool || !slices.Equal(h.Shape, want) {
		return fmt.Errorf("omniglot: %s:images.npy: expected bool %v, got %s %v", path, want, h.DType, h.Shape)
	}
	r := bufio.NewReaderSize(rc, 1<<16)
	img := make([]byte, SrcSize*SrcSize)
	avg := new(inkAverager)
	const testDrawings = Drawings - TrainDrawings
	for c := range p.chars {
		label := p.first + c
		for d := range Drawings {
			if _, err := io.ReadFull(r, img); err != nil {
				return fmt.Errorf("omniglot: %s:images.npy: character %d drawing %d: %w", path, c, d, err)
			}
			var dst *images.Set
			var i int
			if d < TrainDrawings {
				dst, i = train, label*TrainDrawings+d
			} else {
				dst, i = test, label*testDrawings+d-TrainDrawings
			}
			avg.average(dst.Image(i), img)
			dst.Labels[i] = label
		}
	}
	// Reading to the end makes the zip reader verify the CRC-32 of the entry.
	if n, err := io.ReadFull(r, img[:1]); n != 0 || err != io.EOF {
		return fmt.Errorf("omniglot: %s:images.npy: expected the end of the data, got %d more bytes (%v)", path, n, err)
	}
	return nil
}

// checkLabels checks that labels.npy gives character c for every drawing of character c.
func (p part) checkLabels(a *npy.Archive, path string) error {
	l, err := a.Read("labels")
	if err != nil {
		return fmt.Errorf("omniglot: %w", err)
	}
	v, err := l.Int64s()
	if want := []int{p.chars, Drawings}; err != nil || !slices.Equal(l.Shape, want) {
		return fmt.Errorf("omniglot: %s:labels.npy: expected integers %v, got %s %v", path, want, l.DType, l.Shape)
	}
	for i, c := range v {
		if c != int64(i/Drawings) {
			return fmt.Errorf("omniglot: %s:labels.npy: element %d is %d, expected %d (the character index)", path, i, c, i/Drawings)
		}
	}
	return nil
}
