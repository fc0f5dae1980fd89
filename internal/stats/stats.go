// Package stats holds the small statistics the project needs beyond gonum's.
package stats

import "math"

// Quantile returns the p-quantile of the sorted sample x, interpolating linearly between order statistics
// (Hyndman & Fan's type 7, the default of R and NumPy; gonum's stat.Quantile offers types 1 and 4).
func Quantile(x []float64, p float64) float64 {
	h := p * float64(len(x)-1)
	i := int(math.Floor(h))
	if i >= len(x)-1 {
		return x[len(x)-1]
	}
	return x[i] + (h-float64(i))*(x[i+1]-x[i])
}
