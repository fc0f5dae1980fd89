package reinmax

import "testing"

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Params
		want Params
	}{
		{"reinmax", Params{}, Params{Tau: 1}},
		{"reinmax", Params{Tau: 1.3, K: 50}, Params{Tau: 1.3}}, // ReinMax reads no K
		{"gr-mck", Params{Tau: 0.5}, Params{Tau: 0.5, K: 100}},
		{"rloo", Params{Tau: 2}, Params{K: 2}},
		{"exact", Params{Tau: 2, K: 7}, Params{}},
	} {
		got, err := Resolve(tc.name, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%s, %+v) = %+v, %v; want %+v", tc.name, tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []Params{{Tau: -1}, {K: -1}} {
		if _, err := Resolve("st", bad); err == nil {
			t.Errorf("Resolve(st, %+v) accepted a negative parameter", bad)
		}
	}
	if _, err := Resolve("nope", Params{}); err == nil {
		t.Error("Resolve accepted an unknown estimator")
	}
}

func TestNewSaysTheFamily(t *testing.T) {
	for _, tc := range []struct {
		name   string
		family Family
	}{{"reinmax", StraightThroughFamily}, {"gr-mck", StraightThroughFamily}, {"rloo", ScoreFunctionFamily}, {"exact", ScoreFunctionFamily}} {
		e, err := New(tc.name, Params{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		st, sf := e.StraightThrough != nil, e.ScoreFunction != nil
		if e.Spec.Family != tc.family || st != (tc.family == StraightThroughFamily) || sf == st {
			t.Errorf("%s: family %v, straight-through %v, score-function %v; want %v and exactly one estimator", tc.name, e.Spec.Family, st, sf, tc.family)
		}
	}
	if e, _ := New("gr-mck", Params{Tau: 0.5}); e.Params != (Params{Tau: 0.5, K: 100}) {
		t.Errorf("gr-mck params %+v, want the default K written out", e.Params)
	}
	if _, err := New("reinmax", Params{Tau: 0.5}); err == nil {
		t.Error("reinmax at tau 0.5 accepted")
	}
	if _, err := NewStraightThrough("rloo", Params{}); err == nil {
		t.Error("a score-function estimator built as straight-through")
	}
	if _, err := NewScoreFunction("st", Params{}); err == nil {
		t.Error("a straight-through estimator built as score-function")
	}
}
