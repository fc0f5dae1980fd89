package vq_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax/vq"
)

// normal returns an r×c matrix of N(0, 1) draws times scale, from seed.
func normal(seed uint64, r, c int, scale float64) mat {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := mat{r, c, make([]float64, r*c)}
	for i := range m.x {
		m.x[i] = scale * rng.NormFloat64()
	}
	return m
}

// around returns an r×c matrix of rows big·(u + 0.01·a), u a fixed unit-scale vector and a N(0, 1): vectors of norm
// about big, a hundredth of big apart.
func around(seed uint64, r, c int, big float64) mat {
	m := normal(seed, r, c, 0.01*big)
	for i := 0; i < r; i++ {
		for j := range m.row(i) {
			m.row(i)[j] += big * float64(j+1) / float64(c)
		}
	}
	return m
}

// perturbed returns m with each element multiplied by 1 + rel·N(0, 1).
func perturbed(m mat, rel float64) mat {
	noise := normal(99, m.rows, m.cols, rel)
	out := mat{m.rows, m.cols, append([]float64(nil), m.x...)}
	for i := range out.x {
		out.x[i] *= 1 + noise.x[i]
	}
	return out
}

// opposite returns the rows of m followed by their negatives.
func opposite(m mat) mat {
	out := mat{2 * m.rows, m.cols, append([]float64(nil), m.x...)}
	for _, v := range m.x {
		out.x = append(out.x, -v)
	}
	return out
}

// distanceCase is a set of vectors and codes with the distances the tests expect of them.
type distanceCase struct {
	name string
	z, e mat
}

func distanceCases() []distanceCase {
	return []distanceCase{
		{"standard normal", normal(1, 6, 3, 1), normal(2, 5, 3, 1)},
		// ‖z‖² ≈ 1e40 overflows float32: the textbook expansion ‖z‖² − 2⟨z,e⟩ + ‖e‖² gives Inf − Inf = NaN.
		{"norm 1e20, codes near", around(3, 6, 3, 1e20), around(4, 5, 3, 1e20)},
		{"norm 1e18, codes near the origin", normal(5, 6, 3, 1e18), normal(6, 5, 3, 1)},
		// distances ≈ 1e60: +Inf in float32, finite in float64.
		{"norm 1e30, codes near the origin", normal(7, 6, 3, 1e30), normal(8, 5, 3, 1)},
		// ‖z − c‖² ≈ 1e40 overflows float32 unless the vectors are scaled first: the codes ±e are centred on 0.
		{"norm 1e20, two opposite codes", around(10, 6, 3, 1e20), opposite(around(11, 1, 3, 1e20))},
		// every term of the expansion overflows float32: Inf − Inf unless scaled; the distances are +Inf in float32.
		{"norm 1e25, codes of norm 1e25", normal(12, 6, 3, 1e25), normal(13, 5, 3, 1e25)},
		{"zero vectors", mat{2, 3, make([]float64, 6)}, mat{3, 3, []float64{1, 0, 0, 0, 0, 0, 0, 2, 0}}},
		// distances that are exactly 0: rounding of the expansion must not make them negative.
		{"vectors equal to codes", normal(14, 40, 7, 3), normal(14, 40, 7, 3)},
		{"vectors within rounding of codes", perturbed(normal(15, 40, 7, 3), 1e-5), normal(15, 40, 7, 3)},
	}
}

// distanceTol is the bound on the error of a computed ‖z − e‖²: the expansion of a = z − c, b = e − c (c the mean of
// the codes) sums d products and three terms whose magnitudes add up to at most 2(‖a‖² + ‖b‖²), each rounded with a
// relative error of ε, plus the rounding of a and b themselves: 4(d + 2)·ε·(‖a‖² + ‖b‖²).
func distanceTol(z, e, c []float64, dtype dtypes.DType) float64 {
	return 4 * float64(len(z)+2) * eps(dtype) * (sqDist(z, c) + sqDist(e, c))
}

// maxFloat is the largest finite value of dtype.
func maxFloat(dtype dtypes.DType) float64 {
	if dtype == dtypes.Float32 {
		return math.MaxFloat32
	}
	return math.MaxFloat64
}

func TestDistancesAndNearest(t *testing.T) {
	t.Parallel()
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, tc := range distanceCases() {
			z, e := tc.z.rounded(dtype), tc.e.rounded(dtype)
			out := run(t, dtype, func(in []*Node) []*Node {
				return []*Node{vq.Distances(in[0], in[1]), vq.Nearest(in[0], in[1])}
			}, z, e)
			dist, nearest := out[0], out[1]
			c := meanRow(e)
			for n := 0; n < z.rows; n++ {
				best := math.Inf(1)
				for k := 0; k < e.rows; k++ {
					best = math.Min(best, sqDist(z.row(n), e.row(k)))
				}
				for k := 0; k < e.rows; k++ {
					want := sqDist(z.row(n), e.row(k))
					got := dist[n*e.rows+k]
					tol := distanceTol(z.row(n), e.row(k), c, dtype)
					if want > maxFloat(dtype)*(1+tol/want) {
						if !math.IsInf(got, 1) {
							t.Errorf("%s %s: distance (%d,%d) = %v, want +Inf (%.3g overflows)", dtype, tc.name, n, k, got, want)
						}
						continue
					}
					if !close(got, want, tol) || got < 0 {
						t.Errorf("%s %s: distance (%d,%d) = %.9g, want %.9g ± %.3g", dtype, tc.name, n, k, got, want, tol)
					}
				}
				j := int(nearest[n])
				if d := sqDist(z.row(n), e.row(j)); !(d <= best+2*distanceTol(z.row(n), e.row(j), c, dtype)) {
					t.Errorf("%s %s: nearest code of vector %d is %d at %.9g, the nearest is at %.9g", dtype, tc.name, n, j, d, best)
				}
			}
		}
	}
}

// TestDistanceGradients checks the closed-form gradients of Distances and Logits against the derivatives of the
// squared distance, ∂/∂z Σ w_k‖z − e_k‖² = 2Σ w_k(z − e_k) and ∂/∂e_k = −2Σ_n w_nk(z_n − e_k), in float64 plain Go;
// the tolerance bounds the rounding of the computed sums, (N + K + 4)·ε·2Σ|w|(|a| + |b|) with a, b centred on the
// codes' mean, scaled by 1/T for the logits.
func TestDistanceGradients(t *testing.T) {
	t.Parallel()
	const temperature = 0.7
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, tc := range distanceCases()[:3] {
			z, e := tc.z.rounded(dtype), tc.e.rounded(dtype)
			w := normal(9, z.rows, e.rows, 1).rounded(dtype)
			out := run(t, dtype, func(in []*Node) []*Node {
				zn, en, wn := in[0], in[1], in[2]
				dist := ReduceAllSum(Mul(wn, vq.Distances(zn, en)))
				logits := vq.Logits(zn, en, temperature)
				gd := Gradient(dist, zn, en)
				gl := Gradient(ReduceAllSum(Mul(wn, logits)), zn, en)
				return []*Node{gd[0], gd[1], gl[0], gl[1], logits}
			}, z, e, w)
			c := meanRow(e)
			wantZ := make([]float64, len(z.x))
			tolZ := make([]float64, len(z.x))
			wantE := make([]float64, len(e.x))
			tolE := make([]float64, len(e.x))
			slack := float64(z.rows+e.rows+4) * eps(dtype)
			for n := 0; n < z.rows; n++ {
				for k := 0; k < e.rows; k++ {
					wk := w.x[n*e.rows+k]
					for j := 0; j < z.cols; j++ {
						diff := z.row(n)[j] - e.row(k)[j]
						size := 2 * math.Abs(wk) * (math.Abs(z.row(n)[j]-c[j]) + math.Abs(e.row(k)[j]-c[j]))
						wantZ[n*z.cols+j] += 2 * wk * diff
						tolZ[n*z.cols+j] += slack * size
						wantE[k*e.cols+j] -= 2 * wk * diff
						tolE[k*e.cols+j] += slack * size
					}
				}
			}
			for _, g := range []struct {
				name      string
				got       []float64
				want, tol []float64
				scale     float64
			}{
				{"Distances ∂/∂z", out[0], wantZ, tolZ, 1},
				{"Distances ∂/∂e", out[1], wantE, tolE, 1},
				{"Logits ∂/∂z", out[2], wantZ, tolZ, -1 / temperature},
				{"Logits ∂/∂e", out[3], wantE, tolE, -1 / temperature},
			} {
				for i := range g.want {
					want, tol := g.scale*g.want[i], math.Abs(g.scale)*g.tol[i]
					if !close(g.got[i], want, tol) {
						t.Errorf("%s %s: %s[%d] = %.9g, want %.9g ± %.3g", dtype, tc.name, g.name, i, g.got[i], want, tol)
					}
				}
			}
			// The logits: −(‖z − e_k‖² − min_j ‖z − e_j‖²)/T, exactly 0 at the nearest code.
			logits := out[4]
			for n := 0; n < z.rows; n++ {
				best, bestTol, zeros := math.Inf(1), 0.0, 0
				for k := 0; k < e.rows; k++ {
					if d := sqDist(z.row(n), e.row(k)); d < best {
						best, bestTol = d, distanceTol(z.row(n), e.row(k), c, dtype)
					}
					if logits[n*e.rows+k] == 0 {
						zeros++
					}
				}
				for k := 0; k < e.rows; k++ {
					want := -(sqDist(z.row(n), e.row(k)) - best) / temperature
					tol := (distanceTol(z.row(n), e.row(k), c, dtype) + bestTol) / temperature
					if got := logits[n*e.rows+k]; !close(got, want, tol) || got > 0 {
						t.Errorf("%s %s: logit (%d,%d) = %.9g, want %.9g ± %.3g and <= 0", dtype, tc.name, n, k, got, want, tol)
					}
				}
				if zeros < 1 {
					t.Errorf("%s %s: no logit of vector %d is exactly 0", dtype, tc.name, n)
				}
			}
		}
	}
}
