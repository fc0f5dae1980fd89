package vq_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/vq"
)

// nearestOracle returns argmin_k ‖z_n − e_k‖² for every row of z, in float64.
func nearestOracle(z, e mat) []int {
	idx := make([]int, z.rows)
	for n := range idx {
		best := math.Inf(1)
		for k := 0; k < e.rows; k++ {
			if d := sqDist(z.row(n), e.row(k)); d < best {
				best, idx[n] = d, k
			}
		}
	}
	return idx
}

// lossGradients are the gradients of L = Σ w⊙Quantized + Result.Loss with respect to z and the codebook, with the
// quantiser's outputs.
func lossGradients(q vq.Quantizer, seed int64) func(in []*Node) []*Node {
	return func(in []*Node) []*Node {
		z, e, w := in[0], in[1], in[2]
		r := q.Quantize(reinmax.NewStateSource(z.Graph(), seed), z, e)
		loss := Add(ReduceAllSum(Mul(w, r.Quantized)), r.Loss)
		g := Gradient(loss, z, e)
		return []*Node{r.Quantized, r.Index, g[0], g[1], r.CodebookLoss, r.CommitmentLoss, r.Loss}
	}
}

// vqLossGradients returns the gradients of CodebookLoss + β·CommitmentLoss for codes q_n = e_{idx_n} (VQ-VAE, means over
// the N·d elements): ∂/∂z_n = 2β(z_n − q_n)/(Nd), ∂/∂e_k = Σ_{n: idx_n = k} 2(q_n − z_n)/(Nd).
func vqLossGradients(z, e mat, idx []int, beta float64) (gz, ge []float64) {
	gz, ge = make([]float64, len(z.x)), make([]float64, len(e.x))
	scale := 2 / float64(len(z.x))
	for n, k := range idx {
		for j := 0; j < z.cols; j++ {
			diff := z.row(n)[j] - e.row(k)[j]
			gz[n*z.cols+j] += beta * scale * diff
			ge[k*e.cols+j] -= scale * diff
		}
	}
	return gz, ge
}

// rotationOracle returns λRᵀw for the rotation trick taking z to q, R = I − 2rrᵀ + 2q̂ẑᵀ built as a d×d matrix in
// float64, and the residual ‖λRz − q‖ that checks the matrix.
func rotationOracle(z, q, w []float64) (grad []float64, residual float64) {
	d := len(z)
	nz, nq := math.Sqrt(dotf(z, z)), math.Sqrt(dotf(q, q))
	zh, qh, r := make([]float64, d), make([]float64, d), make([]float64, d)
	for i := range z {
		zh[i], qh[i] = z[i]/nz, q[i]/nq
		r[i] = zh[i] + qh[i]
	}
	nr := math.Sqrt(dotf(r, r))
	for i := range r {
		r[i] /= nr
	}
	lambda := nq / nz
	R := make([][]float64, d)
	for i := range R {
		R[i] = make([]float64, d)
		for j := range R[i] {
			if i == j {
				R[i][j] = 1
			}
			R[i][j] += -2*r[i]*r[j] + 2*qh[i]*zh[j]
		}
	}
	grad = make([]float64, d)
	var res float64
	for i := 0; i < d; i++ {
		var rz float64
		for j := 0; j < d; j++ {
			grad[i] += lambda * R[j][i] * w[j]
			rz += lambda * R[i][j] * z[j]
		}
		res += (rz - q[i]) * (rz - q[i])
	}
	return grad, math.Sqrt(res)
}

// TestDeterministicMethods checks ste and rotation: the nearest code exactly, the VQ-VAE losses, and the gradients
// against the textbook forms (the identity; λRᵀ with R built as a matrix) plus those of the losses.
func TestDeterministicMethods(t *testing.T) {
	t.Parallel()
	const beta = 0.25
	z, e, w := normal(21, 7, 4, 1), normal(22, 5, 4, 1), normal(23, 7, 4, 1)
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		z, e, w := z.rounded(dtype), e.rounded(dtype), w.rounded(dtype)
		idx := nearestOracle(z, e)
		for _, method := range []string{vq.STE, vq.Rotation} {
			q := vq.Quantizer{Codes: e.rows, Dim: e.cols, Method: method, Beta: beta}
			out := run(t, dtype, lossGradients(q, 0), z, e, w)
			quantized, index, gz, ge := out[0], out[1], out[2], out[3]
			wantGz, wantGe := vqLossGradients(z, e, idx, beta)
			var mse float64
			for n, k := range idx {
				if int(index[n]) != k {
					t.Errorf("%s %s: index of vector %d = %v, want the nearest code %d", dtype, method, n, index[n], k)
				}
				for j := 0; j < z.cols; j++ {
					if got := quantized[n*z.cols+j]; got != e.row(k)[j] {
						t.Errorf("%s %s: quantized (%d,%d) = %v, want the code's %v exactly", dtype, method, n, j, got, e.row(k)[j])
					}
					mse += sqDist(z.row(n)[j:j+1], e.row(k)[j:j+1]) / float64(len(z.x))
				}
				through := w.row(n)
				lambda := 1.0
				if method == vq.Rotation {
					var residual float64
					through, residual = rotationOracle(z.row(n), e.row(k), w.row(n))
					if residual > 1e-12*math.Sqrt(dotf(e.row(k), e.row(k))) {
						t.Fatalf("rotation oracle: ‖λRz − q‖ = %v", residual)
					}
					lambda = math.Sqrt(dotf(e.row(k), e.row(k)) / dotf(z.row(n), z.row(n)))
				}
				for j := range through {
					wantGz[n*z.cols+j] += through[j]
				}
				// Rounding: a few operations of size λ‖w‖ per element (norms, two dot products).
				tol := 8 * float64(z.cols+4) * eps(dtype) * (lambda*math.Sqrt(dotf(w.row(n), w.row(n))) + 1)
				for j := 0; j < z.cols; j++ {
					if got, want := gz[n*z.cols+j], wantGz[n*z.cols+j]; !close(got, want, tol) {
						t.Errorf("%s %s: ∂L/∂z (%d,%d) = %.9g, want %.9g ± %.2g", dtype, method, n, j, got, want, tol)
					}
				}
			}
			for i := range wantGe {
				if !close(ge[i], wantGe[i], 16*eps(dtype)) {
					t.Errorf("%s %s: ∂L/∂e[%d] = %.9g, want %.9g (codebook loss only)", dtype, method, i, ge[i], wantGe[i])
				}
			}
			tol := 16 * eps(dtype) * mse
			if !close(out[4][0], mse, tol) || !close(out[5][0], mse, tol) || !close(out[6][0], (1+beta)*mse, 2*tol) {
				t.Errorf("%s %s: losses codebook %v, commitment %v, total %v; want %v, %v, %v", dtype, method,
					out[4][0], out[5][0], out[6][0], mse, mse, (1+beta)*mse)
			}
		}
	}
}

// TestRotationKeepsAngle checks the property the rotation trick is built for (Fifty et al., Figure 3, proved in their
// Appendix A.6): the gradient reaching z makes with z the angle that g makes with q, and has norm λ‖g‖; and its
// degenerate cases.
func TestRotationKeepsAngle(t *testing.T) {
	t.Parallel()
	z, q, g := normal(31, 9, 5, 2), normal(32, 9, 5, 0.5), normal(33, 9, 5, 1)
	// Degenerate rows: z = 0 (gradient g), q = −3z (a reflection: λ(I − 2ẑẑᵀ)g).
	for j := 0; j < z.cols; j++ {
		z.row(0)[j] = 0
		q.row(1)[j] = -3 * z.row(1)[j]
	}
	out := run(t, dtypes.Float64, func(in []*Node) []*Node {
		v := vq.RotationTrick(in[0], in[1])
		return []*Node{v, Gradient(ReduceAllSum(Mul(in[2], v)), in[0])[0]}
	}, z, q, g)
	value, grad := out[0], out[1]
	for i := range value {
		if value[i] != q.x[i] {
			t.Fatalf("value[%d] = %v, want q's %v exactly", i, value[i], q.x[i])
		}
	}
	cos := func(a, b []float64) float64 { return dotf(a, b) / math.Sqrt(dotf(a, a)*dotf(b, b)) }
	for n := 0; n < z.rows; n++ {
		gz := grad[n*z.cols : (n+1)*z.cols]
		var want []float64
		switch n {
		case 0:
			want = g.row(n)
		case 1:
			zh := make([]float64, z.cols)
			nz := math.Sqrt(dotf(z.row(n), z.row(n)))
			for j := range zh {
				zh[j] = z.row(n)[j] / nz
			}
			c := dotf(zh, g.row(n))
			for j := range zh {
				want = append(want, 3*(g.row(n)[j]-2*zh[j]*c))
			}
		default:
			if !close(cos(z.row(n), gz), cos(q.row(n), g.row(n)), 1e-12) {
				t.Errorf("row %d: cos(z, ∂L/∂z) = %v, cos(q, g) = %v", n, cos(z.row(n), gz), cos(q.row(n), g.row(n)))
			}
			lambda := math.Sqrt(dotf(q.row(n), q.row(n)) / dotf(z.row(n), z.row(n)))
			if got, w := math.Sqrt(dotf(gz, gz)), lambda*math.Sqrt(dotf(g.row(n), g.row(n))); !close(got, w, 1e-12*w) {
				t.Errorf("row %d: ‖∂L/∂z‖ = %v, want λ‖g‖ = %v", n, got, w)
			}
			continue
		}
		for j := range want {
			if !close(gz[j], want[j], 1e-12) {
				t.Errorf("degenerate row %d: ∂L/∂z[%d] = %v, want %v", n, j, gz[j], want[j])
			}
		}
	}
}

// TestStochasticMethods checks that stochastic codes are exact codes and that their gradient equals the chain rule
// written with autodiff: logits −‖z − e_k‖²/T as a sum of squares, the estimator given the same sample (Given),
// quantized = D·E, and the VQ-VAE losses of the sampled code.
func TestStochasticMethods(t *testing.T) {
	t.Parallel()
	const temperature, beta = 1.5, 0.25
	z, e, w := normal(41, 8, 3, 1), normal(42, 6, 3, 1), normal(43, 8, 3, 1)
	for _, tc := range []struct {
		method string
		p      reinmax.Params
	}{{"st", reinmax.Params{}}, {"st", reinmax.Params{Tau: 0.5}}, {"reinmax", reinmax.Params{}},
		{"reinmax", reinmax.Params{Tau: 1.5}}, {"gst-1.0", reinmax.Params{}}} {
		q := vq.Quantizer{Codes: e.rows, Dim: e.cols, Method: tc.method, Beta: beta, Temperature: temperature, Estimator: tc.p}
		est, err := reinmax.NewStraightThrough(tc.method, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		out := run(t, dtypes.Float64, func(in []*Node) []*Node {
			zn, en, wn := in[0], in[1], in[2]
			r := q.Quantize(reinmax.NewStateSource(zn.Graph(), 5), zn, en)
			got := Gradient(Add(ReduceAllSum(Mul(wn, r.Quantized)), r.Loss), zn, en)

			d := StopGradient(OneHot(r.Index, e.rows, zn.DType()))
			diff := Sub(InsertAxes(zn, 1), InsertAxes(en, 0)) // (N, K, d)
			logits := DivScalar(Neg(ReduceSum(Square(diff), -1)), temperature)
			hard, _ := est.Given(nil, logits, d)
			quantized := DotGeneral(hard, []int{1}, nil, en, []int{0}, nil)
			code := DotGeneral(d, []int{1}, nil, en, []int{0}, nil)
			losses := Add(ReduceAllMean(Square(Sub(StopGradient(zn), code))),
				MulScalar(ReduceAllMean(Square(Sub(zn, StopGradient(code)))), beta))
			want := Gradient(Add(ReduceAllSum(Mul(wn, quantized)), losses), zn, en)
			return []*Node{r.Quantized, r.Index, got[0], got[1], want[0], want[1]}
		}, z, e, w)
		for n := 0; n < z.rows; n++ {
			k := int(out[1][n])
			for j := 0; j < z.cols; j++ {
				if got := out[0][n*z.cols+j]; got != e.row(k)[j] {
					t.Errorf("%s %v: quantized (%d,%d) = %v, want code %d's %v exactly", tc.method, tc.p, n, j, got, k, e.row(k)[j])
				}
			}
		}
		for _, pair := range [][2]int{{2, 4}, {3, 5}} {
			for i := range out[pair[0]] {
				got, want := out[pair[0]][i], out[pair[1]][i]
				if !close(got, want, 1e-12*(1+math.Abs(want))) {
					t.Errorf("%s %v: gradient %d[%d] = %.15g, autodiff of the textbook form %.15g", tc.method, tc.p, pair[0]-2, i, got, want)
				}
			}
		}
	}
}

// TestStochasticLaw checks that the sampled codes follow p(k | z) ∝ exp(−‖z − e_k‖²/T): frequencies over n = 20000
// copies of one vector within 5 standard errors √(p(1−p)/n) of the law.
func TestStochasticLaw(t *testing.T) {
	t.Parallel()
	const n, temperature = 20000, 2.0
	e := mat{3, 2, []float64{0, 0, 1, 0, 0, 2}}
	z := mat{n, 2, make([]float64, 2*n)}
	for i := 0; i < n; i++ {
		z.row(i)[0], z.row(i)[1] = 0.5, 0.25
	}
	q := vq.Quantizer{Codes: 3, Dim: 2, Method: "reinmax", Temperature: temperature}
	out := run(t, dtypes.Float32, func(in []*Node) []*Node {
		return []*Node{q.Quantize(reinmax.NewStateSource(in[0].Graph(), 3), in[0], in[1]).Index}
	}, z, e)
	counts := make([]float64, 3)
	for _, k := range out[0] {
		counts[int(k)]++
	}
	logits := make([]float64, 3)
	var sum float64
	for k := range logits {
		logits[k] = math.Exp(-sqDist(z.row(0), e.row(k)) / temperature)
		sum += logits[k]
	}
	for k := range counts {
		p := logits[k] / sum
		se := math.Sqrt(p * (1 - p) / n)
		if got := counts[k] / n; !(math.Abs(got-p) <= 5*se) {
			t.Errorf("code %d drawn with frequency %.4f, want %.4f ± %.4f", k, got, p, 5*se)
		}
	}
}

// TestLargeNorms runs every method in float32 on vectors of norm 1e20 near their codes (‖z‖² overflows float32) and
// of norm 1e30 far from them (the distances overflow): the quantised vectors, the chosen codes and the gradients
// stay finite, the deterministic methods pick the nearest code, and where the distances fit, so do the losses.
func TestLargeNorms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		z, e       mat
		lossFinite bool
	}{
		{"norm 1e20, codes near", around(51, 8, 3, 1e20), around(52, 5, 3, 1e20), true},
		{"norm 1e30, codes near the origin", normal(53, 8, 3, 1e30), normal(54, 5, 3, 1), false},
	} {
		z, e := tc.z.rounded(dtypes.Float32), tc.e.rounded(dtypes.Float32)
		w := normal(55, z.rows, z.cols, 1)
		idx := nearestOracle(z, e)
		for _, method := range vq.Methods() {
			q := vq.Quantizer{Codes: e.rows, Dim: e.cols, Method: method, Beta: 0.25}
			if q.Stochastic() {
				q.Temperature = 1
				if method == "gr-mck" {
					q.Estimator.K = 4
				}
			}
			out := run(t, dtypes.Float32, func(in []*Node) []*Node {
				zn, en, wn := in[0], in[1], in[2]
				r := q.Quantize(reinmax.NewStateSource(zn.Graph(), 1), zn, en)
				g := Gradient(ReduceAllSum(Mul(wn, r.Quantized)), zn, en)
				outs := []*Node{r.Quantized, r.Index, g[0], g[1]}
				if tc.lossFinite {
					outs = append(outs, Gradient(r.Loss, zn, en)...)
					outs = append(outs, r.Loss)
				}
				return outs
			}, z, e, w)
			for i, o := range out {
				if err := allFinite(o); err != nil {
					t.Errorf("%s %s: output %d: %v", tc.name, method, i, err)
				}
			}
			if !q.Stochastic() {
				for n, k := range idx {
					if int(out[1][n]) != k {
						t.Errorf("%s %s: vector %d quantised to code %v, want the nearest %d", tc.name, method, n, out[1][n], k)
					}
				}
			}
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := vq.Quantizer{Codes: 4, Dim: 2, Method: "reinmax", Beta: 0.25, Temperature: 1}
	for _, tc := range []struct {
		edit func(*vq.Quantizer)
		want string // "" for a valid quantiser
	}{
		{func(q *vq.Quantizer) {}, ""},
		{func(q *vq.Quantizer) { q.Method, q.Temperature = "ste", 0 }, ""},
		{func(q *vq.Quantizer) { q.Method, q.Temperature, q.Beta = "rotation", 0, 0 }, ""},
		{func(q *vq.Quantizer) { q.Method, q.Estimator.K = "gr-mck", 10 }, ""},
		{func(q *vq.Quantizer) { q.RefreshEvery = 100 }, ""},
		{func(q *vq.Quantizer) { q.Codes = 1 }, "codes K = 1, want K >= 2"},
		{func(q *vq.Quantizer) { q.Dim = 0 }, "dimension d = 0, want d >= 1"},
		{func(q *vq.Quantizer) { q.Beta = -0.5 }, "beta = -0.5"},
		{func(q *vq.Quantizer) { q.Beta = math.NaN() }, "beta = NaN"},
		{func(q *vq.Quantizer) { q.Temperature = 0 }, "temperature T = 0, want a finite T > 0"},
		{func(q *vq.Quantizer) { q.Temperature = -1 }, "temperature T = -1"},
		{func(q *vq.Quantizer) { q.Temperature = math.Inf(1) }, "temperature T = +Inf"},
		{func(q *vq.Quantizer) { q.Method = "ste" }, "ste: temperature T = 1 is for stochastic codes"},
		{func(q *vq.Quantizer) { q.Method = "kmeans" }, `unknown method "kmeans" (valid: ste, rotation, st, stgs,`},
		{func(q *vq.Quantizer) { q.Method = "" }, `unknown method ""`},
		{func(q *vq.Quantizer) { q.Method = "reinforce" }, "reinforce is a score-function estimator"},
		{func(q *vq.Quantizer) { q.Estimator.Tau = 0.5 }, "reinmax: tau = 0.5, want tau >= 1"},
		{func(q *vq.Quantizer) { q.RefreshEvery = -1 }, "refresh every -1 steps"},
	} {
		q := good
		tc.edit(&q)
		err := q.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v, want valid", q, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%+v: error %v, want one line containing %q", q, err, tc.want)
		}
	}
	// A graph built with an invalid quantiser or mismatched shapes fails with the error, not a crash.
	for _, tc := range []struct {
		q    vq.Quantizer
		want string
	}{
		{vq.Quantizer{Codes: 1, Dim: 2, Method: "ste"}, "codes K = 1"},
		{vq.Quantizer{Codes: 3, Dim: 3, Method: "ste"}, "want (K, d) = (3, 3)"},
		{vq.Quantizer{Codes: 3, Dim: 2, Method: "st", Temperature: 1e-50}, "representable in Float32"},
	} {
		_, err := ExecOnceN(testBackend(t), func(in []*Node) []*Node {
			return []*Node{tc.q.Quantize(reinmax.NewStateSource(in[0].Graph(), 0), in[0], in[1]).Quantized}
		}, normal(1, 2, 2, 1).tensor(dtypes.Float32), normal(2, 3, 2, 1).tensor(dtypes.Float32))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.q, err, tc.want)
		}
	}
}

func TestUsageOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		counts     []int
		used       int
		fraction   float64
		perplexity float64 // exp of the entropy of the histogram, by hand
		collapsed  bool
	}{
		{[]int{5, 0, 0, 0}, 1, 0.25, 1, true},
		{[]int{3, 3, 3, 3}, 4, 1, 4, false},
		{[]int{2, 1, 1, 0}, 3, 0.75, math.Pow(2, 1.5), false}, // p = (1/2, 1/4, 1/4): H = 1.5 bits
		{[]int{0, 0}, 0, 0, math.NaN(), true},
	} {
		u := vq.UsageOf(tc.counts)
		okPerplexity := close(u.Perplexity, tc.perplexity, 1e-12) || (math.IsNaN(tc.perplexity) && math.IsNaN(u.Perplexity))
		if u.Used != tc.used || u.Fraction != tc.fraction || !okPerplexity || u.Collapsed() != tc.collapsed {
			t.Errorf("UsageOf(%v) = %+v (collapsed %v), want %d used, fraction %v, perplexity %v, collapsed %v",
				tc.counts, u, u.Collapsed(), tc.used, tc.fraction, tc.perplexity, tc.collapsed)
		}
	}
}
