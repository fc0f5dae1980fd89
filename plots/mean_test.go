package plots

import "testing"

func TestMean(t *testing.T) {
	var m Mean
	m.Add("b", 2, 10)
	m.Add("a", 1, 1)
	m.Add("b", 1, 4)
	m.Add("b", 2, 20)
	got := m.Series()
	if len(got) != 2 || got[0].Label != "b" || got[1].Label != "a" {
		t.Fatalf("labels %v, want b then a (first-seen order)", got)
	}
	b := got[0]
	if len(b.X) != 2 || b.X[0] != 1 || b.X[1] != 2 || b.Y[0] != 4 || b.Y[1] != 15 {
		t.Errorf("series b = %+v, want x 1,2 and means 4,15", b)
	}
}
