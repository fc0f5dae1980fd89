package catvae

import (
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"bytes"
	"image/png"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/data/images"
)

// gridColumns is the number of images per row of the picture.
const gridColumns = 10

// writeImages draws three rows of gridColumns images into a PNG at path: test images, their reconstructions
// (the decoder's mean for one sampled code), and decodings of codes drawn from the uniform prior.
func writeImages(path string, m vae, store *model.Store, test *images.Set, backend compute.Backend) error {
	n := min(gridColumns, test.N)
	x := append([]float32(nil), test.Images[:n*Pixels]...)
	out, err := model.ExecOnce(backend, store, func(scope *model.Scope, x *Node) *Node {
		src := reinmax.ScopeSource(scope)
		hard := reinmax.Categorical(src, m.encode(scope, x))
		prior := reinmax.Categorical(src, ZerosLike(hard))
		codes := Concatenate([]*Node{hard, prior}, 0)
		return Sigmoid(m.decode(scope, Reshape(codes, 2*n, m.cfg.Latents*m.cfg.Categories)))
	}, tensors.FromFlatDataAndDimensions(x, n, Pixels))
	if err != nil {
		return err
	}
	decoded, err := tensors.CopyFlatData[float32](out)
	if err != nil {
		return err
	}
	rows := [][]float32{x, decoded[:n*Pixels], decoded[n*Pixels:]}
	var buf bytes.Buffer
	if err := png.Encode(&buf, images.Grid(rows, n, 28, 28)); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}
