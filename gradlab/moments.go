package gradlab

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// MaxFullCovDim is the largest dimension for which NewMoments(dim, true) keeps the full covariance matrix; above
// it only the per-coordinate variances are kept (the matrix would cost dim² memory and dim² work per draw).
const MaxFullCovDim = 256

// Moments accumulates the count, mean and covariance of a stream of vectors in constant memory.
//
// A batch x_1..x_b is reduced to its own mean and centred sums of squares and merged into the running ones with
// the update of Chan, Golub & LeVeque (1979), of which Welford's one-at-a-time update is the case b = 1:
//
//	n = n_A + n_B,   δ = mean_B − mean_A,   mean = mean_A + δ·n_B/n,
//	M2 = M2_A + M2_B + δδᵀ·n_A·n_B/n,
//
// where M2 = Σ (x − mean)(x − mean)ᵀ. Centring each batch first keeps the sums accurate even when the mean is large
// against the spread. The zero value is not usable: call NewMoments.
type Moments struct {
	dim  int
	n    int
	mean []float64
	m2   []float64 // diagonal of M2
	cov  []float64 // full M2, dim×dim row-major (upper triangle used), nil when not kept

	// scratch for AddBatch
	bmean, bm2, bcov, centred []float64
}

// NewMoments returns an empty accumulator of vectors of length dim. With full it keeps the whole covariance
// matrix, unless dim > MaxFullCovDim. It panics if dim < 1.
func NewMoments(dim int, full bool) *Moments {
	if dim < 1 {
		panic("gradlab: Moments need dimension >= 1")
	}
	m := &Moments{dim: dim, mean: make([]float64, dim), m2: make([]float64, dim)}
	if full && dim <= MaxFullCovDim {
		m.cov = make([]float64, dim*dim)
	}
	return m
}

// Dim returns the length of the vectors.
func (m *Moments) Dim() int { return m.dim }

// N returns the number of vectors added.
func (m *Moments) N() int { return m.n }

// Full reports whether the full covariance matrix is kept.
func (m *Moments) Full() bool { return m.cov != nil }

// Add adds one vector of length Dim.
func (m *Moments) Add(x []float64) { m.AddBatch(x) }

// AddBatch adds the vectors stored row after row in x, whose length must be a multiple of Dim. x is not modified.
func (m *Moments) AddBatch(x []float64) {
	d := m.dim
	if len(x)%d != 0 {
		panic("gradlab: Moments.AddBatch: length is not a multiple of the dimension")
	}
	b := len(x) / d
	if b == 0 {
		return
	}
	if m.bmean == nil {
		m.bmean, m.bm2 = make([]float64, d), make([]float64, d)
	}
	clear(m.bmean)
	for r := range b {
		for i, v := range x[r*d : (r+1)*d] {
			m.bmean[i] += v
		}
	}
	for i := range m.bmean {
		m.bmean[i] /= float64(b)
	}
	if cap(m.centred) < len(x) {
		m.centred = make([]float64, len(x))
	}
	c := m.centred[:len(x)]
	clear(m.bm2)
	for r := range b {
		row, cr := x[r*d:(r+1)*d], c[r*d:(r+1)*d]
		for i, v := range row {
			cr[i] = v - m.bmean[i]
			m.bm2[i] += cr[i] * cr[i]
		}
	}
	if m.cov != nil {
		if m.bcov == nil {
			m.bcov = make([]float64, d*d)
		}
		// bcov = cᵀc, upper triangle.
		blas64.Syrk(blas.Trans, 1, blas64.General{Rows: b, Cols: d, Stride: d, Data: c}, 0,
			blas64.Symmetric{Uplo: blas.Upper, N: d, Stride: d, Data: m.bcov})
	}
	m.merge(b, m.bmean, m.bm2, m.bcov)
}

// Merge adds the vectors summarised by o, which must have the same dimension; the covariance matrix stays full only
// if both keep it.
func (m *Moments) Merge(o *Moments) {
	if o.dim != m.dim {
		panic("gradlab: Moments.Merge: dimensions differ")
	}
	if o.cov == nil {
		m.cov = nil
	}
	m.merge(o.n, o.mean, o.m2, o.cov)
}

// merge folds in nb vectors of mean mb, diagonal sums of squares m2b and full sums m2full (ignored when m keeps no
// covariance).
func (m *Moments) merge(nb int, mb, m2b, m2full []float64) {
	if nb == 0 {
		return
	}
	na := m.n
	n := na + nb
	w := float64(na) * float64(nb) / float64(n)
	d := m.dim
	delta := make([]float64, d)
	for i := range delta {
		delta[i] = mb[i] - m.mean[i]
	}
	for i := range d {
		m.m2[i] += m2b[i] + delta[i]*delta[i]*w
		m.mean[i] += delta[i] * float64(nb) / float64(n)
	}
	if m.cov != nil {
		for i := range d {
			for j := i; j < d; j++ {
				m.cov[i*d+j] += m2full[i*d+j] + delta[i]*delta[j]*w
			}
		}
	}
	m.n = n
}

// Mean returns the mean vector (a copy); zeros when nothing was added.
func (m *Moments) Mean() []float64 { return append([]float64(nil), m.mean...) }

// Var returns the unbiased per-coordinate variances M2_ii/(n − 1); zeros when n < 2.
func (m *Moments) Var() []float64 {
	v := make([]float64, m.dim)
	if m.n < 2 {
		return v
	}
	for i, s := range m.m2 {
		v[i] = s / float64(m.n-1)
	}
	return v
}

// Cov returns the unbiased covariance matrix M2/(n − 1), or nil when only the variances are kept or n < 2.
func (m *Moments) Cov() *mat.SymDense {
	if m.cov == nil || m.n < 2 {
		return nil
	}
	d := m.dim
	c := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			c.SetSym(i, j, m.cov[i*d+j]/float64(m.n-1))
		}
	}
	return c
}
