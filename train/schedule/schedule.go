package schedule

import "math"

// Action says what a strategy does at one optimizer step. The trainer asks
// for the action of every step, in order, before the step's update.
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

// Schedule is the state machine of one strategy over a training run of total
// steps with perEpoch steps per epoch. It reproduces the reference code's
// schedules, with its uninitialised interpolation counter set to 0 (bug 2).
type Schedule struct {
	p               Params
	total, perEpoch int
	since           int  // steps (or epochs) since the last noise, creation or merge
	multi           bool // interpolation members are alive
	final           bool // the final (DE) ensemble exists
}

// New starts the schedule of p for a run of total steps.
func New(p Params, total, perEpoch int) *Schedule {
	return &Schedule{p: p, total: total, perEpoch: perEpoch}
}

// at is Python's int(frac*N) for the fractions of the schedule.
func (s *Schedule) at(frac float64) int { return int(math.Floor(frac * float64(s.total))) }

// PriorNoise is the noise multiplier applied to the weights once before
// training (prior_noise), or 0.
func (s *Schedule) PriorNoise() float64 {
	if s.p.Name == PriorNoise {
		return math.Sqrt(s.p.NoiseVariance)
	}
	return 0
}

// Next returns the action of the given step (1-based); batch is the step's
// index within its epoch. Steps must be asked for in order.
func (s *Schedule) Next(step, batch int) Action {
	a := Action{Step: step}
	p := s.p
	inWindow := s.at(p.NoiseStart) <= step && step < s.at(p.NoiseEnd)
	switch p.Name {
	case WeightNoise, InputNoise:
		// Reference: noise fires when the window is open and more than
		// noise_after_steps quiet steps have passed; so every 27th step for 25.
		if inWindow && s.since > p.NoiseEvery {
			s.since = 0
			if p.Name == WeightNoise {
				a.WeightNoise = math.Sqrt(p.NoiseVariance / float64(step))
			} else {
				a.InputNoise = math.Sqrt(p.NoiseVariance)
			}
		} else {
			s.since++
		}
	case SWA:
		a.Average = step >= s.at(p.SWAStart)
	case EMA:
		a.Average = true
	case DelayedEnsemble:
		if !s.final && step >= s.at(p.StartEnsemble) {
			s.final = true
			a.CreateMembers, a.FinalEnsemble, a.MemberNoise = true, true, math.Sqrt(p.NoiseVariance)
		}
	case NoisyInterpolation, DENI:
		if (inWindow || s.multi) && (p.StepType == "step" || batch == 0) {
			switch {
			case !s.multi && s.since >= p.NoiseEvery:
				s.since, s.multi = 0, true
				a.CreateMembers, a.MemberNoise = true, math.Sqrt(p.NoiseVariance/float64(step))
			case s.multi && s.since >= p.InterpolationSteps:
				s.since, s.multi = 0, false
				a.Merge = true
			}
		} else if p.Name == DENI && !s.multi && !s.final && step >= s.at(p.StartEnsemble) {
			s.final = true
			a.CreateMembers, a.FinalEnsemble, a.MemberNoise = true, true, math.Sqrt(p.NoiseVariance)
		}
		if p.StepType == "step" || batch == s.perEpoch-1 {
			s.since++
		}
	}
	return a
}

// Cost is the analytic training cost of a strategy, in the paper's unit: one
// optimizer step of one model.
type Cost struct {
	Steps          int // optimizer steps of the main model
	OptimizerSteps int // summed over every model
	Events         []Action
}

// Simulate runs the schedule of p over total steps without training and
// returns its events (the steps with a non-trivial action) and its cost.
// Ensemble is EnsembleSize independent runs of the default schedule.
func Simulate(p Params, total, perEpoch int) Cost {
	c := Cost{Steps: total}
	if p.Name == Ensemble {
		c.OptimizerSteps = p.EnsembleSize * total
		return c
	}
	s := New(p, total, perEpoch)
	members := 0
	for step := 1; step <= total; step++ {
		a := s.Next(step, (step-1)%perEpoch)
		if a.Merge {
			members = 0
		}
		if a.CreateMembers {
			members = p.EnsembleSize - 1
		}
		if a.CreateMembers || a.Merge || a.WeightNoise > 0 || a.InputNoise > 0 || (a.Average && (p.Name == SWA && step == s.at(p.SWAStart))) {
			c.Events = append(c.Events, a)
		}
		c.OptimizerSteps += 1 + members
	}
	return c
}
