package stages

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/pipeline"
)

// stepObserver records the steps of every run the executor starts, and the
// rows it commits.
type stepObserver struct {
	mu    sync.Mutex
	steps map[string][][2]int
	rows  map[string]results.RunRow
}

func (o *stepObserver) Planned(int)                  {}
func (o *stepObserver) Skipped(pipeline.Run, string) {}
func (o *stepObserver) Finished(r pipeline.Run, row *results.RunRow) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rows[r.ID] = *row
}
func (o *stepObserver) Started(r pipeline.Run) pipeline.RunProgress { return runSteps{o, r.ID} }

type runSteps struct {
	o  *stepObserver
	id string
}

func (s runSteps) Step(step, total int, _ float32) {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	s.o.steps[s.id] = append(s.o.steps[s.id], [2]int{step, total})
}
func (runSteps) End() {}

// TestRunsReportTheirSteps: through the executor, the train stage reports
// every run's steps to the observer, 1..N with N the run's steps; following
// them changes no result; model_bytes counts DENI's 3 models.
func TestRunsReportTheirSteps(t *testing.T) {
	const spec = `name: tiny
data_dir: embedded
datasets: [trec]
model: glove-mini
strategies: [default, {name: deni, ensemble_size: 3, noise_after_steps: 4, interpolation_steps: 3}]
runs: 1
train: {labelled: 60, epochs: 2}
`
	e, err := Load(writeSpec(t, spec), "")
	if err != nil {
		t.Fatal(err)
	}
	runs := Plan(e)
	obs := &stepObserver{steps: map[string][][2]int{}, rows: map[string]results.RunRow{}}
	var mu sync.Mutex
	followed := map[string]*pipeline.Result{}
	runner := NewRunner(e)
	x := &pipeline.Executor{Store: pipeline.NewStore(t.TempDir(), e.Name), Workers: 1, Observer: obs,
		Runner: pipeline.RunnerFunc(func(ctx context.Context, r pipeline.Run) (*pipeline.Result, error) {
			res, err := runner.Run(ctx, r)
			mu.Lock()
			followed[r.ID] = res
			mu.Unlock()
			return res, err
		})}
	if sum, err := x.Execute(context.Background(), runs); err != nil || sum.Completed != len(runs) {
		t.Fatalf("%+v %v", sum, err)
	}
	alone := runAll(t, e) // a fresh runner, no observer
	for i, r := range runs {
		row := obs.rows[r.ID]
		steps := obs.steps[r.ID]
		if n := int(row.Steps); n == 0 || len(steps) != n {
			t.Fatalf("%s: %d steps reported, the run has %d", r.Strategy.Label, len(steps), n)
		}
		for j, s := range steps {
			if s != [2]int{j + 1, int(row.Steps)} {
				t.Fatalf("%s: report %d is step %d of %d", r.Strategy.Label, j, s[0], s[1])
			}
		}
		a, b := followed[r.ID], alone[i]
		if !reflect.DeepEqual(a.Predictions, b.Predictions) || !reflect.DeepEqual(a.Steps, b.Steps) ||
			!reflect.DeepEqual(a.Events, b.Events) || a.Run.MacroF1 != b.Run.MacroF1 {
			t.Errorf("%s: following the steps changed the result", r.Strategy.Label)
		}
	}
	def, deni := obs.rows[runs[0].ID], obs.rows[runs[1].ID]
	// 3 models of default's size; members keep Adam moments for the word
	// rows they used alone (packed), so at most 3× default's.
	if def.ModelBytes <= 0 || deni.ModelBytes <= 2*def.ModelBytes || deni.ModelBytes > 3*def.ModelBytes {
		t.Errorf("model_bytes: default %d, deni (3 models) %d", def.ModelBytes, deni.ModelBytes)
	}
}
