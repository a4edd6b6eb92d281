package strategy

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/schedule"
	"github.com/deni-project/deni/train/tensor"
)

// toyData is a 3-class problem where each class prefers its own tokens, with
// label noise so that runs disagree.
func toyData(n int, seed uint64) []Sample {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]Sample, n)
	for i := range out {
		y := int32(rng.IntN(3))
		l := 3 + rng.IntN(6)
		ids := []int32{0}
		for range l {
			if rng.Float64() < 0.4 {
				ids = append(ids, 1+y*5+int32(rng.IntN(5)))
			} else {
				ids = append(ids, 16+int32(rng.IntN(14)))
			}
		}
		out[i] = Sample{IDs: ids, Label: y}
	}
	return out
}

func setup(t *testing.T, name string) Setup {
	t.Helper()
	p, err := schedule.Defaults(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := optim.Defaults(optim.KindAdam)
	return Setup{Strategy: p, Epochs: 10, BatchSize: 8, EvalBatch: 64, LR: 1e-2, Optimizer: cfg,
		Schedule: "linear", NoiseLayer: "head", Seeds: Seeds{1, 2, 3, 4}, Parallel: 2}
}

func mustTrain(t *testing.T, s Setup, train, test []Sample) *Outcome {
	t.Helper()
	o, err := Train(context.Background(), s, newBow(30, 8, 3), train, test)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func eventSteps(o *Outcome, kind string) []int {
	var s []int
	for _, e := range o.Events {
		if e.Kind == kind {
			s = append(s, e.Step)
		}
	}
	return s
}

// The paper's setting: 1,000 samples, batch 8, 10 epochs = 1,250 steps.
func TestTrainerFollowsThePapersSchedules(t *testing.T) {
	train, test := toyData(1000, 1), toyData(200, 2)
	cases := []struct {
		name                  string
		created, merged, fin  []int
		noise                 int
		optimizerSteps, votes int
	}{
		{schedule.Default, nil, nil, nil, 0, 1250, 1},
		{schedule.DelayedEnsemble, nil, nil, []int{1125}, 0, 2384, 10},
		{schedule.NoisyInterpolation, []int{375, 625}, []int{500, 750}, nil, 0, 3500, 1},
		{schedule.DENI, []int{375, 625}, []int{500, 750}, []int{1125}, 0, 4634, 10},
		{schedule.WeightNoise, nil, nil, nil, 28, 1250, 1},
		{schedule.InputNoise, nil, nil, nil, 28, 1250, 1},
		{schedule.Ensemble, nil, nil, nil, 0, 12500, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := mustTrain(t, setup(t, c.name), train, test)
			if got := eventSteps(o, results.EventMembersCreated); !slices.Equal(got, c.created) {
				t.Errorf("members created at %v, want %v", got, c.created)
			}
			if got := eventSteps(o, results.EventMembersMerged); !slices.Equal(got, c.merged) {
				t.Errorf("members merged at %v, want %v", got, c.merged)
			}
			if got := eventSteps(o, results.EventFinalEnsembleCreated); !slices.Equal(got, c.fin) {
				t.Errorf("final ensemble at %v, want %v", got, c.fin)
			}
			if got := len(eventSteps(o, results.EventNoise)); got != c.noise {
				t.Errorf("%d noise events, want %d", got, c.noise)
			}
			if o.Cost.OptimizerSteps != int64(c.optimizerSteps) || int(o.Cost.Steps) != 1250 {
				t.Errorf("optimizer steps %d (main %d), want %d", o.Cost.OptimizerSteps, o.Cost.Steps, c.optimizerSteps)
			}
			if len(o.Steps) != c.optimizerSteps {
				t.Errorf("%d step rows, want one per optimizer step (%d)", len(o.Steps), c.optimizerSteps)
			}
			if len(o.MemberPreds[0]) != c.votes || o.Cost.InferencePasses != int64(c.votes*len(test)) {
				t.Errorf("%d voters, want %d", len(o.MemberPreds[0]), c.votes)
			}
			for _, e := range o.Events {
				if math.IsNaN(e.Scale) {
					t.Errorf("NaN noise scale at step %d", e.Step)
				}
			}
		})
	}
}

func TestRerunsAreBitIdenticalAndSeedsMatter(t *testing.T) {
	train, test := toyData(300, 1), toyData(100, 2)
	for _, name := range []string{schedule.DENI, schedule.Ensemble, schedule.SWA, schedule.Mixout} {
		s := setup(t, name)
		a, b := mustTrain(t, s, train, test), mustTrain(t, s, train, test)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs with equal seeds differ", name)
		}
		s.Parallel = 1
		if c := mustTrain(t, s, train, test); !reflect.DeepEqual(a.MemberLogits, c.MemberLogits) {
			t.Errorf("%s: sequential and concurrent member training differ", name)
		}
		for _, f := range []func(*Seeds){
			func(s *Seeds) { s.ModelInit++ }, func(s *Seeds) { s.ModelRandomness++ }, func(s *Seeds) { s.SampleOrder++ },
		} {
			s2 := setup(t, name)
			f(&s2.Seeds)
			if c := mustTrain(t, s2, train, test); reflect.DeepEqual(a.MemberLogits, c.MemberLogits) {
				t.Errorf("%s: a changed seed gives identical logits", name)
			}
		}
	}
}

func TestEnsembleModelZeroIsTheDefaultRun(t *testing.T) {
	train, test := toyData(300, 1), toyData(100, 2)
	def := mustTrain(t, setup(t, schedule.Default), train, test)
	ens := mustTrain(t, setup(t, schedule.Ensemble), train, test)
	for i := range test {
		if !slices.Equal(def.Logits[i], ens.MemberLogits[i][:3]) {
			t.Fatalf("sample %d: ensemble model 0 logits %v, default %v", i, ens.MemberLogits[i][:3], def.Logits[i])
		}
	}
	distinct := false
	for i := range test {
		if !slices.Equal(ens.MemberLogits[i][:3], ens.MemberLogits[i][3:6]) {
			distinct = true
		}
	}
	if !distinct {
		t.Fatal("ensemble models 0 and 1 are identical")
	}
}

// A member's seeds do not depend on how many members there are, so the first
// k models of a 10-model ensemble are a k-model ensemble's, to the bit: the
// votes of smaller ensembles can be read from a larger one's stored logits
// (experiments/ensemble-size.sql, stage 4 of docs/results/deni-study.md).
func TestEnsembleMembersDoNotDependOnItsSize(t *testing.T) {
	train, test := toyData(300, 1), toyData(100, 2)
	big := mustTrain(t, setup(t, schedule.Ensemble), train, test)
	s := setup(t, schedule.Ensemble)
	s.Strategy.EnsembleSize = 4
	small := mustTrain(t, s, train, test)
	for i := range test {
		if len(small.MemberLogits[i]) != 4*3 || !slices.Equal(small.MemberLogits[i], big.MemberLogits[i][:4*3]) {
			t.Fatalf("sample %d: the 4-model ensemble's logits %v, the 10-model one's first 4 %v",
				i, small.MemberLogits[i], big.MemberLogits[i][:4*3])
		}
	}
}

// The reference evaluated every DE/DENI member with the main model (bug 1):
// here members vote with their own predictions, which differ from the main one's.
func TestDelayedEnsembleMembersPredictThemselves(t *testing.T) {
	train, test := toyData(300, 1), toyData(300, 2)
	s := setup(t, schedule.DelayedEnsemble)
	s.Strategy.NoiseVariance = 1
	o := mustTrain(t, s, train, test)
	differ := 0
	for i := range test {
		for k := 1; k < 10; k++ {
			if !slices.Equal(o.MemberLogits[i][:3], o.MemberLogits[i][3*k:3*k+3]) {
				differ++
			}
		}
	}
	if differ == 0 {
		t.Fatal("every member's logits equal the main model's")
	}
	// The final prediction is the vote of the members' argmaxes.
	counts := make([]int, 3)
	for i := range test {
		c := clear3(counts)
		for _, p := range o.MemberPreds[i] {
			c[p]++
		}
		best := 0
		for k := 1; k < 3; k++ {
			if c[k] > c[best] {
				best = k
			}
		}
		if o.Preds[i] != int32(best) {
			t.Fatalf("sample %d: prediction %d, vote %v", i, o.Preds[i], c)
		}
	}
}

func clear3(c []int) []int { clear(c); return c }

func TestMergeIsTheExactMean(t *testing.T) {
	s := setup(t, schedule.NoisyInterpolation)
	r, err := newRun(s, s.Seeds, newBow(30, 8, 3), toyData(64, 1))
	if err != nil {
		t.Fatal(err)
	}
	r.spawn(0.5, true)
	all := []Model{r.main.m}
	for _, mb := range r.members {
		all = append(all, mb.m)
	}
	want := make([][]float64, 3)
	for pi := range 3 {
		want[pi] = make([]float64, len(r.main.m.Params()[pi].Data))
		for _, m := range all {
			for j, v := range m.Params()[pi].Data {
				want[pi][j] += float64(v) / float64(len(all))
			}
		}
	}
	r.merge()
	for pi, p := range r.main.m.Params() {
		for j, v := range p.Data {
			if math.Abs(float64(v)-want[pi][j]) > 1e-6*math.Max(1, math.Abs(want[pi][j])) {
				t.Fatalf("%s[%d] = %v, mean %v", p.Name, j, v, want[pi][j])
			}
		}
	}
	if len(r.members) != 0 {
		t.Fatal("members kept after the merge")
	}
	// Members perturb only the head for full fine-tuning: embeddings are
	// equal to the main model's before the merge, so their mean is unchanged.
}

func TestNoiseHasTheSpecifiedScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 200000
	p := newParam("output.weight", n)
	for i := range p.Data {
		p.Data[i] = float32(3 * rng.NormFloat64())
	}
	before := append([]float32(nil), p.Data...)
	std := Std(before)
	for _, scaled := range []bool{true, false} {
		copy(p.Data, before)
		mult := math.Sqrt(0.15 / 375)
		Perturb([]*tensor.Param{p}, mult, scaled, rand.New(rand.NewPCG(1, 2)))
		d := make([]float32, n)
		for i := range d {
			d[i] = p.Data[i] - before[i]
		}
		want := mult
		if scaled {
			want *= std
		}
		// The sample std of n normal draws is within 4/sqrt(2n) relative.
		if got := Std(d); math.Abs(got/want-1) > 4/math.Sqrt(2*n) {
			t.Errorf("scaled=%v: noise std %g, want %g", scaled, got, want)
		}
	}
	one := newParam("gate.bias", 1)
	one.Data[0] = 0.5
	Perturb([]*tensor.Param{one}, 0.4, true, rng)
	if math.IsNaN(float64(one.Data[0])) || one.Data[0] == 0.5 {
		t.Fatalf("1-element tensor: %v", one.Data[0])
	}
}

func TestSWAAndEMAEvaluateTheAverage(t *testing.T) {
	train, test := toyData(300, 1), toyData(100, 2)
	def := mustTrain(t, setup(t, schedule.Default), train, test)
	for _, name := range []string{schedule.SWA, schedule.EMA} {
		o := mustTrain(t, setup(t, name), train, test)
		if got := eventSteps(o, results.EventAveragingStarted); len(got) != 1 {
			t.Fatalf("%s: averaging started at %v", name, got)
		}
		if reflect.DeepEqual(o.Logits, def.Logits) {
			t.Errorf("%s: the averaged model predicts exactly as the final model", name)
		}
	}
}

// TestInputNoiseStepsCostTheHeadOnly: a step whose backbone gets no gradient
// (input_noise, backbone_grad false) counts the forward pass and the head's
// weight gradients, not a whole backward pass; every other step counts
// TrainFLOPs.
func TestInputNoiseStepsCostTheHeadOnly(t *testing.T) {
	train, test := toyData(1000, 1), toyData(50, 2)
	for i := range train {
		train[i].IDs = train[i].IDs[:4] // every batch is 4 tokens long
	}
	m, _ := newBow(30, 8, 3)(rand.New(rand.NewPCG(1, 2)))
	full, head := 8*m.TrainFLOPs(4), 8*m.HeadOnlyTrainFLOPs(4)
	if head >= full {
		t.Fatalf("head-only step %g FLOPs, full step %g", head, full)
	}
	for _, c := range []struct {
		name         string
		backboneGrad bool
		frozenSteps  int
	}{{schedule.Default, false, 0}, {schedule.InputNoise, false, 28}, {schedule.InputNoise, true, 0}} {
		s := setup(t, c.name)
		s.Strategy.BackboneGrad = c.backboneGrad
		o := mustTrain(t, s, train, test)
		want := float64(1250-c.frozenSteps)*full + float64(c.frozenSteps)*head
		if o.Cost.TrainFLOPs != want {
			t.Errorf("%s (backbone_grad %v): %g train FLOPs, want %g", c.name, c.backboneGrad, o.Cost.TrainFLOPs, want)
		}
	}
}
