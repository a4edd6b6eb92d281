package pipeline

import "context"

// Runner executes one run and returns its results. It must be deterministic:
// the same Run gives the same Result (up to timings) on the same BLAS.
type Runner interface {
	Run(ctx context.Context, r Run) (*Result, error)
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, r Run) (*Result, error)

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, r Run) (*Result, error) { return f(ctx, r) }
