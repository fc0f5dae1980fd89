package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/results"
)

// readRuns reads the results file of experiment name in dir, describes its runs into s (runsOf) and returns its
// records; a folder without a finished run is an error.
func readRuns[C any, R experiments.Record, P experiments.RecordPointer[C, R]](name, dir string, s *Section,
	settings func(R) any, seconds func(R) float64) ([]R, error) {
	recs, err := experiments.ReadResults[C, R, P](name, dir)
	if err != nil {
		return nil, wrapRead(err)
	}
	if s.Runs, err = runsOf(recs, settings, seconds); err != nil {
		return nil, err
	}
	if s.Runs.Finished == 0 {
		return nil, fmt.Errorf("no finished run in %s", dir)
	}
	return recs, nil
}

// runsOf describes the runs of recs from the settings their records carry (settings returns a record's Settings
// pointer): how many finished, the settings they share, and one row per group of finished runs that differ only in
// their seed. seconds, when not nil, gives the wall time a record accounts for.
func runsOf[R results.Record](recs []R, settings func(R) any, seconds func(R) float64) (Runs, error) {
	var out Runs
	all := map[string]bool{}
	for _, r := range recs {
		all[r.RunKey()] = true
	}
	done := results.Complete(recs)
	type run struct {
		names  []string
		values map[string]string
	}
	var runs []run
	seen := map[string]bool{}
	total := 0.0
	for _, r := range done {
		if seconds != nil {
			total += seconds(r)
		}
		if !r.Final() || seen[r.RunKey()] {
			continue
		}
		seen[r.RunKey()] = true
		names, values, err := fields(settings(r))
		if err != nil {
			return Runs{}, err
		}
		runs = append(runs, run{names, values})
	}
	out.Finished, out.Unfinished = len(runs), len(all)-len(runs)
	out.Text = fmt.Sprintf("%d finished runs", out.Finished)
	if out.Unfinished > 0 {
		out.Text += fmt.Sprintf(", %d unfinished (left out)", out.Unfinished)
	}
	if seconds != nil && total > 0 {
		out.Text += fmt.Sprintf("; %s of training, summed over the records' wall times", time.Duration(total*float64(time.Second)).Round(time.Second))
	}
	if len(runs) == 0 {
		return out, nil
	}
	var varying []string
	for _, r := range runs {
		for _, n := range r.names {
			if slices.Contains(varying, n) || slices.ContainsFunc(out.Common, func(s Setting) bool { return s.Name == n }) {
				continue
			}
			same := true
			for _, q := range runs {
				if v, ok := q.values[n]; !ok || v != r.values[n] {
					same = false
					break
				}
			}
			if same {
				out.Common = append(out.Common, Setting{n, r.values[n]})
			} else if n != "seed" {
				varying = append(varying, n)
			}
		}
	}
	out.Columns = append(varying, "seeds")
	index := map[string]int{}
	var seeds [][]string
	for _, r := range runs {
		row := make([]string, len(varying))
		for i, n := range varying {
			row[i] = r.values[n]
		}
		key := strings.Join(row, "\x00")
		i, ok := index[key]
		if !ok {
			i = len(out.Rows)
			index[key] = i
			out.Rows = append(out.Rows, row)
			seeds = append(seeds, nil)
		}
		seeds[i] = append(seeds[i], r.values["seed"])
	}
	for i := range out.Rows {
		out.Rows[i] = append(out.Rows[i], seedList(seeds[i]))
	}
	return out, nil
}

// fields returns the top-level fields of v's JSON in their order, each value as text: a string without its
// quotes, anything else as its JSON.
func fields(v any) ([]string, map[string]string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, fmt.Errorf("settings %s are not a JSON object", raw)
	}
	var names []string
	values := map[string]string{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		name := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, nil, err
		}
		text := string(val)
		var s string
		if json.Unmarshal(val, &s) == nil {
			text = s
		}
		names = append(names, name)
		values[name] = text
	}
	return names, values, nil
}

// seedList writes seeds compactly: runs of consecutive integers as "a–b", e.g. "0–4, 7".
func seedList(seeds []string) string {
	var nums []int
	for _, s := range seeds {
		n, err := strconv.Atoi(s)
		if err != nil {
			return strings.Join(seeds, ", ")
		}
		nums = append(nums, n)
	}
	if len(nums) == 0 {
		return "–" // a configuration without seeds
	}
	slices.Sort(nums)
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, strconv.Itoa(nums[i]))
		case j == i+1:
			parts = append(parts, strconv.Itoa(nums[i]), strconv.Itoa(nums[j]))
		default:
			parts = append(parts, fmt.Sprintf("%d–%d", nums[i], nums[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
