package omniglot

// Set is a set of 28x28 Omniglot images with their character labels.
type Set struct {
	// Images holds N images of Rows x Cols grey levels in [0,1], strokes near 1 and paper 0,
	// image i at Images[i*Rows*Cols : (i+1)*Rows*Cols], each row-major.
	Images []float32

	// Labels holds the character of each image, 0 to 1622 (0 to 963 the background characters,
	// 964 to 1622 the evaluation ones).
	Labels []int

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
		panic("omniglot: Slice bounds out of range")
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

// ValidSize is the number of training images held out for validation: the last 1,345, as the
// reference's Bernoulli-VAE code does with Burda's 24,345 training images (section 3.4). In our
// character-major order they are the last 10 drawings of character 1533 and all 15 of
// characters 1534 to 1622 (evaluation alphabets), so validation characters are not trained on.
const ValidSize = 1345

// SplitValid returns the first s.N-ValidSize images of s as the training set and the last
// ValidSize as the validation set; both share memory with s. It panics if s.N < ValidSize.
func SplitValid(s *Set) (train, valid *Set) {
	if s.N < ValidSize {
		panic("omniglot: SplitValid of a set with fewer than ValidSize images")
	}
	return s.Slice(0, s.N-ValidSize), s.Slice(s.N-ValidSize, s.N)
}
