package plots

import "sort"

// Mean collects points of several runs per line and averages them: the curve of a label at x is the mean of the
// y values added at that x (the runs of different seeds, say).
type Mean struct {
	labels []string
	points map[string]map[float64][2]float64 // label -> x -> (sum of y, count)
}

// Add records the point (x, y) of one run of the line label.
func (m *Mean) Add(label string, x, y float64) {
	if m.points == nil {
		m.points = map[string]map[float64][2]float64{}
	}
	byX, ok := m.points[label]
	if !ok {
		byX = map[float64][2]float64{}
		m.points[label] = byX
		m.labels = append(m.labels, label)
	}
	s := byX[x]
	byX[x] = [2]float64{s[0] + y, s[1] + 1}
}

// Series returns the mean curve of every label, in the order the labels were first added, with x increasing.
func (m *Mean) Series() []Series {
	out := make([]Series, 0, len(m.labels))
	for _, l := range m.labels {
		byX := m.points[l]
		s := Series{Label: l}
		for x := range byX {
			s.X = append(s.X, x)
		}
		sort.Float64s(s.X)
		for _, x := range s.X {
			p := byX[x]
			s.Y = append(s.Y, p[0]/p[1])
		}
		out = append(out, s)
	}
	return out
}
