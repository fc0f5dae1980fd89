package listops

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"

	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
)

// Paths of the model's variables in the store.
const (
	varEmbed    = "/listops/embed/weights"
	varLeafWih  = "/listops/leaf/w_ih"
	varLeafWhh  = "/listops/leaf/w_hh"
	varLeafBias = "/listops/leaf/bias"
	varCompW    = "/listops/compose/weights"
	varCompB    = "/listops/compose/biases"
	varQuery    = "/listops/query"
	varHidW     = "/listops/classifier/hidden/weights"
	varHidB     = "/listops/classifier/hidden/biases"
	varOutW     = "/listops/classifier/output/weights"
	varOutB     = "/listops/classifier/output/biases"
)

// initStream is the second word of the PCG state of the initialisation, so that Seed alone names it.
const initStream = 0x696e6974 // "init"

// initParams creates the model's variables in store with the reference's initialisation, drawn in plain Go from
// rand.NewPCG(seed, initStream) so that it depends on the seed only:
//
//	embeddings             N(0, 0.01²)
//	leaf LSTM W_ih         Kaiming normal, N(0, 2/H)
//	leaf LSTM W_hh         orthogonal
//	leaf LSTM bias         0, forget gate 1
//	composition W          orthogonal; bias 0
//	query q                N(0, 0.01²)
//	classifier hidden      Kaiming normal; bias 0
//	classifier output      U(−0.002, 0.002); bias 0
//
// Weights are stored as (in, out), the transpose of torch's (out, in); orthogonality and fan-in refer to torch's
// layout. Existing variables are left alone.
func initParams(store *model.Store, hidden int, seed int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), initStream))
	h := hidden
	normal := func(n int, std float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(std * rng.NormFloat64())
		}
		return v
	}
	leafBias := make([]float32, 4*h)
	for i := h; i < 2*h; i++ {
		leafBias[i] = 1
	}
	outW := make([]float32, h*Classes)
	for i := range outW {
		outW[i] = float32(-0.002 + 0.004*rng.Float64())
	}
	vars := []struct {
		path string
		data []float32
		dims []int
	}{
		{varEmbed, normal(listopsdata.VocabSize*h, 0.01), []int{listopsdata.VocabSize, h}},
		{varLeafWih, normal(h*4*h, math.Sqrt(2/float64(h))), []int{h, 4 * h}},
		{varLeafWhh, orthogonalRows(rng, h, 4*h), []int{h, 4 * h}},
		{varLeafBias, leafBias, []int{4 * h}},
		{varCompW, orthogonalRows(rng, 2*h, 5*h), []int{2 * h, 5 * h}},
		{varCompB, make([]float32, 5*h), []int{5 * h}},
		{varQuery, normal(h, 0.01), []int{h}},
		{varHidW, normal(h*h, math.Sqrt(2/float64(h))), []int{h, h}},
		{varHidB, make([]float32, h), []int{h}},
		{varOutW, outW, []int{h, Classes}},
		{varOutB, make([]float32, Classes), []int{Classes}},
	}
	for _, v := range vars {
		if _, err := store.CreateVariable(v.path, tensors.FromFlatDataAndDimensions(v.data, v.dims...)); err != nil {
			return err
		}
	}
	return nil
}

// orthogonalRows returns a rows×cols matrix (rows <= cols), row-major, with orthonormal rows: the transpose of
// torch.nn.init.orthogonal_ of a cols×rows weight. It is Q of the QR decomposition of a cols×rows standard normal
// matrix, with the signs of R's diagonal moved into Q so that the law is uniform (Haar).
func orthogonalRows(rng *rand.Rand, rows, cols int) []float32 {
	if rows > cols {
		panic("listops: orthogonalRows needs rows <= cols")
	}
	a := mat.NewDense(cols, rows, nil)
	for i := range cols {
		for j := range rows {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	out := make([]float32, rows*cols)
	for j := range rows {
		sign := 1.0
		if r.At(j, j) < 0 {
			sign = -1
		}
		for i := range cols {
			out[j*cols+i] = float32(sign * q.At(i, j)) // out = Qᵀ: row j is column j of Q
		}
	}
	return out
}
