package vq

import (
	"bytes"
	"image/png"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/internal/atomicfile"
)

// imagesDir is the folder of an output folder that holds the pictures of the runs.
const imagesDir = "images"

// gridColumns is the number of images per row of the picture.
const gridColumns = 10

// writeImages draws rows of gridColumns images into a PNG at path: test images and their reconstructions with the
// nearest codes, and for stochastic methods a third row with sampled codes.
func writeImages(path string, m autoencoder, store *model.Store, test *images.Set, backend compute.Backend) error {
	n := min(gridColumns, test.N)
	x := append([]float32(nil), test.Images[:n*Pixels]...)
	out, err := model.ExecOnceN(backend, store, func(scope *model.Scope, x *Node) []*Node {
		r := m.reconstruct(scope, x)
		if r.sampledImages == nil {
			return []*Node{r.images}
		}
		return []*Node{r.images, r.sampledImages}
	}, tensors.FromFlatDataAndDimensions(x, n, Pixels))
	if err != nil {
		return err
	}
	rows := [][]float32{x}
	for _, o := range out {
		v, err := tensors.CopyFlatData[float32](o)
		if err != nil {
			return err
		}
		rows = append(rows, v)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, images.Grid(rows, n, 28, 28)); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}
