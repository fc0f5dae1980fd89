package vq

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/nn"
	vqlib "github.com/f60e9205/reinmax/vq"
)

// Pixels is the number of pixels of an image.
const Pixels = 28 * 28

// autoencoder builds the model's graph for one configuration.
type autoencoder struct {
	cfg Config
	q   vqlib.Quantizer
}

func newAutoencoder(cfg Config) autoencoder { return autoencoder{cfg: cfg, q: cfg.quantizer()} }

// encode returns the L vectors of dimension d of each image of x (B, 784), shape (B, L, d).
func (m autoencoder) encode(scope *model.Scope, x *Node) *Node {
	h := nn.ReLU(nn.Dense(scope.In("enc1"), x, m.cfg.Hidden))
	h = nn.ReLU(nn.Dense(scope.In("enc2"), h, m.cfg.Hidden/2))
	z := nn.Dense(scope.In("enc3"), h, m.cfg.Latents*m.cfg.Dim)
	return Reshape(z, x.Shape().Dimensions[0], m.cfg.Latents, m.cfg.Dim)
}

// decode returns the grey levels in (0, 1) of the images of quantised vectors q (B, L, d), shape (B, 784).
func (m autoencoder) decode(scope *model.Scope, q *Node) *Node {
	b := q.Shape().Dimensions[0]
	h := nn.ReLU(nn.Dense(scope.In("dec1"), Reshape(q, b, m.cfg.Latents*m.cfg.Dim), m.cfg.Hidden/2))
	h = nn.ReLU(nn.Dense(scope.In("dec2"), h, m.cfg.Hidden))
	return Sigmoid(nn.Dense(scope.In("dec3"), h, Pixels))
}

// step is what one training step computes.
type step struct {
	loss, mse *Node        // the loss and the reconstruction's mean squared error per pixel
	index     *Node        // the codes chosen, (B, L)
	z         *Node        // the encoder's vectors
	vq        *model.Scope // the scope of the codebook
}

// forward encodes x, quantises with the run's method (sampling stochastic codes from the scope's generator) and
// decodes.
func (m autoencoder) forward(scope *model.Scope, x *Node) step {
	z := m.encode(scope, x)
	vq := scope.In("vq")
	r := m.q.Apply(vq, z)
	mse := ReduceAllMean(Square(Sub(m.decode(scope, r.Quantized), x)))
	return step{loss: Add(mse, r.Loss), mse: mse, index: r.Index, z: z, vq: vq}
}

// reconstruction is what the evaluation computes for a batch: with the nearest codes (whatever the method), and with
// the method's sampled codes for stochastic methods (nil otherwise).
type reconstruction struct {
	mse, index, images *Node // per image mean squared error per pixel (B), codes (B, L), images (B, 784)
	sampledMSE         *Node // per image, with sampled codes
	sampledImages      *Node
}

// reconstruct encodes x once and decodes it with the nearest codes and, for stochastic methods, with codes sampled
// from the scope's generator (one decoder pass for both).
func (m autoencoder) reconstruct(scope *model.Scope, x *Node) reconstruction {
	z := m.encode(scope, x)
	vq := scope.In("vq")
	codebook := m.q.Codebook(vq, z)
	index := vqlib.Nearest(z, codebook)
	q := Reshape(Gather(codebook, InsertAxes(index, -1)), z.Shape().Dimensions...)
	b := x.Shape().Dimensions[0]
	if !m.q.Stochastic() {
		images := m.decode(scope, q)
		return reconstruction{mse: ReduceMean(Square(Sub(images, x)), -1), index: index, images: images}
	}
	sampled := m.q.Quantize(reinmax.ScopeSource(vq), z, codebook).Quantized
	both := m.decode(scope, Concatenate([]*Node{q, sampled}, 0))
	images, sampledImages := Slice(both, AxisRange(0, b)), Slice(both, AxisRange(b, 2*b))
	return reconstruction{
		mse: ReduceMean(Square(Sub(images, x)), -1), index: index, images: images,
		sampledMSE: ReduceMean(Square(Sub(sampledImages, x)), -1), sampledImages: sampledImages,
	}
}
