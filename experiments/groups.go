package experiments

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// SettingsKey returns a key of cfg's settings without its seed: the runs of one group of a summary, whose seeds
// are averaged over, share it; runs that differ in any other setting do not.
func SettingsKey(cfg any) string {
	m := settingsMap(cfg)
	delete(m, "seed")
	b, _ := json.Marshal(m) // map keys sorted
	return string(b)
}

// GroupLabels names the groups of runs of a table. A group is the runs of recs that share their settings but for
// the seed; its label is name(r) of its runs (an estimator, say), followed, where groups of the same name share a
// column of the table (cell(r): a configuration, a data set), by the settings in which they differ, e.g.
// "st (tau=2, train_size=500)": groups that would fall in one cell stay apart. The result maps SettingsKey of a
// run's settings to its group's label.
func GroupLabels[R any](recs []R, settings func(R) any, cell, name func(R) string) map[string]string {
	type group struct {
		cell, name string
		settings   map[string]any
	}
	var keys []string
	groups := make(map[string]group)
	for _, r := range recs {
		k := SettingsKey(settings(r))
		if _, ok := groups[k]; ok {
			continue
		}
		m := settingsMap(settings(r))
		delete(m, "seed")
		groups[k] = group{cell(r), name(r), m}
		keys = append(keys, k)
	}
	labels := make(map[string]string, len(keys))
	for _, k := range keys {
		g := groups[k]
		var differ []string
		for _, o := range keys {
			h := groups[o]
			if o == k || h.cell != g.cell || h.name != g.name {
				continue
			}
			for s, v := range g.settings {
				if fmt.Sprint(v) != fmt.Sprint(h.settings[s]) && !slices.Contains(differ, s) {
					differ = append(differ, s)
				}
			}
		}
		label := g.name
		if len(differ) > 0 {
			slices.Sort(differ)
			parts := make([]string, len(differ))
			for n, s := range differ {
				parts[n] = fmt.Sprintf("%s=%v", s, g.settings[s])
			}
			label += " (" + strings.Join(parts, ", ") + ")"
		}
		labels[k] = label
	}
	return labels
}

// settingsMap returns cfg's JSON object as a map (nil for a nil or non-object cfg).
func settingsMap(cfg any) map[string]any {
	b, err := json.Marshal(cfg)
	if err != nil {
		return map[string]any{}
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m == nil {
		return map[string]any{}
	}
	return m
}
