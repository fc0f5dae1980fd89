package results

import (
	"reflect"
	"strings"
	"testing"
)

func TestGroupFinished(t *testing.T) {
	recs := []rec{
		{Run: "x seed=0", Step: 0, Loss: 1},
		{Run: "y seed=0", Step: 0, Loss: 2},
		{Run: "x seed=1", Step: 0, Loss: 3},
		{Run: "x seed=0", Step: 1, Loss: 4, Last: true},
		{Run: "y seed=0", Step: 1, Loss: 5, Last: true},
		{Run: "x seed=1", Step: 1, Loss: 6, Last: true},
		{Run: "y seed=1", Step: 0, Loss: 7}, // unfinished: in no group
	}
	config := func(r rec) string { return strings.Fields(r.Run)[0] }
	got := GroupFinished(recs, config)
	want := []Group[rec]{
		{Key: "x", Runs: []rec{recs[0], recs[3], recs[2], recs[5]}, Finals: []rec{recs[3], recs[5]}},
		{Key: "y", Runs: []rec{recs[1], recs[4]}, Finals: []rec{recs[4]}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GroupFinished:\n got %+v\nwant %+v", got, want)
	}
	if loss := Column(got[0].Finals, func(r rec) float64 { return r.Loss }); !reflect.DeepEqual(loss, []float64{4, 6}) {
		t.Errorf("Column of x's final losses = %v, want [4 6]", loss)
	}
}
