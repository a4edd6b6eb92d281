package schedule

import (
	"fmt"
	"strings"
	"testing"
)

// TestPlansEqualTheReferenceStateMachine: over a grid of run shapes and
// parameters, every strategy's composed plan gives the action of every step
// that the reference's state machine (oracle_test.go) gives.
func TestPlansEqualTheReferenceStateMachine(t *testing.T) {
	type window struct{ start, end float64 }
	checked := 0
	for _, name := range Names {
		if name == Ensemble {
			continue // independent default runs: no plan of its own
		}
		for _, shape := range []Run{{1, 1}, {7, 3}, {100, 10}, {380, 38}, {1140, 114}, {1250, 125}, {2500, 250}} {
			for _, every := range []int{0, 1, 4, 25, 125} {
				for _, interp := range []int{1, 3, 125} {
					for _, w := range []window{{0.3, 0.6}, {0, 1}, {0.5, 0.9}, {0.3, 0.31}} {
						for _, se := range []float64{0.6, 0.9, 1} {
							for _, stepType := range []string{"step", "epoch"} {
								p, _ := Defaults(name)
								p.NoiseEvery, p.InterpolationSteps, p.NoiseStart, p.NoiseEnd = every, interp, w.start, w.end
								p.StartEnsemble, p.StepType, p.SWAStart = se, stepType, w.start
								if p.Validate() != nil {
									continue
								}
								plan, ref := NewPlan(p, shape), newOracle(p, shape.Total, shape.PerEpoch)
								if plan.PriorNoise != ref.PriorNoise() {
									t.Fatalf("%s %+v: prior noise %g, reference %g", name, p, plan.PriorNoise, ref.PriorNoise())
								}
								for step := 1; step <= shape.Total; step++ {
									if got, want := plan.At(step), ref.Next(step, (step-1)%shape.PerEpoch); got != want {
										t.Fatalf("%s, N %d (%d/epoch), every %d, interp %d, window %v, start_ensemble %g, %s: step %d: plan %+v, reference %+v",
											name, shape.Total, shape.PerEpoch, every, interp, w, se, stepType, step, got, want)
									}
								}
								checked++
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d plans equal the reference step by step", checked)
}

// TestPlansReadAsTheirDefinition prints the paper's plans at N = 1,250.
func TestPlansReadAsTheirDefinition(t *testing.T) {
	want := map[string]string{
		DENI: `N = 1250 steps (125 per epoch): noisy interpolation in [0.3·N, 0.6·N): members every 125 steps for 125 then delayed ensemble at 0.9·N
  step  375: create members, noised by 0.02
  step  500: merge the members into the main model
  step  625: create members, noised by 0.01549
  step  750: merge the members into the main model
  step 1125: create the final ensemble, members noised by 0.3873
`,
		NoisyInterpolation: `N = 1250 steps (125 per epoch): noisy interpolation in [0.3·N, 0.6·N): members every 125 steps for 125
  step  375: create members, noised by 0.02
  step  500: merge the members into the main model
  step  625: create members, noised by 0.01549
  step  750: merge the members into the main model
`,
		DelayedEnsemble: `N = 1250 steps (125 per epoch): delayed ensemble at 0.9·N
  step 1125: create the final ensemble, members noised by 0.3873
`,
		SWA: `N = 1250 steps (125 per epoch): SWA from 0.25·N
  steps 312-1250: average the main model after the update
`,
		PriorNoise: `N = 1250 steps (125 per epoch): prior noise √0.15
  before training: noise 0.3873 on the main model
`,
	}
	for _, name := range Names {
		got := NewPlan(mustDefaults(t, name), Run{paperSteps, paperPerEpoch}).String()
		t.Logf("%s:\n%s", name, got)
		if w, ok := want[name]; ok && got != w {
			t.Errorf("%s plan:\n%s\nwant:\n%s", name, got, w)
		}
	}
	wn := NewPlan(mustDefaults(t, WeightNoise), Run{paperSteps, paperPerEpoch}).String()
	if lines := strings.Count(wn, "\n"); lines != 29 || !strings.Contains(wn, "weight noise in [0.3·N, 0.9·N) every 27 steps") ||
		!strings.Contains(wn, fmt.Sprintf("step  375: noise %.4g", 0.02)) {
		t.Errorf("weight_noise plan (%d lines):\n%s", lines, wn)
	}
}
