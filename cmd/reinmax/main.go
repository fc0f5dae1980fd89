// Command reinmax trains and measures networks with discrete random choices: it lists the gradient estimators,
// shows what one does at a fixed sample, and runs the experiments of Liu et al. (NeurIPS 2023).
//
// Run `reinmax --help` for the commands. Exit status: 0 on success, 1 when a run fails (a panic included: it is
// reported as an internal error, never as a stack trace), 2 on bad flags, arguments or an unknown command.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(execute(newRootCommand(), os.Args[1:], os.Stderr))
}

// execute runs the command line args and returns the exit status: 0, 1 for a failed run (a panic is reported as an
// internal error), 2 for a usage error. The error goes to stderr in one line.
func execute(root *cobra.Command, args []string, stderr io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "reinmax: internal error: %v (please report it with the command line)\n", r)
			status = 1
		}
	}()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "reinmax:") {
		msg = "reinmax: " + msg
	}
	fmt.Fprintln(stderr, msg)
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
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
		// Without a command, the help; an unknown command is a usage error.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q (see reinmax --help)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
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
