package results

// Group is one row of a summary: the finished runs that share a summary key, seeds usually.
type Group[R Record] struct {
	Key    string
	Runs   []R // every record of the group's finished runs, in their order
	Finals []R // the final record of each run
}

// GroupFinished groups the records of the finished runs in recs (see Complete) by key(record), in the order the
// groups first appear.
func GroupFinished[R Record](recs []R, key func(R) string) []Group[R] {
	var groups []Group[R]
	index := map[string]int{}
	for _, r := range Complete(recs) {
		k := key(r)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, Group[R]{Key: k})
		}
		groups[i].Runs = append(groups[i].Runs, r)
		if r.Final() {
			groups[i].Finals = append(groups[i].Finals, r)
		}
	}
	return groups
}

// Column returns f of every record of rs.
func Column[R any](rs []R, f func(R) float64) []float64 {
	x := make([]float64, len(rs))
	for i, r := range rs {
		x[i] = f(r)
	}
	return x
}
