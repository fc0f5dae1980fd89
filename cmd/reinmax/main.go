// Command reinmax trains and measures networks with discrete random choices: it lists the gradient estimators,
// shows what one does at a fixed sample, and runs the experiments of Liu et al. (NeurIPS 2023).
//
// Run `reinmax --help` for the commands. Exit status: 0 on success, 1 when a run fails, 2 on bad flags or arguments.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func main() {
	root := newRootCommand()
	if err := root.Execute(); err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "reinmax:") {
			msg = "reinmax: " + msg
		}
		fmt.Fprintln(os.Stderr, msg)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "reinmax",
		Short: "Gradient estimators for discrete random choices: ReinMax and every estimator it is compared with",
		Long: `reinmax trains and measures networks that contain discrete random choices.

Backpropagation cannot pass through a sample; a gradient estimator supplies the missing Jacobian.
ReinMax (Liu et al., NeurIPS 2023) is second-order accurate at the cost of straight-through.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newListCommand(), newGradCommand())
	for _, add := range extraCommands {
		root.AddCommand(add())
	}
	return root
}

// extraCommands are registered by the files of other subcommands (one file per subcommand) in their init.
var extraCommands []func() *cobra.Command

// usageError marks an error in the flags or arguments: the command exits with status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
