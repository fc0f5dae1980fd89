package oracle

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestNumOutcomes(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		L, C int
		want int
		msg  []string // substrings of the error, nil if no error
	}{
		{L: 1, C: 5, want: 5},
		{L: 3, C: 4, want: 64},
		{L: 0, C: 7, want: 1},
		{L: 20, C: 2, want: MaxOutcomes},
		{L: 21, C: 2, msg: []string{"2^21 = 2097152", "MaxOutcomes = 1048576"}},
		// 3^20 = 3486784401 (exact integer power).
		{L: 20, C: 3, msg: []string{"3^20 = 3486784401", "1048576"}},
		{L: 30, C: 10, msg: []string{"10^30 = 1000000000000000000000000000000"}},
	} {
		n, err := NumOutcomes(test.L, test.C)
		if test.msg == nil {
			if err != nil || n != test.want {
				t.Errorf("NumOutcomes(%d, %d) = %d, %v; want %d, nil", test.L, test.C, n, err, test.want)
			}
			continue
		}
		if !errors.Is(err, ErrTooManyOutcomes) {
			t.Errorf("NumOutcomes(%d, %d): error %v does not wrap ErrTooManyOutcomes", test.L, test.C, err)
			continue
		}
		for _, m := range test.msg {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("NumOutcomes(%d, %d): error %q does not contain %q", test.L, test.C, err, m)
			}
		}
	}
}

func TestOutcomesOrder(t *testing.T) {
	t.Parallel()
	outs, err := Outcomes(2, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]int
	for d := range outs {
		got = append(got, slices.Clone(d))
	}
	want := [][]int{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 1}, {2, 2}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Outcomes(2, 3) = %v, want %v", got, want)
	}
	n := 0
	for range outs {
		n++
		if n == 4 {
			break
		}
	}
	if n != 4 {
		t.Errorf("break after 4 outcomes: got %d", n)
	}
	if _, err := Outcomes(21, 2); !errors.Is(err, ErrTooManyOutcomes) {
		t.Errorf("Outcomes(21, 2): error %v, want ErrTooManyOutcomes", err)
	}
}

func TestProb(t *testing.T) {
	t.Parallel()
	// Reference section 1.4: softmax([1, -0.5, 0.25]) = [.589798, .131602, .278601].
	if p := Prob([]float64{1, -0.5, 0.25}, []int{1}); !(math.Abs(p-.131602) <= 1e-6) {
		t.Errorf("Prob = %v, want .131602", p)
	}
	if p := Prob([]float64{0, negInf, 0, 0}, []int{1, 0}); p != 0 {
		t.Errorf("Prob of a masked category = %v, want 0", p)
	}
	rnd := rand.New(rand.NewPCG(2, 2))
	theta := normals(rnd, 3*4)
	theta[5] = negInf
	outs, _ := Outcomes(3, 4)
	var total float64
	for d := range outs {
		total += Prob(theta, d)
	}
	if !(math.Abs(total-1) <= 1e-14) {
		t.Errorf("probabilities of all outcomes sum to %v, want 1", total)
	}
}
