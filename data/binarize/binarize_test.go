package binarize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBernoulliExtremes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	src := []float32{0, 1, -0.5, 1.5, 0, 1}
	want := []float32{0, 1, 0, 1, 0, 1}
	for range 1000 {
		dst := make([]float32, len(src))
		Bernoulli(dst, src, rng)
		if !slices.Equal(dst, want) {
			t.Fatalf("Bernoulli(%v) = %v, want %v", src, dst, want)
		}
	}
}

// TestBernoulliMean checks E[x_b] = x: over n pixels the mean of x_b has mean mean(x) and
// variance sum x(1-x) / n^2; the tolerance is 5 standard deviations, a fixed-seed check that
// a wrong threshold (u <= x, u > x, x^2 ...) misses by far more.
func TestBernoulliMean(t *testing.T) {
	t.Parallel()
	const n = 200000
	for _, tc := range []struct {
		name string
		x    func(i int) float32
	}{
		{"constant 0.3", func(int) float32 { return 0.3 }},
		{"constant 0.97", func(int) float32 { return 0.97 }},
		{"ramp", func(i int) float32 { return float32(i%256) / 255 }},
	} {
		src := make([]float32, n)
		var mean, variance float64
		for i := range src {
			src[i] = tc.x(i)
			p := float64(src[i])
			mean += p / n
			variance += p * (1 - p) / (n * n)
		}
		got := Fixed(src, rand.New(rand.NewPCG(3, 4)))
		var m float64
		for _, v := range got {
			if v != 0 && v != 1 {
				t.Fatalf("%s: value %v is not 0 or 1", tc.name, v)
			}
			m += float64(v) / n
		}
		if tol := 5 * math.Sqrt(variance); !(math.Abs(m-mean) <= tol) {
			t.Errorf("%s: mean %v, want %v within %v", tc.name, m, mean, tol)
		}
	}
}

func TestDynamicAndFixed(t *testing.T) {
	t.Parallel()
	src := make([]float32, 784)
	for i := range src {
		src[i] = 0.5
	}
	a := Fixed(src, rand.New(rand.NewPCG(7, 7)))
	b := Fixed(src, rand.New(rand.NewPCG(7, 7)))
	if !slices.Equal(a, b) {
		t.Error("Fixed with the same seed gave different draws")
	}
	// Dynamic use: the generator runs on, so a second epoch draws anew. Two draws of 784
	// fair coins coincide with probability 2^-784.
	rng := rand.New(rand.NewPCG(7, 7))
	epoch1, epoch2 := make([]float32, len(src)), make([]float32, len(src))
	Bernoulli(epoch1, src, rng)
	Bernoulli(epoch2, src, rng)
	if !slices.Equal(epoch1, a) || slices.Equal(epoch1, epoch2) {
		t.Error("Bernoulli: first epoch should equal Fixed with the same seed and the second should differ")
	}
	// In place.
	in := slices.Clone(src)
	Bernoulli(in, in, rand.New(rand.NewPCG(7, 7)))
	if !slices.Equal(in, a) {
		t.Error("Bernoulli in place differs from Fixed")
	}
}

func TestBernoulliPanics(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"length": func() { Bernoulli(make([]float32, 2), make([]float32, 3), rand.New(rand.NewPCG(1, 1))) },
		"nil":    func() { Bernoulli(nil, nil, nil) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func ExampleFixed() {
	grey := []float32{0, 0.25, 0.5, 0.75, 1}
	rng := rand.New(rand.NewPCG(1, 1))
	var sum [5]float64
	const draws = 10000
	for range draws {
		for i, v := range Fixed(grey, rng) {
			sum[i] += float64(v) / draws
		}
	}
	// The frequency of ones estimates the grey level with a standard error of at most 0.005
	// (at 0.5); rounded to 0.05 it prints the grey level unless it is 5 standard errors off.
	for i := range sum {
		fmt.Printf("%.2f ", math.Round(sum[i]*20)/20)
	}
	fmt.Println()
	// Output: 0.00 0.25 0.50 0.75 1.00
}
