package pipeline

import "github.com/deni-project/deni/internal/results"

// Result is everything one run produces: the rows of its result files.
// Their schema (row types, table names, event kinds) is internal/results,
// which the analysis package reads without importing the pipeline.
type Result struct {
	Run         results.RunRow
	Predictions []results.PredictionRow
	Steps       []results.StepRow
	Events      []results.EventRow
}
