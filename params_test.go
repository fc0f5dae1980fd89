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
