package omniglot

import "github.com/f60e9205/reinmax/data/images"

// ValidSize is the number of training images held out for validation: the last 1,345, as the
// reference's Bernoulli-VAE code does with Burda's 24,345 training images (section 3.4). In our
// character-major order they are the last 10 drawings of character 1533 and all 15 of
// characters 1534 to 1622 (evaluation alphabets), so validation characters are not trained on.
const ValidSize = 1345

// SplitValid returns the first s.N-ValidSize images of s as the training set and the last
// ValidSize as the validation set; both share memory with s. It panics if s.N < ValidSize.
func SplitValid(s *images.Set) (train, valid *images.Set) { return s.SplitLast(ValidSize) }
