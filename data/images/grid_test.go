package images

import "testing"

// TestGrid lays out two rows of two 2×3 images and checks the size, the white border and gaps, the levels (1 is
// black) and the clamping.
func TestGrid(t *testing.T) {
	a := []float32{0, 1, 0.5, 0, 0, 0, 1, 1, 1, 1, 1, 1} // image 0: a row with black and grey; image 1: black
	b := []float32{-3, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0}  // clamped to 0 and 1
	pic := Grid([][]float32{a, b}, 2, 2, 3)
	if w, h := pic.Bounds().Dx(), pic.Bounds().Dy(); w != 2*(3+1)+1 || h != 2*(2+1)+1 {
		t.Fatalf("picture %dx%d, want 9x7", w, h)
	}
	for _, tc := range []struct {
		x, y int
		want uint8
	}{
		{0, 0, 255}, {4, 1, 255}, {1, 3, 255}, // border and gaps
		{1, 1, 255}, {2, 1, 0}, {3, 1, 127}, // image 0, first row: 0, 1, 0.5
		{5, 1, 0}, {7, 2, 0}, // image 1: black
		{1, 4, 255}, {3, 5, 0}, // row 2, image 0: -3 clamped to white, 7 to black
	} {
		if got := pic.GrayAt(tc.x, tc.y).Y; got != tc.want {
			t.Errorf("pixel (%d,%d) = %d, want %d", tc.x, tc.y, got, tc.want)
		}
	}
}
