package results

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Paired compares a method A with a method B run on the same seeds, through the differences d_s = A_s − B_s over
// the seeds both have.
type Paired struct {
	Seeds    int     // seeds both have
	MeanDiff float64 // mean of d
	SE       float64 // standard error of MeanDiff, s_d/√n (NaN for one seed)
	// P is the two-sided p-value of the paired t-test (t = MeanDiff/SE, Student's t with n−1 degrees of freedom);
	// NaN for fewer than two seeds or a NaN value, 0 or 1 when every difference is the same non-zero or zero value.
	P float64
	// Above, Below and Ties count the seeds where A > B, A < B and A = B; SignP is the two-sided p-value of the
	// sign test on them (ties left out).
	Above, Below, Ties int
	SignP              float64
}

// ComparePaired returns the paired comparison of a and b, the values of each method by seed.
func ComparePaired(a, b map[int64]float64) Paired {
	var seeds []int64
	for s := range a {
		if _, ok := b[s]; ok {
			seeds = append(seeds, s)
		}
	}
	slices.Sort(seeds)
	d := make([]float64, len(seeds))
	var p Paired
	for i, s := range seeds {
		d[i] = a[s] - b[s]
		switch {
		case d[i] > 0:
			p.Above++
		case d[i] < 0:
			p.Below++
		default:
			p.Ties++
		}
	}
	p.Seeds = len(d)
	p.MeanDiff, p.SE, p.P = math.NaN(), math.NaN(), math.NaN()
	if n := float64(len(d)); n > 0 {
		p.MeanDiff = stat.Mean(d, nil)
		if n > 1 {
			p.SE = stat.StdDev(d, nil) / math.Sqrt(n)
			switch {
			case math.IsNaN(p.SE):
				p.P = math.NaN()
			case p.SE > 0:
				t := math.Abs(p.MeanDiff) / p.SE
				p.P = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Survival(t)
			case p.MeanDiff != 0:
				p.P = 0
			default:
				p.P = 1
			}
		}
	}
	p.SignP = signTest(p.Above, p.Below)
	if math.IsNaN(p.MeanDiff) {
		p.SignP = math.NaN() // a NaN value: no test decides anything
	}
	return p
}

// signTest returns the two-sided p-value of the sign test: the probability, under Binomial(n, 1/2) with n = k + m,
// of a split at least as uneven as k against m. It is 1 when n = 0.
func signTest(k, m int) float64 {
	n := k + m
	if n == 0 {
		return 1
	}
	b := distuv.Binomial{N: float64(n), P: 0.5}
	return min(1, 2*b.CDF(float64(min(k, m))))
}

// Verdict says what a paired comparison decides at level alpha, for a metric where lower is better (a loss) or
// higher is better (an accuracy): "ahead" when A is better with P < alpha, "behind" when B is, else "cannot tell".
func (p Paired) Verdict(alpha float64, lowerIsBetter bool) string {
	if !(p.P < alpha) {
		return "cannot tell"
	}
	if (p.MeanDiff < 0) == lowerIsBetter {
		return "ahead"
	}
	return "behind"
}
