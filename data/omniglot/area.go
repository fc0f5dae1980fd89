package omniglot

import "bytes"

// overlap is the share of source pixel I in one output pixel: Num/Den of it lies inside.
type overlap struct {
	I   int
	Num int
}

// areaWeights returns, for each of the d output pixels of a row of s source pixels, the source
// pixels it overlaps and by how much, and the common denominator den. Output pixel j covers
// the source interval [j*s/d, (j+1)*s/d); in units of 1/d' source pixel (s', d' = s, d divided
// by their gcd) source pixel i is [i*d', (i+1)*d') and output pixel j is [j*s', (j+1)*s'), so
// the overlaps are integers that sum to den = s' for every j.
func areaWeights(s, d int) (w [][]overlap, den int) {
	g := gcd(s, d)
	sr, dr := s/g, d/g
	w = make([][]overlap, d)
	for j := range w {
		lo, hi := j*sr, (j+1)*sr
		for i := lo / dr; i*dr < hi; i++ {
			o := min(hi, (i+1)*dr) - max(lo, i*dr)
			if o > 0 {
				w[j] = append(w[j], overlap{i, o})
			}
		}
	}
	return w, sr
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// AreaAverage writes into dst, a d x d image, the area average of src, an s x s image (both
// row-major): output pixel (y, x) covers the square [y*s/d, (y+1)*s/d) x [x*s/d, (x+1)*s/d) of
// the source, and its value is the mean of src over that square, each source pixel weighted by
// the area it shares with the square:
//
//	dst[y][x] = (d/s)^2 * sum_{i,k} |[i, i+1) ∩ [y*s/d, (y+1)*s/d)| * |[k, k+1) ∩ [x*s/d, (x+1)*s/d)| * src[i][k]
//
// The weights are exact rationals; the sums are computed in float64. Down-sampling (s > d) is
// the intended use, but any positive sizes work. AreaAverage panics if len(src) != s*s,
// len(dst) != d*d or a size is not positive.
func AreaAverage(dst []float32, d int, src []float32, s int) {
	if s <= 0 || d <= 0 || len(src) != s*s || len(dst) != d*d {
		panic("omniglot: AreaAverage size mismatch")
	}
	w, den := areaWeights(s, d)
	rows := make([]float64, s*d) // rows[i*d+x]: row i averaged horizontally
	for i := range s {
		for x, ws := range w {
			var v float64
			for _, o := range ws {
				v += float64(o.Num) * float64(src[i*s+o.I])
			}
			rows[i*d+x] = v
		}
	}
	norm := 1 / float64(den*den)
	for y, ws := range w {
		for x := range d {
			var v float64
			for _, o := range ws {
				v += float64(o.Num) * rows[o.I*d+x]
			}
			dst[y*d+x] = float32(v * norm)
		}
	}
}

// inkAverager is AreaAverage specialised to the Omniglot images: 105x105 bytes where 0 is a
// stroke (ink 1) and anything else paper (ink 0), to 28x28, in integer arithmetic. 105/28 =
// 15/4, so every 15 source pixels of a row map to 4 output pixels with the overlaps of
// areaWeights(105, 28), in quarters of a source pixel, repeating with period 15:
//
//	out0 = 4 x0 + 4 x1 + 4 x2 + 3 x3
//	out1 = 1 x3 + 4 x4 + 4 x5 + 4 x6 + 2 x7
//	out2 = 2 x7 + 4 x8 + 4 x9 + 4 x10 + 1 x11
//	out3 = 3 x11 + 4 x12 + 4 x13 + 4 x14
//
// and the same along columns, so out = sum / 15^2. Rows without ink, most of them, are skipped.
type inkAverager struct {
	rows [SrcSize][Cols]int32 // horizontal sums of every source row
}

// group4 returns the four outputs of 15 consecutive values with the weights above.
func group4(x *[15]int32) (a, b, c, d int32) {
	a = 4*(x[0]+x[1]+x[2]) + 3*x[3]
	b = x[3] + 4*(x[4]+x[5]+x[6]) + 2*x[7]
	c = 2*x[7] + 4*(x[8]+x[9]+x[10]) + x[11]
	d = 3*x[11] + 4*(x[12]+x[13]+x[14])
	return
}

// average writes the 28x28 grey levels of the 105x105 image src into dst. Every value is an
// integer k in [0, 225] divided by 225, rounded once to float32.
func (a *inkAverager) average(dst []float32, src []byte) {
	const groups = SrcSize / 15
	var x [15]int32
	for i := range SrcSize {
		row := src[i*SrcSize : (i+1)*SrcSize : (i+1)*SrcSize]
		out := &a.rows[i]
		if bytes.IndexByte(row, 0) < 0 {
			*out = [Cols]int32{}
			continue
		}
		for g := range groups {
			for k, b := range row[15*g : 15*g+15] {
				x[k] = int32((uint32(b) - 1) >> 31) // 1 for a stroke (b == 0), else 0
			}
			out[4*g], out[4*g+1], out[4*g+2], out[4*g+3] = group4(&x)
		}
	}
	for g := range groups {
		for col := range Cols {
			for k := range x {
				x[k] = a.rows[15*g+k][col]
			}
			v0, v1, v2, v3 := group4(&x)
			dst[(4*g)*Cols+col] = float32(v0) / 225
			dst[(4*g+1)*Cols+col] = float32(v1) / 225
			dst[(4*g+2)*Cols+col] = float32(v2) / 225
			dst[(4*g+3)*Cols+col] = float32(v3) / 225
		}
	}
}
