package strategy

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/metrics"
	"github.com/deni-project/deni/train/schedule"
	"github.com/deni-project/deni/train/tensor"
)

// TestNoisyTuneNoise: θ += U(−λ/2, λ/2)·std(θ): every change lies within
// ±λ/2·std, the changes have the uniform's std λ·std/√12, single values
// are left alone, and draws come from the given stream.
func TestNoisyTuneNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, lambda = 200000, 0.15
	p := newParam("encoder.layer.0.weight", n)
	for i := range p.Data {
		p.Data[i] = float32(0.7 * rng.NormFloat64())
	}
	one := newParam("gate.bias", 1)
	one.Data[0] = 0.5
	before := slices.Clone(p.Data)
	std := Std(before)
	PerturbUniform([]*tensor.Param{p, one}, lambda, rand.New(rand.NewPCG(1, 2)))
	d := make([]float32, n)
	for i := range d {
		d[i] = p.Data[i] - before[i]
		if math.Abs(float64(d[i])) > lambda/2*std*(1+1e-6) {
			t.Fatalf("change %g at %d beyond λ/2·std = %g", d[i], i, lambda/2*std)
		}
	}
	want := lambda * std / math.Sqrt(12)
	// The sample std of n uniform draws is within 4·0.9/sqrt(n) relative (kurtosis 1.8).
	if got := Std(d); math.Abs(got/want-1) > 4*0.9/math.Sqrt(n) {
		t.Errorf("noise std %g, want λ·std/√12 = %g", got, want)
	}
	if one.Data[0] != 0.5 {
		t.Errorf("a single value was perturbed: %g", one.Data[0])
	}
	again := slices.Clone(before)
	q := newParam("x", n)
	copy(q.Data, again)
	PerturbUniform([]*tensor.Param{q}, lambda, rand.New(rand.NewPCG(1, 2)))
	if !slices.Equal(q.Data, p.Data) {
		t.Error("the same stream gives other noise")
	}
}

// TestNoisyTuneRun: the noise touches every pre-trained parameter and not
// the head, once, before the first step, as one event of scale λ.
func TestNoisyTuneRun(t *testing.T) {
	m, _ := newBow(30, 8, 3)(rand.New(rand.NewPCG(1, 2)))
	var names []string
	for _, p := range Pretrained(m) {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"embeddings.word_embeddings.weight"}) {
		t.Fatalf("pre-trained parameters %v", names)
	}
	train, test := toyData(300, 1), toyData(100, 2)
	def := mustTrain(t, setup(t, schedule.Default), train, test)
	s := setup(t, schedule.NoisyTune)
	if s.Strategy.NoisyTuneLambda != 0.15 {
		t.Fatalf("default λ %g, want the paper's 0.15", s.Strategy.NoisyTuneLambda)
	}
	// Before the first step: the model from model_init, perturbed from the
	// run's noise stream (a draw from another stream would differ).
	r, err := newRun(s, s.Seeds, newBow(30, 8, 3), train)
	if err != nil {
		t.Fatal(err)
	}
	r.begin()
	for _, stream := range []uint64{s.Seeds.Noise, s.Seeds.ModelRandomness} {
		ref, _ := newBow(30, 8, 3)(seeds.New(s.Seeds.ModelInit))
		PerturbUniform(Pretrained(ref), 0.15, seeds.New(stream))
		same := slices.EqualFunc(r.main.m.Params(), ref.Params(), func(a, b *tensor.Param) bool { return slices.Equal(a.Data, b.Data) })
		if same != (stream == s.Seeds.Noise) {
			t.Errorf("stream %d: the perturbed model equal to NoisyTune's: %v", stream, same)
		}
	}
	o := mustTrain(t, s, train, test)
	if len(o.Events) != 1 || o.Events[0] != (Event{Step: 0, Kind: results.EventNoise, Models: 1, Scale: 0.15}) {
		t.Errorf("events %+v, want one noise event of scale 0.15 at step 0", o.Events)
	}
	if reflect.DeepEqual(o.Logits, def.Logits) {
		t.Error("NoisyTune trains exactly as default")
	}
	if o.Cost != def.Cost {
		t.Errorf("cost %+v, default's %+v", o.Cost, def.Cost)
	}
}

// TestSoupIsTheExactMean: the soup's logits are those of the model whose
// weights are the float64 mean of the voters', rounded once.
func TestSoupIsTheExactMean(t *testing.T) {
	s := setup(t, schedule.Ensemble)
	test := toyData(50, 2)
	r, err := newRun(s, s.Seeds, newBow(30, 8, 3), toyData(64, 1))
	if err != nil {
		t.Fatal(err)
	}
	var voters []Model
	for i := range 3 {
		m, _ := newBow(30, 8, 3)(rand.New(rand.NewPCG(uint64(i), 7)))
		voters = append(voters, m)
	}
	o := r.vote(voters, voters[0], test)
	r.soup(o, voters, test)
	want, _ := newBow(30, 8, 3)(rand.New(rand.NewPCG(9, 9)))
	for pi, p := range want.Params() {
		for j := range p.Data {
			var sum float64
			for _, v := range voters {
				sum += float64(v.Params()[pi].Data[j])
			}
			p.Data[j] = float32(sum / 3)
		}
	}
	r.eachLogits(want, test, func(i int, l []float32) {
		if !slices.Equal(o.Logits[i], l) {
			t.Fatalf("sample %d: soup logits %v, the mean model's %v", i, o.Logits[i], l)
		}
	})
	if got := o.MainPreds(); !slices.Equal(got, o.Preds) {
		t.Error("the soup's prediction is not its argmax")
	}
	if o.Cost.InferencePasses != 4*50 {
		t.Errorf("%d inference passes, want the 3 voters' and the soup's", o.Cost.InferencePasses)
	}
}

// TestEnsembleSoup: combine soup leaves training and the vote as they were
// and adds the soup; shared_init gives every member the run's model_init
// and its own other streams.
func TestEnsembleSoup(t *testing.T) {
	train, test := toyData(300, 1), toyData(100, 2)
	s := setup(t, schedule.Ensemble)
	s.Strategy.EnsembleSize = 3
	vote := mustTrain(t, s, train, test)
	s.Strategy.Combine = schedule.CombineSoup
	soup := mustTrain(t, s, train, test)
	if !slices.EqualFunc(vote.MemberLogits, soup.MemberLogits, slices.Equal) || !reflect.DeepEqual(vote.Steps, soup.Steps) {
		t.Fatal("combine soup changed the members")
	}
	if reflect.DeepEqual(vote.Logits, soup.Logits) {
		t.Error("the soup predicts as model 0")
	}
	if !slices.Equal(soup.VotePreds(schedule.VoteMajority), vote.Preds) {
		t.Error("the vote is not recorded beside the soup")
	}
	for _, shared := range []bool{false, true} {
		s.Strategy.SharedInit = shared
		for i := range 3 {
			sd := s.ensembleSeeds(i)
			if (sd.ModelInit == s.Seeds.ModelInit) != (shared || i == 0) {
				t.Errorf("shared_init %v: member %d model_init %d, run's %d", shared, i, sd.ModelInit, s.Seeds.ModelInit)
			}
			if i > 0 && (sd.SampleOrder == s.Seeds.SampleOrder || sd.ModelRandomness == s.Seeds.ModelRandomness) {
				t.Errorf("shared_init %v: member %d shares the run's order or dropout", shared, i)
			}
		}
	}
}

// TestEarlyDiscard: candidates with their own seeds train to discard_at·N;
// the best on the validation set (recomputed here one by one) continues to N
// as if it had trained alone; the cost counts every candidate's steps.
func TestEarlyDiscard(t *testing.T) {
	train, test, val := toyData(300, 1), toyData(100, 2), toyData(90, 5)
	s := setup(t, schedule.EarlyDiscard)
	if p := s.Strategy; p.Candidates != 5 || p.DiscardAt != 0.2 || p.ValidationFraction != 0.1 {
		t.Fatalf("defaults %d candidates, discard at %g, validation %g; want Dodge et al.'s 5, 0.2 and 0.1",
			p.Candidates, p.DiscardAt, p.ValidationFraction)
	}
	s.Strategy.Candidates = 4
	s.Validation = val
	o, err := Train(context.Background(), s, newBow(30, 8, 3), train, test)
	if err != nil {
		t.Fatal(err)
	}
	const n = 380 // 38 steps per epoch × 10
	d := schedule.DiscardStep(s.Strategy, n)
	if d != 76 {
		t.Fatalf("discard step %d, want int(0.2·380) = 76", d)
	}
	// Each candidate alone, to the discard step, scored on the validation set.
	single := s
	single.Strategy.Name = schedule.Default
	labels := make([]int32, len(val))
	for i, v := range val {
		labels[i] = v.Label
	}
	best, bestScore := -1, -1.0
	cands := make([]Cost, 4) // each candidate's cost to the discard step
	for i := range 4 {
		r, err := newRun(single, s.Seeds.member(i), newBow(30, 8, 3), train)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.advance(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		cands[i] = r.cost
		preds := make([]int32, len(val))
		r.eachLogits(r.main.m, val, func(j int, l []float32) { preds[j] = metrics.Argmax(l) })
		if sc := metrics.MacroF1(labels, preds, 3); sc > bestScore {
			best, bestScore = i, sc
		}
	}
	if best == 0 {
		t.Fatal("candidate 0 (the run's own seeds) is the best here: pick data where the choice shows")
	}
	ev := o.Events[len(o.Events)-1]
	if ev.Kind != results.EventCandidatesDiscarded || ev.Step != d || ev.Models != 4 || ev.Scale != bestScore {
		t.Errorf("event %+v, want candidates_discarded at %d of 4 with the best score %g", ev, d, bestScore)
	}
	// The survivor's predictions are those of its seeds trained alone.
	alone := setup(t, schedule.Default)
	alone.Seeds = s.Seeds.member(best)
	want := mustTrain(t, alone, train, test)
	if !slices.EqualFunc(o.Logits, want.Logits, slices.Equal) {
		t.Errorf("candidate %d continued, but its predictions differ from its run alone", best)
	}
	// The sample passes and FLOPs: the survivor's whole run, every discarded
	// candidate's to the discard step, and every candidate's validation pass.
	wc := want.Cost
	for i, c := range cands {
		if i != best {
			wc.ForwardSamples += c.ForwardSamples
			wc.BackwardSamples += c.BackwardSamples
			wc.TrainFLOPs += c.TrainFLOPs
		}
	}
	wc.InferencePasses += int64(4 * len(val))
	if g := o.Cost; g.ForwardSamples != wc.ForwardSamples || g.BackwardSamples != wc.BackwardSamples ||
		g.TrainFLOPs != wc.TrainFLOPs || g.InferencePasses != wc.InferencePasses {
		t.Errorf("cost: forward %d, backward %d, FLOPs %g, inference %d; want %d, %d, %g, %d",
			g.ForwardSamples, g.BackwardSamples, g.TrainFLOPs, g.InferencePasses,
			wc.ForwardSamples, wc.BackwardSamples, wc.TrainFLOPs, wc.InferencePasses)
	}
	if cands[0].ForwardSamples == 0 || cands[0].TrainFLOPs == 0 {
		t.Fatalf("a candidate's cost to the discard step is %+v: nothing to count", cands[0])
	}
	// Cost: every candidate to the discard step, the survivor to the end.
	if want := int64(4*d + n - d); o.Cost.OptimizerSteps != want || int64(len(o.Steps)) != want || o.Cost.Steps != n {
		t.Errorf("optimizer steps %d (%d rows, main %d), want %d", o.Cost.OptimizerSteps, len(o.Steps), o.Cost.Steps, want)
	}
	if sim := schedule.Simulate(s.Strategy, n, 38); int64(sim.OptimizerSteps) != o.Cost.OptimizerSteps {
		t.Errorf("Simulate counts %d optimizer steps, training %d", sim.OptimizerSteps, o.Cost.OptimizerSteps)
	}
	rows := make([]int, 4)
	for _, st := range o.Steps {
		rows[st.Model]++
	}
	for i, r := range rows {
		if want := d; (i == best && r != n) || (i != best && r != want) {
			t.Errorf("candidate %d: %d step rows", i, r)
		}
	}
	if _, err := Train(context.Background(), setup(t, schedule.EarlyDiscard), newBow(30, 8, 3), train, test); err == nil {
		t.Error("early_discard without a validation set accepted")
	}
}

// TestCoresBoundConcurrency: a run that holds one core of a 2-core pool
// trains at most 2 models at once whatever Parallel allows, and every model
// exactly once; with the pool exhausted it trains them one by one.
func TestCoresBoundConcurrency(t *testing.T) {
	cores := NewCores(2)
	release := cores.Hold()
	defer release()
	for _, spare := range []bool{true, false} {
		var held func()
		if !spare {
			held = cores.Hold() // another run holds the second core
		}
		var mu sync.Mutex
		active, most := 0, 0
		calls := make([]int, 10)
		Setup{Parallel: 8, Cores: cores}.each(10, func(i int) {
			mu.Lock()
			active++
			most = max(most, active)
			calls[i]++
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			active--
			mu.Unlock()
		})
		if want := map[bool]int{true: 2, false: 1}[spare]; most > want {
			t.Errorf("spare core %v: %d models at once, want at most %d", spare, most, want)
		}
		if slices.ContainsFunc(calls, func(c int) bool { return c != 1 }) {
			t.Errorf("calls per model %v", calls)
		}
		if held != nil {
			held()
		}
	}
	if got := cores.spare(2); got != 1 {
		t.Errorf("%d cores free after the runs, want 1 (one is held)", got)
	}
}

// TestEvalByLength: the samples are batched shortest first (stable), every
// sample is predicted once under its own index, and its logits are the
// test-order ones up to the last bits.
func TestEvalByLength(t *testing.T) {
	test := toyData(150, 5)
	order := evalOrder(test, true)
	seen := make([]bool, len(test))
	for k, i := range order {
		seen[i] = true
		if k > 0 {
			a, b := test[order[k-1]], test[i]
			if len(a.IDs) > len(b.IDs) || len(a.IDs) == len(b.IDs) && order[k-1] > i {
				t.Fatalf("position %d: sample %d (%d tokens) after %d (%d tokens)", k, i, len(b.IDs), order[k-1], len(a.IDs))
			}
		}
	}
	if slices.Contains(seen, false) || len(order) != len(test) {
		t.Fatal("the order is not a permutation of the samples")
	}
	if got := evalOrder(test, false); !slices.Equal(got, slices.Sorted(slices.Values(got))) {
		t.Error("test order is not the samples' order")
	}
	logits := func(byLength bool) [][]float32 {
		s := setup(t, schedule.Default)
		s.EvalBatch, s.EvalByLength = 16, byLength
		r, err := newRun(s, s.Seeds, newBow(30, 8, 3), toyData(64, 1))
		if err != nil {
			t.Fatal(err)
		}
		m, _ := newBow(30, 8, 3)(rand.New(rand.NewPCG(3, 3)))
		out := make([][]float32, len(test))
		var calls []int
		r.eachLogits(m, test, func(i int, l []float32) {
			if out[i] != nil {
				t.Fatalf("sample %d predicted twice", i)
			}
			out[i] = slices.Clone(l)
			calls = append(calls, i)
		})
		if !slices.Equal(calls, evalOrder(test, byLength)) {
			t.Errorf("by length %v: predicted in the order %v", byLength, calls)
		}
		return out
	}
	inOrder, byLength := logits(false), logits(true)
	for i := range test {
		if byLength[i] == nil {
			t.Fatalf("sample %d not predicted", i)
		}
		for j := range inOrder[i] {
			if d := math.Abs(float64(inOrder[i][j] - byLength[i][j])); d > 1e-5 {
				t.Fatalf("sample %d: logits %v by length, %v in order", i, byLength[i], inOrder[i])
			}
		}
	}
}
