package gradlab

import (
	"math"
	"math/rand/v2"
	"testing"
)

// twoPass returns the mean and the unbiased covariance of the rows of x (dim columns) by the textbook two-pass
// formulas, the reference for Moments.
func twoPass(x []float64, dim int) (mean, cov []float64) {
	n := len(x) / dim
	mean = make([]float64, dim)
	for r := range n {
		for i := range dim {
			mean[i] += x[r*dim+i] / float64(n)
		}
	}
	cov = make([]float64, dim*dim)
	for r := range n {
		for i := range dim {
			for j := range dim {
				cov[i*dim+j] += (x[r*dim+i] - mean[i]) * (x[r*dim+j] - mean[j]) / float64(n-1)
			}
		}
	}
	return mean, cov
}

// TestMoments feeds the same rows to Moments in batches of different sizes (1 row, then 3, then 10, ...), and in
// two halves merged with Merge, and compares the mean, variances and covariance with the two-pass formulas. The
// rows have a mean of 1e6 against a spread of 1, where the one-pass sum-of-squares formula would lose every digit;
// the tolerance allows for the rounding of the 1e6 offset (1e6 · 2⁻⁵² ≈ 2e-10 per value).
func TestMoments(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(11, 12))
	const dim, n = 5, 203
	x := make([]float64, n*dim)
	for r := range n {
		common := rnd.NormFloat64()
		for i := range dim {
			x[r*dim+i] = 1e6 + common + 0.5*rnd.NormFloat64() // correlated coordinates
		}
	}
	wantMean, wantCov := twoPass(x, dim)
	batched := func(full bool) *Moments {
		m := NewMoments(dim, full)
		for start, b := 0, 1; start < n; b *= 3 {
			end := min(start+b, n)
			m.AddBatch(x[start*dim : end*dim])
			start = end
		}
		return m
	}
	merged := func(full bool) *Moments {
		a, b := NewMoments(dim, full), NewMoments(dim, full)
		for r := range n {
			if r < 77 {
				a.Add(x[r*dim : (r+1)*dim])
			} else {
				b.Add(x[r*dim : (r+1)*dim])
			}
		}
		a.Merge(b)
		return a
	}
	for _, test := range []struct {
		name string
		m    *Moments
	}{
		{"batched full", batched(true)},
		{"batched diagonal", batched(false)},
		{"merged full", merged(true)},
		{"merged diagonal", merged(false)},
	} {
		m := test.m
		if m.N() != n {
			t.Errorf("%s: N = %d, want %d", test.name, m.N(), n)
		}
		for i, v := range m.Mean() {
			if !(math.Abs(v-wantMean[i]) <= 1e-9) {
				t.Errorf("%s: mean[%d] = %.12g, want %.12g", test.name, i, v, wantMean[i])
			}
		}
		for i, v := range m.Var() {
			if w := wantCov[i*dim+i]; !(math.Abs(v-w) <= 1e-7*w) {
				t.Errorf("%s: var[%d] = %.12g, want %.12g", test.name, i, v, w)
			}
		}
		c := m.Cov()
		if (c != nil) != m.Full() {
			t.Fatalf("%s: Cov() = %v with Full() = %v", test.name, c, m.Full())
		}
		if c == nil {
			continue
		}
		for i := range dim {
			for j := range dim {
				if w := wantCov[i*dim+j]; !(math.Abs(c.At(i, j)-w) <= 1e-7) {
					t.Errorf("%s: cov[%d,%d] = %.12g, want %.12g", test.name, i, j, c.At(i, j), w)
				}
			}
		}
	}
}

// TestMomentsFullLimit checks that the covariance matrix is dropped above MaxFullCovDim and with fewer than 2 rows.
func TestMomentsFullLimit(t *testing.T) {
	t.Parallel()
	if NewMoments(MaxFullCovDim+1, true).Full() {
		t.Errorf("NewMoments(%d, true) keeps the full covariance, want only the variances", MaxFullCovDim+1)
	}
	m := NewMoments(2, true)
	m.Add([]float64{1, 2})
	if m.Cov() != nil {
		t.Errorf("Cov() with one row = %v, want nil", m.Cov())
	}
	if v := m.Var(); v[0] != 0 || v[1] != 0 {
		t.Errorf("Var() with one row = %v, want zeros", v)
	}
}
