package stats

import "testing"

func TestQuantile(t *testing.T) {
	x := []float64{1, 2, 4, 8}
	// Type 7: h = p·(n−1); numpy.quantile([1, 2, 4, 8], [0, 0.25, 0.5, 0.9, 1]) = 1, 1.75, 3, 6.8, 8.
	for _, tc := range []struct{ p, want float64 }{{0, 1}, {0.25, 1.75}, {0.5, 3}, {0.9, 6.8}, {1, 8}} {
		if got := Quantile(x, tc.p); !(got > tc.want-1e-12 && got < tc.want+1e-12) {
			t.Errorf("Quantile(%v, %v) = %v, want %v", x, tc.p, got, tc.want)
		}
	}
}
