package reinmax_test

import (
	"fmt"

	_ "github.com/gomlx/compute/gobackend"
)

// Helpers shared by the external tests (package reinmax_test).

// recovered runs f and returns the message of the panic it raised, or "" when it did not panic.
func recovered(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
			if msg == "" {
				msg = "(empty panic)"
			}
		}
	}()
	f()
	return ""
}
