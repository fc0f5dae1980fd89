package main

import (
	"errors"
	"strings"
	"testing"
)

// TestListOpsBadInput checks that bad flags are usage errors (exit status 2) whose message names the problem,
// before any data is read or any training starts.
func TestListOpsBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"listops", "--estimators", "nope"}, "valid: st, stgs"},
		{[]string{"listops", "--estimators", ""}, "--estimators: no value given"},
		{[]string{"listops", "--hidden", "0"}, "--hidden"},
		{[]string{"listops", "--hidden", "64,x"}, "--hidden"},
		{[]string{"listops", "--train-size", "-5"}, "--train-size"},
		{[]string{"listops", "--epochs", "-1"}, "epochs = -1"},
		{[]string{"listops", "--seeds", "3-1"}, "--seeds"},
		{[]string{"listops", "--shard", "2/2"}, "shard"},
		{[]string{"listops", "--estimators", "reinmax", "--tau", "0.5"}, "tau"},
		{[]string{"listops", "--bogus"}, "unknown flag"},
		{[]string{"listops", "extra"}, "no arguments"},
	} {
		_, err := run(tc.args...)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want a usage error containing %q", tc.args, err, tc.want)
		}
	}
}
