package catvae

import (
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"bytes"
	"image"
	"image/color"
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
	if err := png.Encode(&buf, grid(rows, n)); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}

// grid lays out rows of n images of 28×28 grey levels in [0,1], with a one-pixel white border.
func grid(rows [][]float32, n int) *image.Gray {
	const side, gap = 28, 1
	img := image.NewGray(image.Rect(0, 0, n*(side+gap)+gap, len(rows)*(side+gap)+gap))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for r, row := range rows {
		for c := 0; c < n; c++ {
			for y := 0; y < side; y++ {
				for x := 0; x < side; x++ {
					v := row[c*Pixels+y*side+x]
					img.SetGray(gap+c*(side+gap)+x, gap+r*(side+gap)+y, color.Gray{Y: uint8(255 * (1 - clamp01(v)))})
				}
			}
		}
	}
	return img
}

func clamp01(v float32) float32 {
	return max(0, min(1, v))
}
