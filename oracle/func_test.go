package oracle

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFuncGrad checks each test function's Grad against a central finite difference of F at a random
// real (not one-hot) point. Step h = 1e-5: truncation O(h^2) ~ 1e-10, round-off ~ 1e-16/h ~ 1e-11.
func TestFuncGrad(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(3, 3))
	const L, C = 2, 3
	for _, test := range []struct {
		name string
		f    Func
	}{
		{"quadratic", RandomQuadratic(L, C, rnd)},
		{"cubic", RandomCubic(L, C, rnd)},
		{"smooth", RandomSmooth(L, C, rnd)},
		{"quadratic nil", Quadratic(L, C, nil, nil)},
		{"cubic w only", Cubic(L, C, normals(rnd, L*C), nil, nil)},
	} {
		d := normals(rnd, L*C)
		g := make([]float64, L*C)
		test.f.Grad(g, d)
		const h = 1e-5
		for i := range d {
			x := d[i]
			d[i] = x + h
			fp := test.f.F(d)
			d[i] = x - h
			fm := test.f.F(d)
			d[i] = x
			fd := (fp - fm) / (2 * h)
			if !(math.Abs(fd-g[i]) <= 1e-6*(1+math.Abs(fd))) {
				t.Errorf("%s: Grad[%d] = %v, finite difference %v", test.name, i, g[i], fd)
			}
		}
	}
}
