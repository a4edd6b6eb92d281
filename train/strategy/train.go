package strategy

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/metrics"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/schedule"
	"github.com/deni-project/deni/train/tensor"
)

// Sample is an encoded sample: token ids (with [CLS]/[SEP], truncated) and label.
type Sample struct {
	IDs   []int32
	Label int32
}

// Seeds are the streams a training run draws from.
type Seeds struct {
	SampleOrder, ModelInit, ModelRandomness, Noise uint64
}

// member derives the seeds of the k-th independent model of an ensemble;
// model 0 keeps the run's own seeds, so it reproduces the default run.
func (s Seeds) member(k int) Seeds {
	if k == 0 {
		return s
	}
	return Seeds{
		SampleOrder:     seeds.Derive(s.SampleOrder, "member", k),
		ModelInit:       seeds.Derive(s.ModelInit, "member", k),
		ModelRandomness: seeds.Derive(s.ModelRandomness, "member", k),
		Noise:           seeds.Derive(s.Noise, "member", k),
	}
}

// Setup configures one training run.
type Setup struct {
	Strategy   schedule.Params // with defaults resolved
	Epochs     int
	BatchSize  int
	EvalBatch  int
	LR         float64
	Optimizer  optim.Config
	Schedule   string // optim schedule name
	NoiseLayer string // head | trainable (the caller resolves auto)
	PadTo      int    // 0: pad each batch to its longest sample; else to PadTo tokens
	// EvalByLength predicts in batches of samples of similar length (by
	// token count, stable) instead of in the samples' order: less padding,
	// other last bits in the logits (docs/engine.md#where-a-runs-time-goes).
	EvalByLength bool
	Seeds        Seeds
	Parallel     int    // most models trained concurrently (members of a population, models of an ensemble)
	Cores        *Cores // when set, concurrency beyond the run's own core only on free cores of the pool
	// Validation is carved from the labelled set for strategies that choose
	// a model on it (early_discard); the training set excludes it.
	Validation []Sample
	// Progress, when set, is called after every training step with the
	// steps trained so far, the steps the run trains in all (plannedSteps)
	// and the training loss of the step's main model. Calls come in order,
	// one at a time, from the training goroutines: keep it short. It sees
	// the training and never changes it.
	Progress func(step, total int, loss float32)
	prog     *progress // Progress's counter, shared by the models of one Train call
}

// StepLog is one optimizer step of one model.
type StepLog struct {
	Model, Step, Epoch int
	Loss, LR           float32
	Phase              string // single | multi | final
}

// Event is one strategy event. Kind is one of the event kinds of the
// results contract (results.EventNoise, …), which the engine shares with the
// pipeline and the analysis through the leaf package internal/results.
type Event struct {
	Step   int
	Kind   string
	Models int
	Scale  float64
}

// Cost is the training and inference cost of a run.
type Cost struct {
	Steps           int64   // optimizer steps of the main model
	OptimizerSteps  int64   // summed over every model: the paper's unit
	ForwardSamples  int64   // training forward passes, in samples
	BackwardSamples int64   // training backward passes, in samples
	TrainFLOPs      float64 // forward + backward (2× forward), analytic
	InferencePasses int64   // test samples × models evaluated
	ModelBytes      int64   // peak bytes of the live models' parameters, gradients and optimizer state (noteMemory)
}

// Outcome is what a training run produces on the test set.
type Outcome struct {
	Classes      int
	Preds        []int32     // final prediction per test sample (the vote of an ensemble)
	Logits       [][]float32 // per test sample: the main (or averaged) model's logits
	MemberPreds  [][]int32   // per test sample: every voting model's argmax, main model first
	MemberLogits [][]float32 // per test sample: voting models × classes
	Steps        []StepLog
	Events       []Event
	Cost         Cost
	FinalLoss    float64 // mean training loss of the main model over the last epoch
}

// Train fine-tunes under s.Strategy on train and predicts test.
func Train(ctx context.Context, s Setup, newModel NewModel, train, test []Sample) (*Outcome, error) {
	if len(train) == 0 || len(test) == 0 {
		return nil, fmt.Errorf("strategy: empty training (%d) or test (%d) set", len(train), len(test))
	}
	if s.BatchSize < 1 || s.Epochs < 1 || s.EvalBatch < 1 {
		return nil, fmt.Errorf("strategy: batch size, eval batch and epochs must be positive")
	}
	s.Parallel = max(s.Parallel, 1)
	s.prog = newProgress(s.Progress, plannedSteps(s, len(train)))
	if sep, ok := separateModels[s.Strategy.Name]; ok {
		return sep.train(ctx, s, newModel, train, test)
	}
	r, err := newRun(s, s.Seeds, newModel, train)
	if err != nil {
		return nil, err
	}
	if err := r.fit(ctx); err != nil {
		return nil, err
	}
	r.doneTraining()
	return r.predict(test), nil
}

// doneTraining drops what only training needs (optimizer state) before the
// models predict, so that a population's memory at evaluation is its
// weights. Activation arenas are not the models': they are lent per pass.
func (r *run) doneTraining() {
	for _, t := range append([]*trainee{r.main}, r.members...) {
		t.opt = nil
	}
}

// separateModels are the strategies that train several independent default
// runs instead of one population (the others follow their plan in newRun):
// how they train, and how many steps their models take in all for a run of
// n steps (what Progress reports).
var separateModels = map[string]struct {
	train   func(ctx context.Context, s Setup, newModel NewModel, train, test []Sample) (*Outcome, error)
	planned func(p schedule.Params, n int) int
}{
	schedule.Ensemble: {trainEnsemble, func(p schedule.Params, n int) int { return p.EnsembleSize * n }},
	schedule.EarlyDiscard: {trainEarlyDiscard, func(p schedule.Params, n int) int {
		d := min(schedule.DiscardStep(p, n), n)
		return p.Candidates*d + n - d // every candidate to the discard step, the survivor to n
	}},
}

// trainEnsemble trains EnsembleSize independent default runs, each with its
// own init, dropout and order streams, concurrently, and lets them vote.
func trainEnsemble(ctx context.Context, s Setup, newModel NewModel, train, test []Sample) (*Outcome, error) {
	k := s.Strategy.EnsembleSize
	runs := make([]*run, k)
	errs := make([]error, k)
	single := s.single()
	s.each(k, func(i int) {
		r, err := newRun(single, s.ensembleSeeds(i), newModel, train)
		if err == nil {
			err = r.fit(ctx)
		}
		if err == nil {
			r.doneTraining()
		}
		runs[i], errs[i] = r, err
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("ensemble model %d: %w", i, err)
		}
	}
	// Vote with every model; the run's cost and steps are the sum over models.
	lead := runs[0]
	voters := make([]Model, k)
	for i, r := range runs {
		voters[i] = r.main.m
		if i > 0 {
			lead.steps = r.stepsAs(i, lead.steps)
			lead.cost.addTraining(r.cost)
		}
	}
	lead.members = nil
	lead.s.Parallel = s.Parallel // the models vote on the run's cores, as they trained
	o := lead.vote(voters, voters[0], test)
	if s.Strategy.Combine == schedule.CombineSoup {
		lead.soup(o, voters, test)
	}
	return o, nil
}

// trainEarlyDiscard starts Candidates default runs, each with its own seeds
// (candidate 0 has the run's), trains them concurrently to the discard step,
// scores them on the validation set (macro-F1, eval mode) and trains only the
// best (ties to the lowest index) to the end. The cost counts every step of
// every candidate; the steps table logs candidate i as model i.
func trainEarlyDiscard(ctx context.Context, s Setup, newModel NewModel, train, test []Sample) (*Outcome, error) {
	if len(s.Validation) == 0 {
		return nil, fmt.Errorf("early_discard: no validation samples")
	}
	k := s.Strategy.Candidates
	single := s.single()
	runs := make([]*run, k)
	scores := make([]float64, k)
	errs := make([]error, k)
	labels := make([]int32, len(s.Validation))
	for i, v := range s.Validation {
		labels[i] = v.Label
	}
	s.each(k, func(i int) {
		r, err := newRun(single, s.Seeds.member(i), newModel, train)
		if err == nil {
			r.begin()
			err = r.advance(ctx, schedule.DiscardStep(s.Strategy, r.total))
		}
		if err == nil {
			preds := make([]int32, len(s.Validation))
			r.eachLogits(r.main.m, s.Validation, func(j int, l []float32) { preds[j] = metrics.Argmax(l) })
			scores[i] = metrics.MacroF1(labels, preds, r.main.m.Classes())
		}
		runs[i], errs[i] = r, err
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("early_discard candidate %d: %w", i, err)
		}
	}
	best := 0
	for i, sc := range scores {
		if sc > scores[best] {
			best = i
		}
	}
	lead := runs[best]
	for i, r := range runs {
		if i != best {
			r.main.m, r.main.opt = nil, nil // discarded: only its steps and cost stay
		}
	}
	lead.events = append(lead.events, Event{Step: lead.step, Kind: results.EventCandidatesDiscarded, Models: k, Scale: scores[best]})
	if err := lead.advance(ctx, lead.total); err != nil {
		return nil, err
	}
	lead.finish()
	// Steps and cost: every candidate's, each logged as its own model.
	var steps []StepLog
	for i, r := range runs {
		steps = r.stepsAs(i, steps)
		if i != best {
			lead.cost.addTraining(r.cost)
		}
	}
	lead.steps = steps
	lead.doneTraining()
	o := lead.predict(test)
	o.Cost.InferencePasses += int64(k * len(s.Validation))
	return o, nil
}

// single is the setup of one model of an ensemble or one candidate: the
// default strategy, trained alone.
func (s Setup) single() Setup {
	s.Strategy.Name = schedule.Default
	s.Parallel = 1
	return s
}

// stepsAs appends r's step logs to dst, each as model i.
func (r *run) stepsAs(i int, dst []StepLog) []StepLog {
	for _, st := range r.steps {
		st.Model = i
		dst = append(dst, st)
	}
	return dst
}

// addTraining adds the training cost of another model's run.
func (c *Cost) addTraining(o Cost) {
	c.OptimizerSteps += o.OptimizerSteps
	c.ForwardSamples += o.ForwardSamples
	c.BackwardSamples += o.BackwardSamples
	c.TrainFLOPs += o.TrainFLOPs
	c.ModelBytes += o.ModelBytes // the models are all alive until they vote
}

// ensembleSeeds are the seeds of ensemble model i: its own streams, with the
// run's model_init when the members share their initialisation (shared_init).
func (s Setup) ensembleSeeds(i int) Seeds {
	sd := s.Seeds.member(i)
	if s.Strategy.SharedInit {
		sd.ModelInit = s.Seeds.ModelInit // one head initialisation, as soups need
	}
	return sd
}

// trainee is one model of the population with its optimizer and streams.
type trainee struct {
	m        Model
	opt      optim.Optimizer
	dropout  *rand.Rand
	constLR  bool // members at the constant base LR (reference)
	lastLoss float32
	lastLR   float64 // the rate its optimizer stepped with last (the steps table logs it)

	// A member with its own sample order (member_order: independent) draws
	// a permutation of the training set at every epoch it trains in and
	// fills its own batch; otherwise order is nil and it shares the run's.
	order     *rand.Rand
	perm      []int
	permEpoch int
	batch     Batch
}

// batchOf is the batch t trains on in this step.
func (r *run) batchOf(t *trainee) *Batch {
	if t.order != nil {
		return &t.batch
	}
	return &r.batch
}

// run is the state of one population training run.
type run struct {
	s                  Setup
	seeds              Seeds
	train              []Sample
	perEpoch, total    int
	main               *trainee
	members            []*trainee
	final              bool // members are the final (delayed) ensemble
	cycle              int  // interpolation cycles so far (independent member streams)
	avg                Model
	averaged           int
	order, noise       *rand.Rand
	lrs                optim.Schedule
	plan               *schedule.Plan
	mixout             *Mixout
	r3f                *R3F // R3F's noisy pass in every step of the main model, its noise from the run's noise stream
	batch              Batch
	steps              []StepLog
	events             []Event
	cost               Cost
	lastEpochLoss      float64
	lastEpochLossCount int
	models             []*trainee // main model and members of the current step
	step, epoch        int        // the last step trained and its epoch (1-based)
	perm               []int      // the current epoch's sample order
	mem                memory     // the population noteMemory last measured
}

func newRun(s Setup, sd Seeds, newModel NewModel, train []Sample) (*run, error) {
	m, err := newModel(seeds.New(sd.ModelInit))
	if err != nil {
		return nil, err
	}
	opt, err := optim.New(s.Optimizer, m.Params())
	if err != nil {
		return nil, err
	}
	perEpoch := (len(train) + s.BatchSize - 1) / s.BatchSize
	total := perEpoch * s.Epochs
	lrs, err := optim.NewSchedule(s.Schedule, s.LR, total)
	if err != nil {
		return nil, err
	}
	r := &run{
		s: s, seeds: sd, train: train, perEpoch: perEpoch, total: total,
		main:  &trainee{m: m, opt: opt, dropout: seeds.New(sd.ModelRandomness)},
		order: seeds.New(sd.SampleOrder), noise: seeds.New(sd.Noise),
		lrs: lrs, plan: schedule.NewPlan(s.Strategy, schedule.Run{Total: total, PerEpoch: perEpoch}),
	}
	if s.Strategy.Name == schedule.Mixout {
		w := headWeight(m)
		if w == nil {
			return nil, fmt.Errorf("mixout: the model has no head weight %q", headWeightName)
		}
		r.mixout = &Mixout{P: s.Strategy.MixoutP, Target: append([]float32(nil), w.Data...)}
	}
	if p := r.plan.R3F; p != nil {
		r.r3f = &R3F{Sigma: p.Sigma, Uniform: p.Uniform, Lambda: p.Lambda, RNG: r.noise}
	}
	if err := r.layerwise(); err != nil {
		return nil, err
	}
	return r, nil
}

const headWeightName = "output.weight"

func headWeight(m Model) *tensor.Param {
	for _, p := range m.Params() {
		if p.Name == headWeightName {
			return p
		}
	}
	return nil
}

// noiseTargets are the parameters a strategy perturbs: the head (output.*)
// for full fine-tuning, every trainable parameter for PEFT.
func (r *run) noiseTargets(m Model) []*tensor.Param {
	if r.s.NoiseLayer == "head" {
		return tensor.SelectParams(m.Params(), tensor.HasPrefix("output."))
	}
	return tensor.SelectParams(m.Params(), tensor.Trainable)
}

func (r *run) event(step int, kind string, scale float64) {
	r.events = append(r.events, Event{Step: step, Kind: kind, Models: 1 + len(r.members), Scale: scale})
}

func (r *run) fit(ctx context.Context) error {
	r.begin()
	if err := r.advance(ctx, r.total); err != nil {
		return err
	}
	r.finish()
	return nil
}

// begin applies what a strategy does once before training.
func (r *run) begin() {
	if m := r.plan.PriorNoise; m > 0 {
		Perturb(r.noiseTargets(r.main.m), m, r.s.Strategy.NoiseType == "scaled", r.noise)
		r.event(0, results.EventNoise, m)
	}
	if w := r.plan.UniformNoise; w > 0 {
		PerturbUniform(Pretrained(r.main.m), w, r.noise)
		r.event(0, results.EventNoise, w)
	}
}

// advance trains from the run's current step up to step until (at most
// total): each epoch starts with a permutation from the sample_order stream,
// and each step does the plan's action, then the update.
func (r *run) advance(ctx context.Context, until int) error {
	scaled := r.s.Strategy.NoiseType == "scaled"
	for r.step < min(until, r.total) {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := r.step % r.perEpoch
		if b == 0 {
			r.epoch++
			r.perm = r.order.Perm(len(r.train))
			r.lastEpochLoss, r.lastEpochLossCount = 0, 0
		}
		r.step++
		step, epoch, perm := r.step, r.epoch, r.perm
		a := r.plan.At(step)
		if a.Merge {
			r.merge()
			r.event(step, results.EventMembersMerged, 0)
		}
		if a.CreateMembers {
			r.spawn(a.MemberNoise, scaled)
			r.final = a.FinalEnsemble
			kind := results.EventMembersCreated
			if a.FinalEnsemble {
				kind = results.EventFinalEnsembleCreated
			}
			r.event(step, kind, a.MemberNoise)
		}
		if a.WeightNoise > 0 {
			Perturb(r.noiseTargets(r.main.m), a.WeightNoise, scaled, r.noise)
			r.event(step, results.EventNoise, a.WeightNoise)
		}
		opts := StepOptions{Mixout: r.mixout, R3F: r.r3f}
		if a.InputNoise > 0 {
			opts.PooledNoise, opts.NoiseRNG = a.InputNoise, r.noise
			opts.BackboneFrozen = !r.s.Strategy.BackboneGrad
			r.event(step, results.EventNoise, a.InputNoise)
		}
		lo, hi := b*r.s.BatchSize, min((b+1)*r.s.BatchSize, len(perm))
		r.fillBatch(perm[lo:hi])
		for _, mb := range r.members {
			if mb.order == nil {
				continue
			}
			if mb.permEpoch != epoch {
				mb.perm, mb.permEpoch = mb.order.Perm(len(r.train)), epoch
			}
			fillBatch(&mb.batch, r.train, mb.perm[lo:hi], r.s.PadTo, true)
		}
		r.trainStep(step, epoch, opts)
		if a.Average {
			r.average(step)
		}
	}
	return nil
}

// finish merges an interpolation still open when training ends (the
// reference drops it; a merge is what the strategy intends).
func (r *run) finish() {
	r.noteMemory()    // an SWA/EMA copy made at the last step
	r.measureMemory() // the state grown since the population last changed
	if len(r.members) > 0 && !r.final {
		r.merge()
		r.event(r.step, results.EventMembersMerged, 0)
	}
}

// spawn replaces the members by EnsembleSize-1 perturbed copies of the main model.
func (r *run) spawn(noise float64, scaled bool) {
	k := r.s.Strategy.EnsembleSize - 1
	r.cycle++
	r.dropMembers()
	for i := 1; i <= k; i++ {
		m := r.main.m.Clone()
		Perturb(r.noiseTargets(m), noise, scaled, r.noise)
		var opt optim.Optimizer
		var err error
		if r.s.Strategy.MemberOptimizer == "copy" {
			opt, err = r.main.opt.Clone(m.Params())
		} else {
			opt, err = optim.New(r.s.Optimizer, m.Params())
		}
		if err != nil {
			panic(fmt.Sprintf("strategy: member optimizer: %v", err)) // same layout as the main model
		}
		// Shared (reference): every member restarts the run's dropout stream.
		dropSeed := r.seeds.ModelRandomness
		if r.s.Strategy.MemberDropout == "independent" {
			dropSeed = memberSeed(r.seeds.ModelRandomness, r.cycle, i)
		}
		t := &trainee{m: m, opt: opt, dropout: seeds.New(dropSeed), constLR: r.s.Strategy.MemberLR == "constant"}
		// Shared (reference): members train on the main model's batches.
		if r.s.Strategy.MemberOrder == schedule.OrderIndependent {
			t.order = seeds.New(memberSeed(r.seeds.SampleOrder, r.cycle, i))
		}
		r.members = append(r.members, t)
	}
}

// memberSeed is the seed of member i's own stream in creation cycle c,
// derived from the run's stream of the same factor.
func memberSeed(run uint64, c, i int) uint64 {
	return seeds.Derive(seeds.Derive(run, "cycle", c), "member", i)
}

// merge sets the main model to the exact mean of itself and its members
// (trainable parameters; frozen ones are equal in every copy) and drops them.
func (r *run) merge() {
	r.measureMemory() // the members' state at its largest
	keep := tensor.Trainable
	srcs := [][]*tensor.Param{tensor.SelectParams(r.main.m.Params(), keep)}
	for _, mb := range r.members {
		srcs = append(srcs, tensor.SelectParams(mb.m.Params(), keep))
	}
	if err := tensor.MeanParams(srcs[0], srcs...); err != nil {
		panic(fmt.Sprintf("strategy: merge: %v", err))
	}
	r.dropMembers()
}

// dropMembers forgets the members. The slices keep their backing arrays
// (no allocation per cycle), so the pointers are cleared too: a truncated
// slice still holds its old elements, and the dropped members (weights,
// gradients, optimizer state) stayed alive through the main model's steps
// until the next cycle's clones overwrote them.
func (r *run) dropMembers() {
	clear(r.members)
	r.members = r.members[:0]
	clear(r.models)
	r.models = r.models[:0]
}

// average folds the main model into the SWA (equal-weight running mean) or
// EMA copy, as torch's AveragedModel: the first update copies.
func (r *run) average(step int) {
	cur := tensor.SelectParams(r.main.m.Params(), tensor.Trainable)
	if r.avg == nil {
		r.avg = r.main.m.Clone()
		r.averaged = 1
		r.event(step, results.EventAveragingStarted, 0)
		return
	}
	avg := tensor.SelectParams(r.avg.Params(), tensor.Trainable)
	var w float64 // weight of the current model
	if r.s.Strategy.Name == schedule.EMA {
		w = 1 - r.s.Strategy.EMADecay
	} else {
		w = 1 / float64(r.averaged+1)
	}
	for i, p := range avg {
		src := cur[i].Data
		for j, a := range p.Data {
			p.Data[j] = a + float32(w)*(src[j]-a)
		}
	}
	r.averaged++
}

// trainStep trains the main model and the members on the current batch,
// concurrently when allowed. Every model has its own workspace, optimizer
// and dropout stream, so the order of goroutines cannot change a result.
func (r *run) trainStep(step, epoch int, opts StepOptions) {
	r.noteMemory()
	lr := r.lrs.LR(step - 1)
	r.models = append(append(r.models[:0], r.main), r.members...) // reused: no allocation per step
	models := r.models
	one := func(t *trainee, o StepOptions) {
		tensor.ZeroGrads(t.m.Params())
		t.lastLoss = t.m.TrainStep(r.batchOf(t), t.dropout, o)
		t.lastLR = lr
		if t.constLR {
			t.lastLR = r.s.LR
		}
		t.opt.Step(t.lastLR)
	}
	memberOpts := StepOptions{Mixout: r.mixout}
	r.s.each(len(models), func(i int) {
		o := memberOpts
		if i == 0 {
			o = opts
		}
		one(models[i], o)
	})
	phase := results.PhaseSingle
	if len(r.members) > 0 {
		phase = results.PhaseMulti
		if r.final {
			phase = results.PhaseFinal
		}
	}
	// The main model's step may train its head only; members with their own
	// order train on batches of other lengths.
	flops := r.main.m.TrainFLOPs(r.batch.T) * float64(r.batch.B)
	mainFLOPs := flops
	if opts.BackboneFrozen {
		mainFLOPs = r.main.m.HeadOnlyTrainFLOPs(r.batch.T) * float64(r.batch.B)
	}
	// R3F's main model runs a second forward and backward pass (the noisy
	// one) on the batch: its step costs two.
	mainPasses := int64(1)
	if opts.R3F != nil {
		mainPasses = 2
		mainFLOPs *= 2
	}
	shared, ownFLOPs := 0, 0.0
	for _, t := range r.members {
		if t.order == nil {
			shared++
		} else {
			ownFLOPs += t.m.TrainFLOPs(t.batch.T) * float64(t.batch.B)
		}
	}
	for i, t := range models {
		r.steps = append(r.steps, StepLog{Model: i, Step: step, Epoch: epoch, Loss: t.lastLoss, LR: float32(t.lastLR), Phase: phase})
	}
	n := int64(len(models))
	r.cost.Steps++
	r.cost.OptimizerSteps += n
	r.cost.ForwardSamples += (n - 1 + mainPasses) * int64(r.batch.B)
	r.cost.BackwardSamples += (n - 1 + mainPasses) * int64(r.batch.B)
	r.cost.TrainFLOPs += mainFLOPs + float64(shared)*flops + ownFLOPs
	r.lastEpochLoss += float64(r.main.lastLoss)
	r.lastEpochLossCount++
	r.s.prog.step(r.main.lastLoss)
}

// fillBatch pads the samples idx into the run's reused batch buffers.
func (r *run) fillBatch(idx []int) {
	fillBatch(&r.batch, r.train, idx, r.s.PadTo, true)
}

func fillBatch(b *Batch, samples []Sample, idx []int, padTo int, labels bool) {
	t := padTo
	if t == 0 {
		for _, i := range idx {
			t = max(t, len(samples[i].IDs))
		}
	}
	b.B, b.T = len(idx), t
	n := b.B * t
	b.IDs = growInt32(b.IDs, n)
	b.Mask = growInt32(b.Mask, n)
	clear(b.IDs)
	clear(b.Mask)
	b.Labels = growInt32(b.Labels, b.B)
	for row, i := range idx {
		ids := samples[i].IDs
		if len(ids) > t {
			ids = ids[:t]
		}
		copy(b.IDs[row*t:], ids)
		for j := range ids {
			b.Mask[row*t+j] = 1
		}
		b.Labels[row] = samples[i].Label
	}
	if !labels {
		b.Labels = nil
	}
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// predict evaluates the voting models on the test set.
func (r *run) predict(test []Sample) *Outcome {
	var voters []Model
	shown := r.main.m
	switch {
	case r.final && len(r.members) > 0:
		voters = []Model{r.main.m}
		for _, mb := range r.members {
			voters = append(voters, mb.m)
		}
	case r.avg != nil:
		// SWA/EMA: the averaged model is evaluated (in eval mode, without
		// dropout: the reference's EMA kept dropout on, bug 9).
		voters, shown = []Model{r.avg}, r.avg
	default:
		voters = []Model{r.main.m}
	}
	return r.vote(voters, shown, test)
}

// vote predicts test with every voter in eval mode; the prediction is the
// majority vote (reference) or the argmax of the voters' mean softmax (vote:
// mean_probs), ties to the lowest class; a single voter's is its argmax.
func (r *run) vote(voters []Model, shown Model, test []Sample) *Outcome {
	c := voters[0].Classes()
	o := &Outcome{Classes: c, Steps: r.steps, Events: r.events, Cost: r.cost,
		Logits:      make([][]float32, len(test)),
		MemberPreds: make([][]int32, len(test)), MemberLogits: make([][]float32, len(test))}
	if r.lastEpochLossCount > 0 {
		o.FinalLoss = r.lastEpochLoss / float64(r.lastEpochLossCount)
	}
	for i := range test {
		o.MemberPreds[i] = make([]int32, len(voters))
		o.MemberLogits[i] = make([]float32, len(voters)*c)
	}
	shownIdx := 0
	for v, m := range voters {
		if m == shown {
			shownIdx = v
		}
	}
	// Voters predict on the run's spare cores (each writes its own column).
	r.s.each(len(voters), func(v int) {
		m := voters[v]
		r.eachLogits(m, test, func(i int, l []float32) {
			copy(o.MemberLogits[i][v*c:], l)
			o.MemberPreds[i][v] = metrics.Argmax(l)
		})
	})
	o.Preds = o.VotePreds(r.s.Strategy.Vote)
	for i := range test {
		o.Logits[i] = append([]float32(nil), o.MemberLogits[i][shownIdx*c:(shownIdx+1)*c]...)
	}
	o.Cost.InferencePasses = int64(len(test) * len(voters))
	return o
}

// eachLogits evaluates m on test in eval mode and calls f with every
// sample's index and logits (valid during the call). Batches keep the
// test set's order unless Setup.EvalByLength: sorting by length pads less,
// but a sample's logits then change in their last bits (GEMM shapes
// change), so it is an option of the experiment, and a run of its own.
func (r *run) eachLogits(m Model, test []Sample, f func(i int, logits []float32)) {
	c := m.Classes()
	var b Batch
	logits := make([]float32, r.s.EvalBatch*c)
	order := evalOrder(test, r.s.EvalByLength)
	idx := make([]int, 0, r.s.EvalBatch)
	for lo := 0; lo < len(test); lo += r.s.EvalBatch {
		idx = append(idx[:0], order[lo:min(lo+r.s.EvalBatch, len(test))]...)
		fillBatch(&b, test, idx, r.s.PadTo, false)
		m.Logits(&b, logits[:b.B*c])
		for row, i := range idx {
			f(i, logits[row*c:(row+1)*c])
		}
	}
}

// evalOrder is the order in which the samples are batched for prediction:
// theirs, or by token count (stable, so equal lengths keep their order).
func evalOrder(samples []Sample, byLength bool) []int {
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	if byLength {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(samples[a].IDs), len(samples[b].IDs)) })
	}
	return order
}

// soup replaces the outcome's shown model by the uniform average of the
// voters' weights (a model soup, Wortsman et al. 2022): its logits and
// argmax become Logits and Preds; the voters' stay as they are, so the vote
// is still read from MemberPreds and MemberLogits.
func (r *run) soup(o *Outcome, voters []Model, test []Sample) {
	soup := voters[0].Clone()
	srcs := make([][]*tensor.Param, len(voters))
	for i, m := range voters {
		srcs[i] = m.Params()
	}
	if err := tensor.MeanParams(soup.Params(), srcs...); err != nil {
		panic(fmt.Sprintf("strategy: soup: %v", err)) // clones of one model
	}
	r.eachLogits(soup, test, func(i int, l []float32) {
		o.Logits[i] = append(o.Logits[i][:0], l...)
		o.Preds[i] = metrics.Argmax(l)
	})
	o.Cost.InferencePasses += int64(len(test))
}

// VotePreds is the final prediction of every test sample under vote rule
// v: the majority of the voters' argmaxes (majority, or unset) or the argmax
// of their mean softmax (mean_probs), ties to the lowest class.
func (o *Outcome) VotePreds(v schedule.Vote) []int32 {
	preds := make([]int32, len(o.MemberPreds))
	counts, probs := make([]int, o.Classes), make([]float64, o.Classes)
	for i := range preds {
		if v == schedule.VoteMeanProbs {
			preds[i] = metrics.MeanProbsVote(o.MemberLogits[i], o.Classes, probs)
		} else {
			preds[i] = metrics.Vote(o.MemberPreds[i], counts)
		}
	}
	return preds
}

// MainPreds is the argmax of Logits for every test sample: the prediction of
// the main (or averaged) model alone.
func (o *Outcome) MainPreds() []int32 {
	preds := make([]int32, len(o.Logits))
	for i, l := range o.Logits {
		preds[i] = metrics.Argmax(l)
	}
	return preds
}

// Perturb adds noise to every parameter of ps: θ += mult·N(0,1)·scale, where
// scale is the tensor's standard deviation (unbiased, as torch.std) when
// scaled, and 1 otherwise. A 1-element tensor has no standard deviation
// (torch gives NaN, bug 10 of the reference): its scale is |θ| instead.
// Draws come from rng in parameter order, then element order.
func Perturb(ps []*tensor.Param, mult float64, scaled bool, rng *rand.Rand) {
	for _, p := range ps {
		scale := 1.0
		if scaled {
			scale = Std(p.Data)
		}
		f := mult * scale
		for i := range p.Data {
			p.Data[i] += float32(f * rng.NormFloat64())
		}
	}
}

// Pretrained are the parameters a model brings from pre-training (what
// NoisyTune perturbs): all but the classification head (output.*), which
// fine-tuning initialises, and the modules a PEFT method adds (a model under
// PEFT lists them with Adapters).
func Pretrained(m Model) []*tensor.Param {
	head := tensor.HasPrefix("output.")
	added := map[*tensor.Param]bool{}
	if a, ok := m.(interface{ Adapters() []*tensor.Param }); ok {
		for _, p := range a.Adapters() {
			added[p] = true
		}
	}
	return tensor.SelectParams(m.Params(), func(p *tensor.Param) bool { return !head(p) && !added[p] })
}

// PerturbUniform is NoisyTune's perturbation: θ += U(−w/2, w/2)·std(θ) for
// every tensor of ps with at least 2 values (a single value has no std), the
// std unbiased as torch.std. Draws come from rng in parameter order, then
// element order.
func PerturbUniform(ps []*tensor.Param, w float64, rng *rand.Rand) {
	for _, p := range ps {
		if len(p.Data) < 2 {
			continue
		}
		f := w * Std(p.Data)
		for i := range p.Data {
			p.Data[i] += float32((rng.Float64() - 0.5) * f)
		}
	}
}

// Std is the unbiased standard deviation of v, computed in float64; for a
// single value it is that value's magnitude (see Perturb).
func Std(v []float32) float64 {
	switch len(v) {
	case 0:
		return 0
	case 1:
		return math.Abs(float64(v[0]))
	}
	var mean float64
	for _, x := range v {
		mean += float64(x)
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		d := float64(x) - mean
		ss += d * d
	}
	return math.Sqrt(ss / float64(len(v)-1))
}
