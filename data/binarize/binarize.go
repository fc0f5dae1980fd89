package binarize

import "math/rand/v2"

// Bernoulli sets dst[i] = 1[u_i < src[i]], where u_i = rng.Float64() is uniform on [0,1), so
// that dst[i] is 1 with probability src[i] clamped to [0,1]: grey level 0 always gives 0 and 1
// always gives 1. It draws exactly one uniform per element, in order, so the result depends only
// on the state of rng. dst and src may be the same slice. Bernoulli panics if their lengths
// differ or rng is nil.
func Bernoulli(dst, src []float32, rng *rand.Rand) {
	if len(dst) != len(src) {
		panic("binarize: length mismatch between dst and src")
	}
	if rng == nil {
		panic("binarize: nil *rand.Rand")
	}
	for i, x := range src {
		if rng.Float64() < float64(x) {
			dst[i] = 1
		} else {
			dst[i] = 0
		}
	}
}

// Fixed returns a new slice holding one Bernoulli draw of src; see Bernoulli.
func Fixed(src []float32, rng *rand.Rand) []float32 {
	dst := make([]float32, len(src))
	Bernoulli(dst, src, rng)
	return dst
}
