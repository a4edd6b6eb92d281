package strategy

import "sync"

// progress counts the training steps of one Train call for Setup.Progress.
// Every model's trainStep counts once, under a lock, so the callback sees
// the counts in order and never concurrently, even when the models of an
// ensemble or the candidates of early_discard train on several goroutines.
// It draws no random number and changes no state of the training.
type progress struct {
	mu          sync.Mutex
	f           func(step, total int, loss float32)
	done, total int
}

// newProgress returns the counter behind f for a run whose models train
// total steps in all; nil (count nothing) when f is nil.
func newProgress(f func(step, total int, loss float32), total int) *progress {
	if f == nil {
		return nil
	}
	return &progress{f: f, total: total}
}

// step counts one training step; loss is the training loss of the step's
// (main) model on its batch. It does not allocate.
func (p *progress) step(loss float32) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.done++
	p.total = max(p.total, p.done) // a strategy that trains more than plannedSteps counted
	p.f(p.done, p.total, loss)
	p.mu.Unlock()
}

// plannedSteps is the number of training steps a run's models take in all
// (the total that Progress reports): the main model's steps for the
// strategies of one population (its members step alongside, in the same
// step), every model's steps for those that train independent models one
// after another or side by side (ensemble: size × N; early_discard: every
// candidate to the discard step, then the survivor to N).
func plannedSteps(s Setup, nTrain int) int {
	n := (nTrain + s.BatchSize - 1) / s.BatchSize * s.Epochs
	if sep, ok := separateModels[s.Strategy.Name]; ok {
		return sep.planned(s.Strategy, n)
	}
	return n
}

// memory is the population noteMemory last measured.
type memory struct {
	seen    bool
	members int
	avg     bool
}

// noteMemory raises the run's Cost.ModelBytes to what its live models hold
// now, when the population changed since the last call (members created or
// merged, the SWA/EMA copy made): a comparison per step, a count of the
// buffers a few times per run.
func (r *run) noteMemory() {
	now := memory{seen: true, members: len(r.members), avg: r.avg != nil}
	if r.mem == now {
		return
	}
	r.mem = now
	r.measureMemory()
}

// measureMemory raises Cost.ModelBytes to what the live models hold now.
// Packed optimizer state grows while a population trains (an embedding row
// gets its moments when first used), so it is measured again just before a
// population ends: before members merge and when training ends.
func (r *run) measureMemory() {
	ts := append([]*trainee{r.main}, r.members...)
	var models []Model
	if r.avg != nil {
		models = append(models, r.avg)
	}
	r.cost.ModelBytes = max(r.cost.ModelBytes, liveBytes(ts, models)+r.mixout.bytes())
}

// bytes is what mixout keeps beside the model: the values it mixes towards
// (every Linear's pre-trained weight under mixout_layers: all).
func (m *Mixout) bytes() int64 {
	if m == nil {
		return 0
	}
	n := int64(len(m.Target))
	for _, t := range m.Targets {
		n += int64(len(t))
	}
	return 4 * n
}

// liveBytes is the memory that the trainees (model and optimizer) and the
// further models hold in parameter values, gradients and optimizer state,
// counted from their allocated buffers: 4 bytes a float32, a buffer shared
// by several models (a frozen table) once. Optimizer state is what the
// optimizer reports (StateBytes; 0 for one that does not).
func liveBytes(ts []*trainee, models []Model) int64 {
	seen := map[*float32]bool{}
	var n int64
	buf := func(b []float32) {
		if len(b) > 0 && !seen[&b[0]] {
			seen[&b[0]] = true
			n += 4 * int64(len(b))
		}
	}
	model := func(m Model) {
		for _, p := range m.Params() {
			buf(p.Data)
			buf(p.Grad)
		}
	}
	for _, t := range ts {
		model(t.m)
		if s, ok := t.opt.(interface{ StateBytes() int64 }); ok {
			n += s.StateBytes()
		}
	}
	for _, m := range models {
		model(m)
	}
	return n
}
