package main

import (
	"context"

	"github.com/spf13/cobra"
)

// commands lists the subcommands of deni.
func commands() []*cobra.Command {
	return []*cobra.Command{
		newDataCmd(), newAugmentCmd(),
		newPlanCmd(), newRunCmd(), newWorkCmd(), newSlurmCmd(),
		newAggregateCmd(), newSQLCmd(), newReportCmd(), newPowerCmd(),
		newBenchCmd(),
		newModelCmd(),
		newPretrainCmd(),
	}
}

// commandContext is cmd's context, or the background context when cmd runs
// without one (Execute rather than ExecuteContext).
func commandContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
