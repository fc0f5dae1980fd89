package mnist

// Set is a set of grey images with their class labels.
type Set struct {
	// Images holds N images of Rows x Cols grey levels in [0,1] (the stored byte divided by
	// 255), image i at Images[i*Rows*Cols : (i+1)*Rows*Cols], each row-major. For MNIST the
	// digits are bright (near 1) on a dark (0) background.
	Images []float32

	// Labels holds the N class labels, 0 to 9.
	Labels []uint8

	N, Rows, Cols int
}

// Image returns image i, a slice of s.Images of length Rows*Cols.
func (s *Set) Image(i int) []float32 {
	d := s.Rows * s.Cols
	return s.Images[i*d : (i+1)*d : (i+1)*d]
}

// Slice returns the images lo to hi-1 of s as a Set that shares memory with s. It panics if
// 0 <= lo <= hi <= s.N does not hold.
func (s *Set) Slice(lo, hi int) *Set {
	if lo < 0 || lo > hi || hi > s.N {
		panic("mnist: Slice bounds out of range")
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

// ValidSize is the number of training images held out for validation: the last 10,000 of the
// 60,000, leaving 50,000 for training (the RODEO protocol, reference section 3.4).
const ValidSize = 10000

// SplitValid returns the first s.N-ValidSize images of s as the training set and the last
// ValidSize as the validation set; both share memory with s. It panics if s.N < ValidSize.
func SplitValid(s *Set) (train, valid *Set) {
	if s.N < ValidSize {
		panic("mnist: SplitValid of a set with fewer than ValidSize images")
	}
	return s.Slice(0, s.N-ValidSize), s.Slice(s.N-ValidSize, s.N)
}
