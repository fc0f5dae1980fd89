package plots

import (
	"math"
	"sort"
)

// Mean collects points of several runs per line and averages them: the curve of a label at x is the mean of the
// y values added at that x (the runs of different seeds, say), with a band of one standard deviation around it
// where two runs or more reach x.
type Mean struct {
	labels []string
	points map[string]map[float64][3]float64 // label -> x -> (sum of y, sum of y², count)
}

// Add records the point (x, y) of one run of the line label.
func (m *Mean) Add(label string, x, y float64) {
	if m.points == nil {
		m.points = map[string]map[float64][3]float64{}
	}
	byX, ok := m.points[label]
	if !ok {
		byX = map[float64][3]float64{}
		m.points[label] = byX
		m.labels = append(m.labels, label)
	}
	s := byX[x]
	byX[x] = [3]float64{s[0] + y, s[1] + y*y, s[2] + 1}
}

// Series returns the mean curve of every label, in the order the labels were first added, with x increasing. A
// curve that has two runs or more at some x carries the band mean ± s, s the sample standard deviation over the
// runs at x (0 where one run reaches x).
func (m *Mean) Series() []Series {
	out := make([]Series, 0, len(m.labels))
	for _, l := range m.labels {
		byX := m.points[l]
		s := Series{Label: l}
		for x := range byX {
			s.X = append(s.X, x)
		}
		sort.Float64s(s.X)
		band := false
		for _, x := range s.X {
			p := byX[x]
			mean, sd := p[0]/p[2], 0.0
			if p[2] > 1 {
				sd = math.Sqrt(max(p[1]-p[2]*mean*mean, 0) / (p[2] - 1))
				band = true
			}
			s.Y = append(s.Y, mean)
			s.Lo, s.Hi = append(s.Lo, mean-sd), append(s.Hi, mean+sd)
		}
		if !band {
			s.Lo, s.Hi = nil, nil
		}
		out = append(out, s)
	}
	return out
}
