package schedule

import "math"

// oracle is the state machine the trainer followed before strategies became
// composed plans (kept as the reference the plans are tested against): the state machine of one strategy over a training run of total
// steps with perEpoch steps per epoch. It reproduces the reference code's
// schedules, with its uninitialised interpolation counter set to 0 (bug 2).
type oracle struct {
	p               Params
	total, perEpoch int
	since           int  // steps (or epochs) since the last noise, creation or merge
	multi           bool // interpolation members are alive
	final           bool // the final (DE) ensemble exists
}

// New starts the schedule of p for a run of total steps.
func newOracle(p Params, total, perEpoch int) *oracle {
	return &oracle{p: p, total: total, perEpoch: perEpoch}
}

// at is Python's int(frac*N) for the fractions of the schedule.
func (s *oracle) at(frac float64) int { return int(math.Floor(frac * float64(s.total))) }

// PriorNoise is the noise multiplier applied to the weights once before
// training (prior_noise), or 0.
func (s *oracle) PriorNoise() float64 {
	if s.p.Name == PriorNoise {
		return math.Sqrt(s.p.NoiseVariance)
	}
	return 0
}

// Next returns the action of the given step (1-based); batch is the step's
// index within its epoch. Steps must be asked for in order.
func (s *oracle) Next(step, batch int) Action {
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
