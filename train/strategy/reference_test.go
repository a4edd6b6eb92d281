package strategy

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/schedule"
)

// The tests of this file pin the reference code's population mechanics
// (issue 18): each fails if the behaviour changes.

// TestMembersTrainAtTheConstantBaseLR: with member_lr constant (reference)
// every member step logs the base rate, while the main model follows the
// linear schedule; with member_lr schedule members follow it too.
func TestMembersTrainAtTheConstantBaseLR(t *testing.T) {
	train, test := toyData(300, 1), toyData(50, 2)
	for _, memberLR := range []string{"constant", "schedule"} {
		s := setup(t, schedule.DENI)
		s.Strategy.MemberLR = memberLR
		o := mustTrain(t, s, train, test)
		lrs, err := optim.NewSchedule(s.Schedule, s.LR, int(o.Cost.Steps))
		if err != nil {
			t.Fatal(err)
		}
		members := 0
		for _, st := range o.Steps {
			want := float32(lrs.LR(st.Step - 1))
			if st.Model > 0 {
				members++
				if memberLR == "constant" {
					want = float32(s.LR)
				}
			}
			if st.LR != want {
				t.Fatalf("member_lr %s: model %d step %d at lr %g, want %g", memberLR, st.Model, st.Step, st.LR, want)
			}
		}
		if members == 0 {
			t.Fatal("no member steps")
		}
		// The rate each optimizer is given, seen by the optimizer itself.
		r, _ := spawned(t, s)
		spies := make([]*lrSpy, 0, 1+len(r.members))
		for _, m := range append([]*trainee{r.main}, r.members...) {
			sp := &lrSpy{Optimizer: m.opt}
			m.opt = sp
			spies = append(spies, sp)
		}
		if len(spies) < 2 {
			t.Fatal("no members after spawn")
		}
		r.fillBatch([]int{1, 2, 3, 4})
		r.trainStep(41, 1, StepOptions{})
		sched := r.lrs.LR(40)
		if sched == s.LR {
			t.Fatalf("step 41's scheduled rate is the base rate %g: the check cannot tell them apart", sched)
		}
		for i, sp := range spies {
			want := sched
			if i > 0 && memberLR == "constant" {
				want = s.LR
			}
			if !slices.Equal(sp.rates, []float64{want}) {
				t.Errorf("member_lr %s: model %d's optimizer stepped at %v, want [%g]", memberLR, i, sp.rates, want)
			}
		}
	}
}

// lrSpy records the rates an optimizer steps with.
type lrSpy struct {
	optim.Optimizer
	rates []float64
}

func (s *lrSpy) Step(lr float64) {
	s.rates = append(s.rates, lr)
	s.Optimizer.Step(lr)
}

// spawned returns a DENI run of s trained for 40 steps with its members just
// created with noise multiplier 0.3, and a copy of the main model's weights
// from before the creation.
func spawned(t *testing.T, s Setup) (*run, [][]float32) {
	t.Helper()
	r, err := newRun(s, s.Seeds, newBow(30, 8, 3), toyData(320, 1))
	if err != nil {
		t.Fatal(err)
	}
	for step := 1; step <= 40; step++ {
		r.fillBatch([]int{step, step + 40, step + 80, step + 120})
		r.trainStep(step, 1, StepOptions{})
	}
	var before [][]float32
	for _, p := range r.main.m.Params() {
		before = append(before, slices.Clone(p.Data))
	}
	r.spawn(0.3, true)
	return r, before
}

// TestMembersGetAFreshOptimizer: member_optimizer fresh (reference) gives
// every member an optimizer with no steps and zero moments; copy gives the
// main model's state.
func TestMembersGetAFreshOptimizer(t *testing.T) {
	for _, kind := range []string{"fresh", "copy"} {
		s := setup(t, schedule.DENI)
		s.Strategy.MemberOptimizer = kind
		r, _ := spawned(t, s)
		main := r.main.opt.(*optim.Adam)
		if main.Steps() != 40 {
			t.Fatalf("main optimizer at %d steps, want 40", main.Steps())
		}
		mm, mv := main.Moments(1)
		for i, mb := range r.members {
			adam := mb.opt.(*optim.Adam)
			m, v := adam.Moments(1)
			switch kind {
			case "fresh":
				if adam.Steps() != 0 || slices.ContainsFunc(m, nonzero) || slices.ContainsFunc(v, nonzero) {
					t.Fatalf("member %d: fresh optimizer at %d steps with moments set", i+1, adam.Steps())
				}
			case "copy":
				if adam.Steps() != 40 || !slices.Equal(m, mm) || !slices.Equal(v, mv) {
					t.Fatalf("member %d: copied optimizer at %d steps, moments equal %v", i+1, adam.Steps(), slices.Equal(m, mm))
				}
			}
		}
	}
}

func nonzero(x float32) bool { return x != 0 }

// TestMembersRestartTheRunsDropoutStream: with member_dropout shared
// (reference) every member's dropout stream starts where the run's started;
// independent gives each member a stream of its own.
func TestMembersRestartTheRunsDropoutStream(t *testing.T) {
	first := seeds.New(setup(t, schedule.DENI).Seeds.ModelRandomness).Uint64()
	for _, kind := range []string{"shared", "independent"} {
		s := setup(t, schedule.DENI)
		s.Strategy.MemberDropout = kind
		r, _ := spawned(t, s)
		var draws []uint64
		for _, mb := range r.members {
			draws = append(draws, mb.dropout.Uint64())
		}
		for i, d := range draws {
			if restarted := d == first; restarted != (kind == "shared") {
				t.Errorf("member_dropout %s: member %d restarted the run's stream: %v", kind, i+1, restarted)
			}
		}
		if kind == "independent" && len(slices.Compact(slices.Sorted(slices.Values(draws)))) != len(draws) {
			t.Errorf("independent dropout streams repeat: %v", draws)
		}
	}
}

// TestMemberNoiseTouchesTheHeadOnly: under full fine-tuning (noise_layer
// head, the reference) member creation perturbs output.* of every member and
// nothing else, and never the main model; noise_layer trainable perturbs
// every trainable parameter.
func TestMemberNoiseTouchesTheHeadOnly(t *testing.T) {
	for _, layer := range []string{"head", "trainable"} {
		s := setup(t, schedule.DENI)
		s.NoiseLayer = layer
		r, before := spawned(t, s)
		for pi, p := range r.main.m.Params() {
			if !slices.Equal(p.Data, before[pi]) {
				t.Fatalf("noise_layer %s: member creation changed the main model's %s", layer, p.Name)
			}
		}
		for i, mb := range r.members {
			for pi, p := range mb.m.Params() {
				changed := !slices.Equal(p.Data, before[pi])
				want := layer == "trainable" || strings.HasPrefix(p.Name, "output.")
				if changed != want {
					t.Errorf("noise_layer %s: member %d %s perturbed %v, want %v", layer, i+1, p.Name, changed, want)
				}
			}
		}
	}
}

// mainLogits are the main model's test logits (the first voter's).
func mainLogits(o *Outcome) [][]float32 {
	out := make([][]float32, len(o.MemberLogits))
	for i, l := range o.MemberLogits {
		out[i] = l[:o.Classes]
	}
	return out
}

// TestPopulationsLeaveTheMainModelAlone: DE never touches the main model, so
// its main model is the default run's bit for bit; DENI's is NI's. The study
// reads NI from DENI runs on this ground.
func TestPopulationsLeaveTheMainModelAlone(t *testing.T) {
	train, test := toyData(300, 1), toyData(100, 2)
	for _, c := range []struct{ single, population string }{
		{schedule.Default, schedule.DelayedEnsemble},
		{schedule.NoisyInterpolation, schedule.DENI},
	} {
		single := mustTrain(t, setup(t, c.single), train, test)
		pop := mustTrain(t, setup(t, c.population), train, test)
		if len(pop.MemberLogits[0]) != 10*pop.Classes {
			t.Fatalf("%s: %d voters", c.population, len(pop.MemberLogits[0])/pop.Classes)
		}
		got := mainLogits(pop)
		for i := range test {
			if !slices.Equal(got[i], single.Logits[i]) {
				t.Fatalf("%s's main model differs from %s's at sample %d: %v vs %v", c.population, c.single, i, got[i], single.Logits[i])
			}
		}
	}
}

// Steps at N = 1,140 (TREC: 911 labelled, batch 8, 10 epochs).
func TestTrainerScheduleAt1140Steps(t *testing.T) {
	train, test := toyData(911, 1), toyData(50, 2)
	for _, c := range []struct {
		name                 string
		created, merged, fin []int
	}{
		{schedule.NoisyInterpolation, []int{342, 592}, []int{467, 717}, nil},
		{schedule.DelayedEnsemble, nil, nil, []int{1026}},
		{schedule.DENI, []int{342, 592}, []int{467, 717}, []int{1026}},
	} {
		o := mustTrain(t, setup(t, c.name), train, test)
		if o.Cost.Steps != 1140 {
			t.Fatalf("%d steps", o.Cost.Steps)
		}
		for _, e := range []struct {
			kind string
			want []int
		}{{results.EventMembersCreated, c.created}, {results.EventMembersMerged, c.merged}, {results.EventFinalEnsembleCreated, c.fin}} {
			if got := eventSteps(o, e.kind); !slices.Equal(got, e.want) {
				t.Errorf("%s: %s at %v, want %v", c.name, e.kind, got, e.want)
			}
		}
	}
}

// memberLosses returns the losses of the members (models 1..) at step.
func memberLosses(o *Outcome, step int) []float32 {
	var l []float32
	for _, st := range o.Steps {
		if st.Step == step && st.Model > 0 {
			l = append(l, st.Loss)
		}
	}
	return l
}

// TestMemberDiversityOptions: with noise_variance 0, the shared order and
// the shared dropout stream (the reference's other settings) the delayed
// ensemble's members are bit-identical; member_order independent alone, or
// member_dropout independent alone, makes their first-step losses differ.
func TestMemberDiversityOptions(t *testing.T) {
	train, test := toyData(300, 1), toyData(100, 2)
	for _, c := range []struct {
		name     string
		set      func(*schedule.Params)
		distinct bool
	}{
		{"reference", func(*schedule.Params) {}, false},
		{"member_order independent", func(p *schedule.Params) { p.MemberOrder = schedule.OrderIndependent }, true},
		{"member_dropout independent", func(p *schedule.Params) { p.MemberDropout = "independent" }, true},
	} {
		s := setup(t, schedule.DelayedEnsemble)
		s.Strategy.NoiseVariance = 0
		c.set(&s.Strategy)
		o := mustTrain(t, s, train, test)
		created := eventSteps(o, results.EventFinalEnsembleCreated)
		losses := memberLosses(o, created[0])
		if len(losses) != 9 {
			t.Fatalf("%s: %d member losses at step %d", c.name, len(losses), created[0])
		}
		if distinct := len(slices.Compact(slices.Sorted(slices.Values(losses)))) > 1; distinct != c.distinct {
			t.Errorf("%s: first-step member losses %v, distinct %v, want %v", c.name, losses, distinct, c.distinct)
		}
		identical := true
		for i := range test {
			l := o.MemberLogits[i]
			for k := 2; k < 10; k++ {
				identical = identical && slices.Equal(l[3:6], l[3*k:3*k+3])
			}
		}
		if identical == c.distinct {
			t.Errorf("%s: members bit-identical %v", c.name, identical)
		}
		// The option changes no cost in optimizer steps.
		if n := o.Cost.Steps; o.Cost.OptimizerSteps != n+9*(n-int64(created[0])+1) {
			t.Errorf("%s: %d optimizer steps", c.name, o.Cost.OptimizerSteps)
		}
	}
}

// TestIndependentMemberOrder: each member's batches are a permutation of the
// training set per epoch drawn from its own sample_order sub-stream, so two
// members see other samples in the same step and every sample once an epoch.
func TestIndependentMemberOrder(t *testing.T) {
	s := setup(t, schedule.DENI)
	s.Strategy.MemberOrder = schedule.OrderIndependent
	r, _ := spawned(t, s)
	for i, mb := range r.members {
		if mb.order == nil {
			t.Fatalf("member %d has no order stream", i+1)
		}
		want := seeds.New(memberSeed(s.Seeds.SampleOrder, 1, i+1)).Perm(len(r.train))
		if got := mb.order.Perm(len(r.train)); !slices.Equal(got, want) {
			t.Fatalf("member %d's order is not its sub-stream", i+1)
		}
	}
	// Through the loop: every member step trains on a batch of its own.
	train, test := toyData(300, 1), toyData(50, 2)
	s.Strategy.Name = schedule.DelayedEnsemble
	o, err := Train(context.Background(), s, newBow(30, 8, 3), train, test)
	if err != nil {
		t.Fatal(err)
	}
	created := eventSteps(o, results.EventFinalEnsembleCreated)[0]
	if got := len(slices.Compact(slices.Sorted(slices.Values(memberLosses(o, created))))); got < 8 {
		t.Errorf("%d distinct member losses at the creation step", got)
	}
}

// TestMeanProbsVote: vote mean_probs changes the final prediction only
// (training and every voter's logits are the same as under majority), and
// that prediction is the argmax of the voters' mean softmax.
func TestMeanProbsVote(t *testing.T) {
	train, test := toyData(300, 1), toyData(300, 2)
	for _, name := range []string{schedule.DENI, schedule.Ensemble} {
		s := setup(t, name)
		s.Strategy.NoiseVariance = 1
		majority := mustTrain(t, s, train, test)
		s.Strategy.Vote = schedule.VoteMeanProbs
		soft := mustTrain(t, s, train, test)
		if !slices.EqualFunc(majority.MemberLogits, soft.MemberLogits, slices.Equal) {
			t.Fatalf("%s: the vote rule changed the voters' logits", name)
		}
		differ := 0
		for i := range test {
			l := soft.MemberLogits[i]
			want := meanProbsArgmax(l, 3)
			if soft.Preds[i] != want {
				t.Fatalf("%s: sample %d predicted %d, mean softmax says %d", name, i, soft.Preds[i], want)
			}
			if got, want := majority.Preds[i], majorityArgmax(l, 3); got != want {
				t.Fatalf("%s: sample %d predicted %d by majority, the members' argmaxes say %d", name, i, got, want)
			}
			if soft.Preds[i] != majority.Preds[i] {
				differ++
			}
		}
		if differ == 0 { // else a rule could stand in for the other unseen
			t.Errorf("%s: soft and majority votes agree on all %d samples", name, len(test))
		}
	}
}

// majorityArgmax recomputes the reference's vote: the class most voters
// predict, ties to the lowest class.
func majorityArgmax(l []float32, c int) int32 {
	votes := make([]int, c)
	for v := 0; v < len(l)/c; v++ {
		best := 0
		for k := range c {
			if l[v*c+k] > l[v*c+best] {
				best = k
			}
		}
		votes[best]++
	}
	return int32(slices.Index(votes, slices.Max(votes)))
}

// meanProbsArgmax recomputes the soft vote independently of metrics.
func meanProbsArgmax(l []float32, c int) int32 {
	sum := make([]float64, c)
	for v := 0; v < len(l)/c; v++ {
		var z float64
		for _, x := range l[v*c : (v+1)*c] {
			z += math.Exp(float64(x))
		}
		for k, x := range l[v*c : (v+1)*c] {
			sum[k] += math.Exp(float64(x)) / z
		}
	}
	best := 0
	for k := range c {
		if sum[k] > sum[best] {
			best = k
		}
	}
	return int32(best)
}
