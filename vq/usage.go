package vq

import "math"

// Usage describes how much of a codebook a set of inputs uses.
type Usage struct {
	Used     int     // codes chosen at least once
	Fraction float64 // Used / K
	// Perplexity is exp(H) of the histogram of the codes, H = −Σ_k p_k log p_k, p_k the fraction of inputs that chose
	// code k: 1 when every input chose one code, K when they spread evenly over all codes.
	Perplexity float64
}

// Collapsed reports whether every input chose one code (or there were none).
func (u Usage) Collapsed() bool { return u.Used <= 1 }

// UsageOf returns the usage of a codebook with counts[k] inputs assigned to code k. Counts must not be negative;
// all zero (no input) gives Used 0 and Perplexity NaN.
func UsageOf(counts []int) Usage {
	total := 0
	u := Usage{}
	for _, c := range counts {
		if c < 0 {
			panic("vq: UsageOf: negative count")
		}
		if c > 0 {
			u.Used++
		}
		total += c
	}
	if len(counts) > 0 {
		u.Fraction = float64(u.Used) / float64(len(counts))
	}
	if total == 0 {
		u.Perplexity = math.NaN()
		return u
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(total)
			h -= p * math.Log(p)
		}
	}
	u.Perplexity = math.Exp(h)
	return u
}
