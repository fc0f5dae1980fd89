package oracle

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"math/big"
)

// MaxOutcomes is the largest number of joint outcomes C^L that Outcomes and the functions built on it
// (Expectation, ExactGradient, ExpectedGradient, Euler, Heun) agree to enumerate.
const MaxOutcomes = 1 << 20

// ErrTooManyOutcomes is wrapped by the error returned when C^L exceeds MaxOutcomes.
var ErrTooManyOutcomes = errors.New("oracle: too many joint outcomes to enumerate")

// NumOutcomes returns C^L, the number of joint outcomes of L categorical variables with C categories.
// If C^L > MaxOutcomes it returns an error, wrapping ErrTooManyOutcomes, that names C^L and the limit.
// It panics if L < 0 or C < 1.
func NumOutcomes(L, C int) (int, error) {
	if L < 0 || C < 1 {
		panic(badShape)
	}
	n := 1
	for range L {
		if n > MaxOutcomes/C { // then n*C > MaxOutcomes
			count := new(big.Int).Exp(big.NewInt(int64(C)), big.NewInt(int64(L)), nil)
			return 0, fmt.Errorf("%w: %d variables with %d categories have %d^%d = %s joint outcomes, more than MaxOutcomes = %d",
				ErrTooManyOutcomes, L, C, C, L, count, MaxOutcomes)
		}
		n *= C
	}
	return n, nil
}

// Outcomes returns an iterator over all C^L joint outcomes, as index vectors d of length L
// (D_l = e_{d_l}), in lexicographic order: the last variable changes fastest. The iterator reuses one
// slice; copy it to keep an outcome. L = 0 gives one empty outcome. The error is that of NumOutcomes.
func Outcomes(L, C int) (iter.Seq[[]int], error) {
	if _, err := NumOutcomes(L, C); err != nil {
		return nil, err
	}
	return func(yield func([]int) bool) {
		d := make([]int, L)
		for {
			if !yield(d) {
				return
			}
			l := L - 1 // odometer step
			for ; l >= 0; l-- {
				d[l]++
				if d[l] < C {
					break
				}
				d[l] = 0
			}
			if l < 0 {
				return
			}
		}
	}, nil
}

// OneHot writes the joint outcome d as L one-hot rows of length C into dst (length L*C).
func OneHot(dst []float64, d []int, C int) {
	if len(dst) != len(d)*C {
		panic(badLength)
	}
	clear(dst)
	for l, i := range d {
		if i < 0 || i >= C {
			panic(badIndex)
		}
		dst[l*C+i] = 1
	}
}

// LogProb returns log P(D = d) = Σ_l (theta_{l,d_l} - logsumexp(theta_l)) under the product of
// Cat(softmax theta_l). C is len(theta)/len(d). A masked logit (-Inf) gives -Inf.
func LogProb(theta []float64, d []int) float64 {
	if len(d) == 0 || len(theta)%len(d) != 0 {
		panic(badLength)
	}
	C := len(theta) / len(d)
	var lp float64
	for l, i := range d {
		if i < 0 || i >= C {
			panic(badIndex)
		}
		row := theta[l*C : (l+1)*C]
		lp += row[i] - logSumExp(row)
	}
	return lp
}

// Prob returns P(D = d) = Π_l softmax(theta_l)_{d_l}; see LogProb.
func Prob(theta []float64, d []int) float64 {
	return math.Exp(LogProb(theta, d))
}
