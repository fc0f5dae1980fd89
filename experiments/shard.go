package experiments

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard selects the I-th of N slices of a sweep (0 <= I < N), so that a job array on N machines runs the whole
// sweep once. The zero value selects everything.
type Shard struct {
	I, N int
}

// ParseShard parses "i/n". The empty string selects everything.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n, e.g. 0/4", s)
	}
	return Shard{I: i, N: n}, nil
}

// Owns reports whether the job with the given index in the sweep belongs to this shard (jobs are dealt round-robin).
func (s Shard) Owns(job int) bool {
	return s.N <= 1 || job%s.N == s.I
}

func (s Shard) String() string {
	if s.N <= 1 {
		return "all"
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}
