package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
)

func newListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every estimator with its parameters and one line of semantics",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tFAMILY\tPARAMETERS\tBERNOULLI FORM\tSEMANTICS")
			for _, s := range reinmax.Estimators() {
				form := "-"
				if s.Bernoulli {
					form = "yes"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Family, paramsText(s), form, s.Summary)
			}
			return w.Flush()
		},
	}
}

// paramsText shows the parameters an estimator reads, with their defaults.
func paramsText(s reinmax.Spec) string {
	var parts []string
	for _, p := range s.Params {
		switch p {
		case "tau":
			parts = append(parts, fmt.Sprintf("tau=%g", s.Tau))
		case "k":
			parts = append(parts, fmt.Sprintf("k=%d", s.K))
		case "alpha":
			parts = append(parts, fmt.Sprintf("alpha=%g", s.Alpha))
		case "tau-forward":
			parts = append(parts, fmt.Sprintf("tau-forward=%g", s.TauForward))
		default:
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
