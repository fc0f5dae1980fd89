package reinmax_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
)

type validator interface {
	reinmax.StraightThrough
	Validate() error
}

func TestValidate(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		e       validator
		wantErr []string // substrings of the error; nil when the parameters are valid
	}{
		{reinmax.ReinMax{}, nil},
		{reinmax.ReinMax{Tau: 1}, nil},
		{reinmax.ReinMax{Tau: 1.5}, nil},
		{reinmax.ReinMax{Tau: 0.5}, []string{"reinmax", "tau", "1"}},
		{reinmax.ReinMax{Tau: 0.999}, []string{"reinmax", "tau", "1"}},
		{reinmax.ReinMax{Tau: nan}, []string{"reinmax", "tau"}},
		{reinmax.ReinMax{Tau: inf}, []string{"reinmax", "tau"}},
		{reinmax.ST{}, nil},
		{reinmax.ST{Tau: 0.1}, nil},
		{reinmax.ST{Tau: -1}, []string{"st", "tau"}},
		{reinmax.ST{Tau: nan}, []string{"st", "tau"}},
		{reinmax.STGS{Tau: 0.3}, nil},
		{reinmax.STGS{Tau: -0.5}, []string{"stgs", "tau"}},
		{reinmax.GumbelSoftmax{Tau: 0.3}, nil},
		{reinmax.GumbelSoftmax{Tau: math.Inf(-1)}, []string{"gumbel-softmax", "tau"}},
		{reinmax.GRMCK{}, nil},
		{reinmax.GRMCK{K: 1}, nil},
		{reinmax.GRMCK{K: -1}, []string{"gr-mck", "K"}},
		{reinmax.GRMCK{Tau: -2, K: 10}, []string{"gr-mck", "tau"}},
		{reinmax.GST{}, nil},
		{reinmax.GST{Adaptive: true}, nil},
		{reinmax.GST{Gap: -1}, []string{"gst-1.0", "gap"}},
		{reinmax.GST{Gap: nan}, []string{"gst-1.0", "gap"}},
		{reinmax.GST{Gap: inf}, []string{"gst-1.0", "gap"}},
		{reinmax.GST{Tau: -1, Adaptive: true}, []string{"gst-p", "tau"}},
		{reinmax.ReinMaxAlpha{}, nil},
		{reinmax.ReinMaxAlpha{Alpha: 0.5, Tau: 2}, nil},
		{reinmax.ReinMaxAlpha{Alpha: 100}, nil},
		{reinmax.ReinMaxAlpha{Alpha: 0.49}, []string{"reinmax-alpha", "alpha", "0.5"}},
		{reinmax.ReinMaxAlpha{Alpha: -1}, []string{"reinmax-alpha", "alpha"}},
		{reinmax.ReinMaxAlpha{Alpha: nan}, []string{"reinmax-alpha", "alpha"}},
		{reinmax.ReinMaxAlpha{Alpha: inf}, []string{"reinmax-alpha", "alpha"}},
		{reinmax.ReinMaxAlpha{Tau: 0.9}, []string{"reinmax-alpha", "tau", "1"}},
		{reinmax.ReinMaxRao{}, nil},
		{reinmax.ReinMaxRao{Tau: 0.3, K: 1}, nil},
		{reinmax.ReinMaxRao{K: -1}, []string{"reinmax-rao", "K"}},
		{reinmax.ReinMaxRao{Tau: -1}, []string{"reinmax-rao", "tau"}},
		{reinmax.ReinMaxCV{}, nil},
		{reinmax.ReinMaxCV{Eta: -0.5, K: 3, Tau: 1.2}, nil},
		{reinmax.ReinMaxCV{Tau: 0.5}, []string{"reinmax-cv", "tau", "1"}},
		{reinmax.ReinMaxCV{K: -2}, []string{"reinmax-cv", "K"}},
		{reinmax.ReinMaxCV{Eta: nan}, []string{"reinmax-cv", "eta"}},
		{reinmax.DecoupledST{}, nil},
		{reinmax.DecoupledST{Tau: 0.2, TauForward: 5}, nil},
		{reinmax.DecoupledST{TauForward: -1}, []string{"decoupled-st", "tau-forward"}},
		{reinmax.DecoupledST{TauForward: inf}, []string{"decoupled-st", "tau-forward"}},
		{reinmax.DecoupledST{Tau: -1}, []string{"decoupled-st", "tau"}},
		{reinmax.DecoupledSTGS{TauForward: -0.1}, []string{"decoupled-stgs", "tau-forward"}},
		{reinmax.DecoupledSTGS{TauForward: nan}, []string{"decoupled-stgs", "tau-forward"}},
		{reinmax.DecoupledSTGS{Tau: nan}, []string{"decoupled-stgs", "tau"}},
	}
	for _, tc := range tests {
		err := tc.e.Validate()
		switch {
		case tc.wantErr == nil && err != nil:
			t.Errorf("%#v.Validate() = %v, want nil", tc.e, err)
		case tc.wantErr != nil && err == nil:
			t.Errorf("%#v.Validate() = nil, want an error", tc.e)
		case err != nil:
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%#v.Validate() = %q, want it to mention %q", tc.e, err, s)
				}
			}
		}
	}
}

func TestNewStraightThrough(t *testing.T) {
	t.Parallel()
	names := reinmax.Names(reinmax.StraightThroughFamily)
	if len(names) != 12 {
		t.Errorf("straight-through names = %v, want the 12 estimators", names)
	}
	// Every registered name builds an estimator of that name with default parameters.
	for _, name := range names {
		e, err := reinmax.NewStraightThrough(name, reinmax.Params{})
		if err != nil {
			t.Errorf("NewStraightThrough(%q, {}) = %v", name, err)
			continue
		}
		if e.Name() != name {
			t.Errorf("NewStraightThrough(%q, {}).Name() = %q", name, e.Name())
		}
	}
	// An unknown name: the error lists the valid names.
	_, err := reinmax.NewStraightThrough("nope", reinmax.Params{})
	if err == nil {
		t.Fatal(`NewStraightThrough("nope") = nil error`)
	}
	for _, name := range append(names, "nope") {
		if !strings.Contains(err.Error(), name) {
			t.Errorf(`NewStraightThrough("nope") error %q does not mention %q`, err, name)
		}
	}
	// Out-of-range parameters, which the zero-means-default convention must not hide.
	bad := []struct {
		name string
		p    reinmax.Params
		want string
	}{
		{"reinmax", reinmax.Params{Tau: 0.5}, "tau"},
		{"gr-mck", reinmax.Params{K: -1}, "K"},
		{"reinmax-alpha", reinmax.Params{Alpha: 0.25}, "alpha"},
		{"reinmax-alpha", reinmax.Params{Alpha: math.NaN()}, "alpha"},
		{"reinmax-alpha", reinmax.Params{Alpha: -1}, "alpha"},
		{"reinmax-rao", reinmax.Params{K: -1}, "K"},
		{"reinmax-cv", reinmax.Params{Tau: 0.5}, "tau"},
		{"decoupled-st", reinmax.Params{TauForward: -1}, "tau-forward"},
		{"decoupled-stgs", reinmax.Params{TauForward: math.Inf(1)}, "tau-forward"},
	}
	for _, name := range names {
		bad = append(bad,
			struct {
				name string
				p    reinmax.Params
				want string
			}{name, reinmax.Params{Tau: math.NaN()}, "tau"},
			struct {
				name string
				p    reinmax.Params
				want string
			}{name, reinmax.Params{Tau: -1}, "tau"},
			struct {
				name string
				p    reinmax.Params
				want string
			}{name, reinmax.Params{Tau: math.Inf(1)}, "tau"})
	}
	for _, tc := range bad {
		e, err := reinmax.NewStraightThrough(tc.name, tc.p)
		if err == nil {
			t.Errorf("NewStraightThrough(%q, %+v) = %v, nil; want an error", tc.name, tc.p, e)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("NewStraightThrough(%q, %+v) error %q, want it to mention %q and %q", tc.name, tc.p, err, tc.name, tc.want)
		}
	}
}

// TestPanics checks that graph-building methods panic, with a message naming the estimator, on logits with one
// category, on integer logits, on a one-hot of the wrong shape and on out-of-range parameters.
func TestPanics(t *testing.T) {
	t.Parallel()
	g := NewGraph(testutil.Backend(t), "panics")
	defer g.Finalize()
	param := func(dtype dtypes.DType, dims ...int) *Node {
		return Parameter(g, fmt.Sprintf("p%d", g.NumParameters()), shapes.Make(dtype, dims...))
	}
	good := param(dtypes.Float32, 3, 4)
	goodD := param(dtypes.Float32, 3, 4)
	oneCat := param(dtypes.Float32, 3, 1)
	ints := param(dtypes.Int32, 3, 4)
	wrongD := param(dtypes.Float32, 3, 5)
	src := reinmax.NewStateSource(g, 1)
	ests := []reinmax.StraightThrough{
		reinmax.ST{}, reinmax.STGS{}, reinmax.GumbelSoftmax{}, reinmax.GST{}, reinmax.GST{Adaptive: true},
		reinmax.GRMCK{K: 2}, reinmax.ReinMax{}, reinmax.ReinMaxAlpha{}, reinmax.ReinMaxRao{K: 2}, reinmax.ReinMaxCV{K: 2},
		reinmax.DecoupledST{}, reinmax.DecoupledSTGS{},
	}
	for _, e := range ests {
		cases := []struct {
			what string
			f    func()
			want string
		}{
			{"Sample, one category", func() { e.Sample(src, oneCat) }, "categories"},
			{"Given, one category", func() { e.Given(src, oneCat, oneCat) }, "categories"},
			{"Sample, int32 logits", func() { e.Sample(src, ints) }, "float"},
			{"Given, int32 logits", func() { e.Given(src, ints, ints) }, "float"},
			{"Given, one-hot of the wrong shape", func() { e.Given(src, good, wrongD) }, "shape"},
		}
		for _, tc := range cases {
			msg := recovered(tc.f)
			if msg == "" {
				t.Errorf("%s %s: no panic", e.Name(), tc.what)
				continue
			}
			if !strings.Contains(msg, "reinmax: "+e.Name()+":") || !strings.Contains(msg, tc.want) {
				t.Errorf("%s %s: panic %q, want it to name %q and mention %q", e.Name(), tc.what, msg, e.Name(), tc.want)
			}
		}
		if msg := recovered(func() { e.Given(src, good, goodD) }); msg != "" {
			t.Errorf("%s: Given with valid inputs panics: %s", e.Name(), msg)
		}
	}
	for _, tc := range []struct {
		e    reinmax.StraightThrough
		want string
	}{
		{reinmax.ReinMax{Tau: 0.5}, "tau"},
		{reinmax.ST{Tau: -1}, "tau"},
		{reinmax.GRMCK{K: -3}, "K"},
		{reinmax.GST{Gap: -1}, "gap"},
		{reinmax.ReinMaxAlpha{Alpha: 0.3}, "alpha"},
		{reinmax.ReinMaxRao{K: -3}, "K"},
		{reinmax.ReinMaxCV{Tau: 0.9}, "tau"},
		{reinmax.DecoupledST{TauForward: -2}, "tau-forward"},
		{reinmax.DecoupledSTGS{TauForward: -2}, "tau-forward"},
	} {
		for _, f := range []func(){func() { tc.e.Sample(src, good) }, func() { tc.e.Given(src, good, goodD) }} {
			if msg := recovered(f); !strings.Contains(msg, "reinmax: "+tc.e.Name()) || !strings.Contains(msg, tc.want) {
				t.Errorf("%#v: panic %q, want it to name %q and mention %q", tc.e, msg, tc.e.Name(), tc.want)
			}
		}
	}
	if msg := recovered(func() { reinmax.Categorical(src, oneCat) }); !strings.Contains(msg, "reinmax: Categorical:") {
		t.Errorf("Categorical with one category: panic %q, want it to name Categorical", msg)
	}
}
