package schedule

import (
	"fmt"
	"math"
	"strings"
)

// Action says what a strategy does at one optimizer step. The trainer asks
// the plan for the action of every step, in order, before the step's update.
type Action struct {
	Step int // 1-based, as the reference counts

	// Before the update.
	CreateMembers bool    // copy the main model EnsembleSize-1 times and perturb the copies
	FinalEnsemble bool    // the copies created now are kept to the end and vote (DE)
	MemberNoise   float64 // noise multiplier of the copies: sqrt(σ²/step) for NI, sqrt(σ²) for DE
	Merge         bool    // set the main model to the mean of itself and the copies, drop the copies
	WeightNoise   float64 // >0: perturb the main model's weights, θ += m·N(0,1)·scale(θ)
	InputNoise    float64 // >0: add m·N(0,1) to the pooled output in this step's forward pass

	// After the update.
	Average bool // fold the main model into the SWA/EMA copy
}

// Run is the shape of a training run that a plan is made for.
type Run struct {
	Total, PerEpoch int // optimizer steps in all and per epoch
}

// at is Python's int(frac*N): the step where a fraction of training ends.
func (r Run) at(frac float64) int { return int(math.Floor(frac * float64(r.Total))) }

// Plan is what a strategy does over one run: the events at their steps, a
// noise applied once before training, and the step from which the main model
// is averaged after every update. Training and Simulate follow the same plan.
type Plan struct {
	Run
	PriorNoise   float64  // >0: perturb the main model once before training (prior_noise)
	UniformNoise float64  // >0: NoisyTune's λ: θ += U(−λ/2, λ/2)·std(θ) for every pre-trained matrix, once before training
	Reinit       bool     // re-initialise the pooler and the top ReinitLayers encoder layers before training (reinit)
	ReinitLayers int      // 0: the pooler only
	LRDecay      float64  // >0: a parameter d layers below the top learns at rate × LRDecay^d (llrd)
	R3F          *R3FStep // R3F's second forward pass in every step (nil: none)
	AverageFrom  int      // >0: fold the main model into the SWA/EMA copy after every step from this one
	Events       []Action // at most one per step, in step order
	pieces       []string // what the plan was made of, for String
}

// At returns the action of step (1-based).
func (p *Plan) At(step int) Action {
	a := Action{Step: step}
	for _, e := range p.Events {
		if e.Step == step {
			a = e
			break
		}
	}
	a.Average = p.AverageFrom > 0 && step >= p.AverageFrom
	return a
}

// String prints the plan as its definition: the pieces, then every event.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "N = %d steps (%d per epoch): %s\n", p.Total, p.PerEpoch, strings.Join(p.pieces, " then "))
	if p.PriorNoise > 0 {
		fmt.Fprintf(&b, "  before training: noise %.4g on the main model\n", p.PriorNoise)
	}
	if p.UniformNoise > 0 {
		fmt.Fprintf(&b, "  before training: uniform noise of width %.4g × std on every pre-trained matrix\n", p.UniformNoise)
	}
	if p.Reinit {
		fmt.Fprintf(&b, "  before training: the pooler and the top %d encoder layers drawn afresh from model_init\n", p.ReinitLayers)
	}
	if p.LRDecay > 0 {
		fmt.Fprintf(&b, "  every step: rate × %g^depth (head and pooler 0, top layer 1, …, embeddings lowest)\n", p.LRDecay)
	}
	if r := p.R3F; r != nil {
		fmt.Fprintf(&b, "  every step: a second forward pass with %s noise of scale %g on the word embeddings; loss CE + %g · symmetric KL\n", r.noise(), r.Sigma, r.Lambda)
	}
	for _, e := range p.Events {
		fmt.Fprintf(&b, "  step %4d: ", e.Step)
		switch {
		case e.CreateMembers && e.FinalEnsemble:
			fmt.Fprintf(&b, "create the final ensemble, members noised by %.4g\n", e.MemberNoise)
		case e.CreateMembers:
			fmt.Fprintf(&b, "create members, noised by %.4g\n", e.MemberNoise)
		case e.Merge:
			b.WriteString("merge the members into the main model\n")
		case e.WeightNoise > 0:
			fmt.Fprintf(&b, "noise %.4g on the main model's weights\n", e.WeightNoise)
		case e.InputNoise > 0:
			fmt.Fprintf(&b, "noise %.4g on the pooled input of this step\n", e.InputNoise)
		}
	}
	if p.AverageFrom > 0 {
		fmt.Fprintf(&b, "  steps %d-%d: average the main model after the update\n", p.AverageFrom, p.Total)
	}
	return b.String()
}

// R3FStep is R3F's regulariser in every step (Aghajanyan et al. 2021): a
// second forward pass with noise on the word embeddings, and a symmetric KL
// term between the predictions of the clean and the noisy pass.
type R3FStep struct {
	Sigma   float64 // the normal's std, or the uniform's half-width
	Uniform bool    // U(−σ, σ) instead of N(0, σ²)
	Lambda  float64 // the weight of the symmetric KL term
}

func (r *R3FStep) noise() string {
	if r.Uniform {
		return "U(−σ, σ)"
	}
	return "N(0, σ²)"
}

// A piece adds one mechanism of a strategy to a plan.
type piece func(p *Plan)

// NewPlan builds the plan of strategy p for run r from its definition's pieces.
func NewPlan(p Params, r Run) *Plan {
	plan := &Plan{Run: r}
	for _, add := range lookup(p.Name).plan(p) {
		add(plan)
	}
	return plan
}

// add inserts e at its step; a step holds one event, so a piece that acts at
// an occupied step looks for the next free one itself.
func (p *Plan) add(e Action) {
	i := len(p.Events)
	for i > 0 && p.Events[i-1].Step > e.Step {
		i--
	}
	p.Events = append(p.Events, Action{})
	copy(p.Events[i+1:], p.Events[i:])
	p.Events[i] = e
}

// lastStep is the step of the last event, or 0.
func (p *Plan) lastStep() int {
	if len(p.Events) == 0 {
		return 0
	}
	return p.Events[len(p.Events)-1].Step
}

// setting is a piece that only sets fields of the plan (set); format and
// args name it.
func setting(set func(p *Plan), format string, args ...any) piece {
	return func(p *Plan) {
		set(p)
		p.pieces = append(p.pieces, fmt.Sprintf(format, args...))
	}
}

// priorNoise perturbs the main model once before training by sqrt(σ²).
func priorNoise(s Params) piece {
	return setting(func(p *Plan) { p.PriorNoise = math.Sqrt(s.NoiseVariance) }, "prior noise √%g", s.NoiseVariance)
}

// noisyTune perturbs every pre-trained matrix once before training with
// uniform noise U(−λ/2, λ/2) × the matrix's std (NoisyTune, Wu et al. 2022).
func noisyTune(s Params) piece {
	return setting(func(p *Plan) { p.UniformNoise = s.NoisyTuneLambda }, "NoisyTune λ %g", s.NoisyTuneLambda)
}

// reinit re-initialises the pooler and the top reinit_layers encoder layers
// with the model's initialiser before training (Zhang et al. 2021).
func reinit(s Params) piece {
	return setting(func(p *Plan) { p.Reinit, p.ReinitLayers = true, s.ReinitLayers },
		"re-initialise the pooler and the top %d layers", s.ReinitLayers)
}

// layerwiseLR scales every parameter's rate by llrd^depth from the top
// (layer-wise learning-rate decay, Howard & Ruder 2018, Sun et al. 2019).
func layerwiseLR(s Params) piece {
	return setting(func(p *Plan) { p.LRDecay = s.LLRD }, "layer-wise LR decay %g", s.LLRD)
}

// r3f adds R3F's noisy second pass and its symmetric KL term to every step.
func r3f(s Params) piece {
	return setting(func(p *Plan) {
		p.R3F = &R3FStep{Sigma: s.R3FSigma, Uniform: s.R3FNoise == R3FUniform, Lambda: s.R3FLambda}
	}, "R3F (%s noise σ %g, λ %g)", s.R3FNoise, s.R3FSigma, s.R3FLambda)
}

// periodicNoise perturbs the main model's weights (sqrt(σ²/step)) or one
// step's pooled input (sqrt(σ²)) within [noise_start, noise_end)·N. As the
// reference, noise fires once more than noise_after_steps quiet steps have
// passed since the run began or the last noise: every (k+2)-th step for k.
func periodicNoise(s Params, onInput bool) piece {
	return func(p *Plan) {
		lo, hi := p.at(s.NoiseStart), p.at(s.NoiseEnd)
		for step := max(lo, s.NoiseEvery+2); step < hi; step += s.NoiseEvery + 2 {
			a := Action{Step: step}
			if onInput {
				a.InputNoise = math.Sqrt(s.NoiseVariance)
			} else {
				a.WeightNoise = math.Sqrt(s.NoiseVariance / float64(step))
			}
			p.add(a)
		}
		what := "weight"
		if onInput {
			what = "input"
		}
		p.pieces = append(p.pieces, fmt.Sprintf("%s noise in [%g·N, %g·N) every %d steps", what, s.NoiseStart, s.NoiseEnd, s.NoiseEvery+2))
	}
}

// noisyInterpolation: within [noise_start, noise_end)·N, once
// noise_after_steps units have passed since the run began or the last merge,
// copy the main model into members noised by sqrt(σ²/step); merge them back
// interpolation_steps units later. A unit is a step, or an epoch with
// step_type epoch (then everything happens at epoch starts). An
// interpolation still open at the end is merged by the trainer.
func noisyInterpolation(s Params) piece {
	return func(p *Plan) {
		unit, first := 1, 1 // unit k is step first + k·unit
		if s.StepType == "epoch" {
			unit = p.PerEpoch
		}
		step := func(k int) int { return first + k*unit }
		lo, hi := p.at(s.NoiseStart), p.at(s.NoiseEnd)
		for k := s.NoiseEvery; step(k) <= p.Total; {
			if step(k) < lo {
				k = max(k, (lo-first+unit-1)/unit)
				continue
			}
			if step(k) >= hi {
				break
			}
			c := step(k)
			p.add(Action{Step: c, CreateMembers: true, MemberNoise: math.Sqrt(s.NoiseVariance / float64(c))})
			k += s.InterpolationSteps
			if step(k) > p.Total {
				break
			}
			p.add(Action{Step: step(k), Merge: true})
			k += max(s.NoiseEvery, 1) // the merge's own unit cannot create
		}
		p.pieces = append(p.pieces, fmt.Sprintf("noisy interpolation in [%g·N, %g·N): members every %d %ss for %d", s.NoiseStart, s.NoiseEnd, s.NoiseEvery, s.StepType, s.InterpolationSteps))
	}
}

// delayedEnsemble: at start_ensemble·N, once no interpolation is open, copy
// the main model into members noised by sqrt(σ²) that train to the end and
// vote with it.
func delayedEnsemble(s Params) piece {
	return func(p *Plan) {
		step := max(p.at(s.StartEnsemble), 1)
		if n := len(p.Events); n > 0 && p.Events[n-1].CreateMembers {
			return // an interpolation stays open to the end: no final ensemble
		}
		step = max(step, p.lastStep()+1)
		if step <= p.Total {
			p.add(Action{Step: step, CreateMembers: true, FinalEnsemble: true, MemberNoise: math.Sqrt(s.NoiseVariance)})
		}
		p.pieces = append(p.pieces, fmt.Sprintf("delayed ensemble at %g·N", s.StartEnsemble))
	}
}

// averageFrom folds the main model into an average after every step from
// frac·N on (SWA), or from the first step (EMA, frac 0).
func averageFrom(frac float64, name string) piece {
	return setting(func(p *Plan) { p.AverageFrom = max(p.at(frac), 1) }, "%s from %g·N", name, frac)
}

// nothing is the plan of strategies that act inside the training step
// (mixout), on the optimizer settings (best practices) or not at all.
func nothing(what string) piece {
	return func(p *Plan) { p.pieces = append(p.pieces, what) }
}

// DiscardStep is the step after which early discarding keeps one candidate:
// discard_at·N, at least 1.
func DiscardStep(p Params, total int) int { return max(Run{Total: total}.at(p.DiscardAt), 1) }

// Cost is the analytic training cost of a strategy, in the paper's unit: one
// optimizer step of one model.
type Cost struct {
	Steps          int // optimizer steps of the main model
	OptimizerSteps int // summed over every model
	Events         []Action
}

// Simulate follows the plan of p over total steps without training and
// returns its events (the steps with a non-trivial action) and its cost.
// Ensemble is EnsembleSize independent runs of the default plan.
func Simulate(p Params, total, perEpoch int) Cost {
	c := Cost{Steps: total}
	switch p.Name {
	case Ensemble:
		c.OptimizerSteps = p.EnsembleSize * total
		return c
	case EarlyDiscard:
		d := DiscardStep(p, total)
		c.OptimizerSteps = p.Candidates*d + total - d
		return c
	}
	plan := NewPlan(p, Run{Total: total, PerEpoch: perEpoch})
	members := 0
	for step := 1; step <= total; step++ {
		a := plan.At(step)
		if a.Merge {
			members = 0
		}
		if a.CreateMembers {
			members = p.EnsembleSize - 1
		}
		if a.CreateMembers || a.Merge || a.WeightNoise > 0 || a.InputNoise > 0 || (p.Name == SWA && step == plan.at(p.SWAStart)) {
			c.Events = append(c.Events, a)
		}
		c.OptimizerSteps += 1 + members
	}
	return c
}
