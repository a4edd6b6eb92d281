package optim

import (
	"fmt"
	"math"

	"github.com/deni-project/deni/internal/registry"
)

// Schedule is a learning-rate schedule with the semantics of the Hugging Face
// helpers driven by torch.optim.lr_scheduler.LambdaLR, as the DENI reference
// code uses them.
//
// Off-by-one, exactly as in PyTorch: LambdaLR sets lr = base·λ(0) when it is
// created, and the training loop calls scheduler.step() after every
// optimizer.step(). So the k-th optimizer step (k = 1, 2, …) uses schedule
// index k-1: LR(0) for the first step, LR(N-1) for the last of N steps.
// Consequences worth knowing:
//
//   - linear without warm-up: the first step uses the full base LR and the
//     last uses base/N; the LR reaches 0 only at index N, which no step uses.
//   - every *_warmup schedule: the first step uses LR 0 (Adam still updates
//     its moments and step count, the parameters do not move), and index W
//     (the (W+1)-th step) is the first at the full base LR.
//
// A training loop therefore does: opt.Step(s.LR(k)) for k = 0, 1, …, N-1.
type Schedule struct {
	// Name is one of Schedules, the names accepted by NewSchedule.
	Name string
	// Base is the base learning rate (the optimizer's lr in torch).
	Base float64
	// Total is num_training_steps (N), Warmup is num_warmup_steps (W).
	Total, Warmup int
	// Cycles is the number of cosine waves (HF num_cycles, 0.5: a half
	// wave from Base down to 0). Used by cosine schedules only.
	Cycles float64
}

// Schedule names: the reference code's --scheduler values plus constant.
// "constant" is what the reference code does with --scheduler default (it
// creates no scheduler at all).
const (
	ScheduleConstant       = "constant"
	ScheduleConstantWarmup = "constant_warmup"
	ScheduleLinear         = "linear"
	ScheduleLinearWarmup   = "linear_warmup"
	ScheduleCosine         = "cosine"
	ScheduleCosineWarmup   = "cosine_warmup"
)

// WarmupFraction is the warm-up share of the *_warmup schedules (10%, as in
// the reference code).
const WarmupFraction = 0.1

// WarmupSteps returns the number of warm-up steps for total steps, with the
// reference code's rule int(num_steps * .1): the product in float64,
// truncated toward zero. (The HF Trainer's warmup_ratio rounds up instead;
// the DENI code calls the schedule helpers directly and truncates.)
// For example 20 → 2, 25 → 2, 1250 → 125, 9 → 0.
func WarmupSteps(total int, fraction float64) int {
	return int(float64(total) * fraction)
}

// ScheduleKind is a learning-rate schedule as it registers itself
// (Schedules): whether it warms up, and its multiplier after the warm-up.
type ScheduleKind struct {
	// Warmup: the schedule first ramps from 0 to the base rate over
	// WarmupSteps(total, WarmupFraction) steps (HF's *_with_warmup).
	Warmup bool
	// Decay is the multiplier λ(index) of the base rate at schedule index
	// index >= s.Warmup.
	Decay func(s Schedule, index int) float64
}

// Schedules is the registry of learning-rate schedules: the names that
// train.schedule (and a strategy's schedule override) accept.
var Schedules = registry.New[ScheduleKind]("LR schedule")

func init() {
	constant := func(Schedule, int) float64 { return 1 }
	linear := func(s Schedule, index int) float64 {
		return max(0, float64(s.Total-index)/float64(max(1, s.Total-s.Warmup)))
	}
	cosine := func(s Schedule, index int) float64 {
		progress := float64(index-s.Warmup) / float64(max(1, s.Total-s.Warmup))
		return max(0, 0.5*(1+math.Cos(math.Pi*s.Cycles*2*progress)))
	}
	for _, k := range []struct {
		name  string
		decay func(Schedule, int) float64
	}{{ScheduleLinear, linear}, {ScheduleCosine, cosine}, {ScheduleConstant, constant}} {
		Schedules.Register(k.name, ScheduleKind{Decay: k.decay})
		Schedules.Register(k.name+"_warmup", ScheduleKind{Warmup: true, Decay: k.decay})
	}
}

// NewSchedule returns the named schedule (one of Schedules) for base
// learning rate base and total optimizer steps: constant, constant_warmup,
// linear, linear_warmup, cosine, cosine_warmup; *_warmup schedules warm up
// for WarmupSteps(total, WarmupFraction) steps, the others for none.
func NewSchedule(name string, base float64, total int) (Schedule, error) {
	if total < 0 {
		return Schedule{}, fmt.Errorf("schedule %q: total steps %d must be >= 0", name, total)
	}
	if base < 0 || math.IsNaN(base) || math.IsInf(base, 0) {
		return Schedule{}, fmt.Errorf("schedule %q: learning rate %g must be finite and >= 0", name, base)
	}
	kind, err := Schedules.Lookup(name)
	if err != nil {
		return Schedule{}, err
	}
	s := Schedule{Name: name, Base: base, Total: total, Cycles: 0.5}
	if kind.Warmup {
		s.Warmup = WarmupSteps(total, WarmupFraction)
	}
	return s, nil
}

// Factor returns the multiplier λ(index) of the base LR at schedule index
// index (the HF lr_lambda of current_step = index). A schedule whose name is
// not registered is constant after its warm-up.
func (s Schedule) Factor(index int) float64 {
	if index < s.Warmup {
		// All HF warm-ups are the same ramp: current_step / max(1, W).
		return float64(index) / float64(max(1, s.Warmup))
	}
	kind, err := Schedules.Lookup(s.Name)
	if err != nil {
		return 1
	}
	return kind.Decay(s, index)
}

// LR returns the learning rate at schedule index index, base·λ(index): the
// rate of optimizer step index+1 (see the Schedule doc for the off-by-one).
func (s Schedule) LR(index int) float64 {
	return s.Base * s.Factor(index)
}
