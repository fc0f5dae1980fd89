package images

import "testing"

func TestSlice(t *testing.T) {
	s := &Set{Images: []float32{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}, Labels: []int{7, 8, 9}, N: 3, Rows: 2, Cols: 2}
	got := s.Slice(1, 3)
	if got.N != 2 || len(got.Images) != 8 || &got.Images[0] != &s.Images[4] || got.Labels[0] != 8 || got.Rows != 2 || got.Cols != 2 {
		t.Errorf("Slice(1, 3) = %+v", got)
	}
	if img := got.Image(1); len(img) != 4 || img[0] != 2 || cap(img) != 4 {
		t.Errorf("Slice(1, 3).Image(1) = %v (cap %d), want image 2 of s", img, cap(img))
	}
	for _, r := range [][2]int{{-1, 2}, {2, 1}, {0, 4}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Slice(%d, %d): no panic", r[0], r[1])
				}
			}()
			s.Slice(r[0], r[1])
		}()
	}
}

func TestSplitLast(t *testing.T) {
	s := &Set{Images: make([]float32, 5), Labels: []int{0, 1, 2, 3, 4}, N: 5, Rows: 1, Cols: 1}
	first, last := s.SplitLast(2)
	if first.N != 3 || last.N != 2 || last.Labels[0] != 3 || &last.Images[0] != &s.Images[3] {
		t.Errorf("SplitLast(2) = %d + %d images, last starts at label %d", first.N, last.N, last.Labels[0])
	}
	for _, n := range []int{-1, 6} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SplitLast(%d): no panic", n)
				}
			}()
			s.SplitLast(n)
		}()
	}
}

func TestTrainTestLimit(t *testing.T) {
	set := func(n int) *Set {
		return &Set{Images: make([]float32, n), Labels: make([]int, n), N: n, Rows: 1, Cols: 1}
	}
	d := TrainTest{Train: set(10), Test: set(4)}
	got, err := d.Limit(6, 0, 5)
	if err != nil || got.Train.N != 6 || got.Test != d.Test {
		t.Errorf("Limit(6, 0, 5) = %d training images, the same test set %v, error %v; want 6, true, nil",
			got.Train.N, got.Test == d.Test, err)
	}
	for _, c := range []struct {
		d                  TrainTest
		train, test, batch int
	}{
		{TrainTest{Train: set(10)}, 0, 0, 1},
		{TrainTest{Test: set(4)}, 0, 0, 1},
		{d, 4, 0, 5},
		{d, 0, 0, 11},
		{TrainTest{Train: set(10), Test: set(0)}, 0, 0, 1},
	} {
		if _, err := c.d.Limit(c.train, c.test, c.batch); err == nil {
			t.Errorf("Limit(%d, %d, %d) of %d training and %d test images: no error",
				c.train, c.test, c.batch, size(c.d.Train), size(c.d.Test))
		}
	}
}

func size(s *Set) int {
	if s == nil {
		return 0
	}
	return s.N
}
