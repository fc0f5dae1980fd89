package main

import (
	"errors"
	"strings"
	"testing"
)

// TestVQBadInput checks that bad flags are usage errors (exit status 2) whose one-line message names the problem,
// before any data is read or any training starts.
func TestVQBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"vq", "--methods", "kmeans"}, `--methods: unknown value "kmeans" (valid: ste, rotation, st,`},
		{[]string{"vq", "--methods", "reinforce"}, `unknown value "reinforce"`},
		{[]string{"vq", "--methods", ""}, "--methods: no value given"},
		{[]string{"vq", "--datasets", "cifar"}, `--datasets: unknown value "cifar" (valid: fashion, mnist)`},
		{[]string{"vq", "--codes", "1"}, "codes K = 1, want K >= 2"},
		{[]string{"vq", "--dim", "0"}, "dimension d = 0, want d >= 1"},
		{[]string{"vq", "--beta", "-0.5"}, "beta = -0.5"},
		{[]string{"vq", "--temperatures", "0"}, "--temperatures"},
		{[]string{"vq", "--temperatures", "1,-2"}, "--temperatures"},
		{[]string{"vq", "--refresh", "-1"}, "--refresh"},
		{[]string{"vq", "--methods", "reinmax", "--tau", "0.5"}, "tau = 0.5"},
		{[]string{"vq", "--steps", "0"}, "steps = 0"},
		{[]string{"vq", "--seeds", "2-1"}, "--seeds"},
		{[]string{"vq", "--lr", "NaN"}, "--lr"},
		{[]string{"vq", "extra"}, "no arguments"},
	} {
		_, err := run(tc.args...)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want a one-line usage error containing %q", tc.args, err, tc.want)
		}
	}
}
