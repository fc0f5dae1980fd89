package images

import (
	"image"
	"image/color"
)

// Grid lays out images of rows×cols grey levels in [0,1] as a picture, one row of the picture per element of imgs
// (each n images one after the other, row-major), with a one-pixel white border; grey level 1 is black, as in the
// usual pictures of MNIST. Levels outside [0,1] are clamped.
func Grid(imgs [][]float32, n, rows, cols int) *image.Gray {
	const gap = 1
	pic := image.NewGray(image.Rect(0, 0, n*(cols+gap)+gap, len(imgs)*(rows+gap)+gap))
	for i := range pic.Pix {
		pic.Pix[i] = 255
	}
	size := rows * cols
	for r, row := range imgs {
		for c := 0; c < n; c++ {
			for y := 0; y < rows; y++ {
				for x := 0; x < cols; x++ {
					v := max(0, min(1, row[c*size+y*cols+x]))
					pic.SetGray(gap+c*(cols+gap)+x, gap+r*(rows+gap)+y, color.Gray{Y: uint8(255 * (1 - v))})
				}
			}
		}
	}
	return pic
}
