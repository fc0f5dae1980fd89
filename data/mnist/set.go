package mnist

import "github.com/f60e9205/reinmax/data/images"

// ValidSize is the number of training images held out for validation: the last 10,000 of the
// 60,000, leaving 50,000 for training (the RODEO protocol, reference section 3.4).
const ValidSize = 10000

// SplitValid returns the first s.N-ValidSize images of s as the training set and the last
// ValidSize as the validation set; both share memory with s. It panics if s.N < ValidSize.
func SplitValid(s *images.Set) (train, valid *images.Set) { return s.SplitLast(ValidSize) }
