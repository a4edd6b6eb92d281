package schedule

import (
	"math"
	"slices"
	"testing"
)

// The paper's setting: 1,000 samples, batch 8, 10 epochs = 1,250 steps.
const paperSteps, paperPerEpoch = 1250, 125

func mustDefaults(t *testing.T, name string) Params {
	t.Helper()
	p, err := Defaults(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}

func steps(events []Action, pick func(Action) bool) []int {
	var out []int
	for _, a := range events {
		if pick(a) {
			out = append(out, a.Step)
		}
	}
	return out
}

func TestPaperSchedules(t *testing.T) {
	created := func(a Action) bool { return a.CreateMembers && !a.FinalEnsemble }
	merged := func(a Action) bool { return a.Merge }
	final := func(a Action) bool { return a.FinalEnsemble }
	cases := []struct {
		name                  string
		create, merge, finals []int
		optimizerSteps        int
	}{
		{Default, nil, nil, nil, 1250},
		{Ensemble, nil, nil, nil, 12500},
		{DelayedEnsemble, nil, nil, []int{1125}, 2384},
		{NoisyInterpolation, []int{375, 625}, []int{500, 750}, nil, 3500},
		{DENI, []int{375, 625}, []int{500, 750}, []int{1125}, 4634},
		{WeightNoise, nil, nil, nil, 1250},
		{SWA, nil, nil, nil, 1250},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cost := Simulate(mustDefaults(t, c.name), paperSteps, paperPerEpoch)
			if got := steps(cost.Events, created); !slices.Equal(got, c.create) {
				t.Errorf("members created at %v, want %v", got, c.create)
			}
			if got := steps(cost.Events, merged); !slices.Equal(got, c.merge) {
				t.Errorf("members merged at %v, want %v", got, c.merge)
			}
			if got := steps(cost.Events, final); !slices.Equal(got, c.finals) {
				t.Errorf("final ensemble at %v, want %v", got, c.finals)
			}
			if cost.OptimizerSteps != c.optimizerSteps {
				t.Errorf("optimizer steps %d, want %d", cost.OptimizerSteps, c.optimizerSteps)
			}
		})
	}
}

func TestDENICostIsPapersHeadline(t *testing.T) {
	deni := Simulate(mustDefaults(t, DENI), paperSteps, paperPerEpoch).OptimizerSteps
	ens := Simulate(mustDefaults(t, Ensemble), paperSteps, paperPerEpoch).OptimizerSteps
	if pct := 100 * float64(deni) / float64(ens); math.Abs(pct-37.07) > 0.005 {
		t.Fatalf("DENI costs %.3f%% of the ensemble, want 37.07%%", pct)
	}
}

func TestWeightNoiseEvery27Steps(t *testing.T) {
	p := mustDefaults(t, WeightNoise)
	ev := Simulate(p, paperSteps, paperPerEpoch).Events
	got := steps(ev, func(a Action) bool { return a.WeightNoise > 0 })
	if len(got) != 28 || got[0] != 375 || got[27] != 1104 {
		t.Fatalf("noise at %v (%d events), want 28 events 375, 402, ..., 1104", got, len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i]-got[i-1] != 27 {
			t.Fatalf("noise steps %d and %d are not 27 apart", got[i-1], got[i])
		}
	}
	// θ += sqrt(σ²/step)·N(0,1)·std(θ): 0.020 at step 375 and 0.0117 at 1104.
	if m := ev[0].WeightNoise; math.Abs(m-math.Sqrt(0.15/375)) > 1e-12 {
		t.Errorf("first multiplier %g", m)
	}
	if m := ev[27].WeightNoise; math.Abs(m-0.011656) > 1e-5 {
		t.Errorf("last multiplier %g, want 0.0117", m)
	}
}

func TestInputNoiseIsUnscaledByStep(t *testing.T) {
	ev := Simulate(mustDefaults(t, InputNoise), paperSteps, paperPerEpoch).Events
	got := steps(ev, func(a Action) bool { return a.InputNoise > 0 })
	if len(got) != 28 || got[0] != 375 {
		t.Fatalf("input noise at %v", got)
	}
	for _, a := range ev {
		if a.InputNoise != math.Sqrt(0.15) {
			t.Fatalf("input noise std %g at step %d, want sqrt(0.15)", a.InputNoise, a.Step)
		}
	}
}

func TestSWAStartsAt312(t *testing.T) {
	plan := NewPlan(mustDefaults(t, SWA), Run{paperSteps, paperPerEpoch})
	first := 0
	for step := 1; step <= paperSteps; step++ {
		if a := plan.At(step); a.Average && first == 0 {
			first = step
		} else if first != 0 && !a.Average {
			t.Fatalf("averaging stopped at step %d", step)
		}
	}
	if first != 312 {
		t.Fatalf("SWA starts at %d, want 312", first)
	}
}

func TestNoiseMultipliers(t *testing.T) {
	ev := Simulate(mustDefaults(t, DENI), paperSteps, paperPerEpoch).Events
	want := map[int]float64{375: math.Sqrt(0.15 / 375), 625: math.Sqrt(0.15 / 625), 1125: math.Sqrt(0.15)}
	for _, a := range ev {
		if a.CreateMembers && math.Abs(a.MemberNoise-want[a.Step]) > 1e-12 {
			t.Errorf("step %d: member noise %g, want %g", a.Step, a.MemberNoise, want[a.Step])
		}
	}
}

// With augmentation the training set doubles (N = 2,500) but the 125-step
// interval does not: DENI then does three interpolation cycles (§4).
func TestDENIWithLongerTraining(t *testing.T) {
	ev := Simulate(mustDefaults(t, DENI), 2500, 250).Events
	create := steps(ev, func(a Action) bool { return a.CreateMembers && !a.FinalEnsemble })
	merge := steps(ev, func(a Action) bool { return a.Merge })
	final := steps(ev, func(a Action) bool { return a.FinalEnsemble })
	if !slices.Equal(create, []int{750, 1000, 1250}) || !slices.Equal(merge, []int{875, 1125, 1375}) || !slices.Equal(final, []int{2250}) {
		t.Fatalf("create %v merge %v final %v", create, merge, final)
	}
}

func TestEpochStepType(t *testing.T) {
	p := mustDefaults(t, NoisyInterpolation)
	p.StepType, p.NoiseEvery, p.InterpolationSteps = "epoch", 1, 1
	ev := Simulate(p, paperSteps, paperPerEpoch).Events
	// Checks happen only at the first batch of an epoch; the counter counts epochs.
	for _, a := range ev {
		if (a.Step-1)%paperPerEpoch != 0 {
			t.Fatalf("event at step %d, not at an epoch start", a.Step)
		}
	}
	if len(ev) == 0 {
		t.Fatal("no interpolation with step_type epoch")
	}
}

func TestValidate(t *testing.T) {
	bad := []func(*Params){
		func(p *Params) { p.NoiseType = "uniform" },
		func(p *Params) { p.NoiseStart, p.NoiseEnd = 0.7, 0.6 },
		func(p *Params) { p.EnsembleSize = 1 },
		func(p *Params) { p.StartEnsemble = 1.5 },
		func(p *Params) { p.MemberDropout = "own" },
	}
	for i, mutate := range bad {
		p := mustDefaults(t, DENI)
		mutate(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("case %d: invalid params accepted", i)
		}
	}
	if _, err := Defaults("denni"); err == nil {
		t.Error("unknown strategy accepted")
	}
	for _, n := range Names {
		if Keys(n) == nil && n != Default && n != BestPractices {
			t.Errorf("%s has no keys", n)
		}
	}
}

// TestDENIDefaultsAreTheReference: with nothing but its name, deni (and its
// phases' strategies) is the bug-fixed reference: members at the constant
// base rate with a fresh optimizer, the run's dropout stream and batches,
// majority vote, noise where the reference puts it (auto: the head under full
// fine-tuning), variance 0.15 scaled, the final ensemble from 90%; NI's
// window 30%–60% with members made and averaged every 125 steps (§1.4).
func TestDENIDefaultsAreTheReference(t *testing.T) {
	for _, name := range []string{DENI, NoisyInterpolation, DelayedEnsemble} {
		p := mustDefaults(t, name)
		got := []any{p.MemberLR, p.MemberOptimizer, p.MemberDropout, p.MemberOrder, p.Vote, p.NoiseLayer,
			p.NoiseVariance, p.NoiseType, p.StepType, p.StartEnsemble}
		want := []any{"constant", "fresh", "shared", OrderShared, VoteMajority, "auto", 0.15, "scaled", "step", 0.9}
		if name != DelayedEnsemble {
			got = append(got, p.NoiseStart, p.NoiseEnd, p.NoiseEvery, p.InterpolationSteps)
			want = append(want, 0.3, 0.6, 125, 125)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: default %d is %v, want the reference's %v (all: %v)", name, i, got[i], want[i], got)
			}
		}
	}
}
