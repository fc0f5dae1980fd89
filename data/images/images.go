// Package images holds a labelled set of equally sized grey images, the form in which the image data sets of this
// module (MNIST, Fashion-MNIST, Omniglot) are loaded.
package images // import "github.com/f60e9205/reinmax/data/images"

import (
	"errors"
	"fmt"
)

// Set is N grey images of Rows x Cols pixels with a class label each.
type Set struct {
	// Images holds the grey levels in [0,1], image i at Images[i*Rows*Cols : (i+1)*Rows*Cols], each row-major.
	Images []float32
	// Labels holds the N class labels.
	Labels []int

	N, Rows, Cols int
}

// Image returns image i, a slice of s.Images of length Rows*Cols.
func (s *Set) Image(i int) []float32 {
	d := s.Rows * s.Cols
	return s.Images[i*d : (i+1)*d : (i+1)*d]
}

// Slice returns the images lo to hi-1 of s as a Set that shares memory with s. It panics unless
// 0 <= lo <= hi <= s.N.
func (s *Set) Slice(lo, hi int) *Set {
	if lo < 0 || lo > hi || hi > s.N {
		panic(fmt.Sprintf("images: Slice(%d, %d) of a set of %d images", lo, hi, s.N))
	}
	d := s.Rows * s.Cols
	return &Set{
		Images: s.Images[lo*d : hi*d : hi*d],
		Labels: s.Labels[lo:hi:hi],
		N:      hi - lo,
		Rows:   s.Rows,
		Cols:   s.Cols,
	}
}

// SplitLast returns the first s.N-n images of s and the last n, both sharing memory with s: the usual way of
// holding out a validation set from a training set. It panics unless 0 <= n <= s.N.
func (s *Set) SplitLast(n int) (first, last *Set) {
	if n < 0 || n > s.N {
		panic(fmt.Sprintf("images: SplitLast(%d) of a set of %d images", n, s.N))
	}
	return s.Slice(0, s.N-n), s.Slice(s.N-n, s.N)
}

// Limit returns the first n images of s, sharing memory with s, or s itself when n is 0 (no limit) or at least s.N.
// It panics if n < 0.
func (s *Set) Limit(n int) *Set {
	if n == 0 || n >= s.N {
		return s
	}
	return s.Slice(0, n)
}

// TrainTest is a training set and a test set, the images a run trains and tests on.
type TrainTest struct {
	Train, Test *Set
}

// Limit returns the first train training images and the first test test images (0 keeps a whole set, as in
// Set.Limit), or an error when a set is missing, fewer than batch training images remain, or no test image.
func (d TrainTest) Limit(train, test, batch int) (TrainTest, error) {
	if d.Train == nil || d.Test == nil {
		return TrainTest{}, errors.New("no training or no test images")
	}
	out := TrainTest{Train: d.Train.Limit(train), Test: d.Test.Limit(test)}
	if out.Train.N < batch || out.Test.N < 1 {
		return TrainTest{}, fmt.Errorf("need at least one batch of %d training images and one test image, have %d and %d",
			batch, out.Train.N, out.Test.N)
	}
	return out, nil
}
