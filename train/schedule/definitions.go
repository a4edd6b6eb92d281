package schedule

import "fmt"

// A definition is one strategy: the parameter keys it accepts, how its
// defaults differ from the common ones, and its plan, composed of the pieces
// in schedule.go. Adding a strategy is a definition here (and, for a new
// mechanism, a piece and its handling in the trainer).
type definition struct {
	name       string
	keys       []string      // besides name, label and trainKeys
	defaults   func(*Params) // nil: the common defaults
	population bool          // trains members (ensemble_size >= 2)
	votes      bool          // its members vote at test time
	encoder    bool          // acts on an encoder (a pooler to perturb, dropout to mix out)
	plan       func(Params) []piece
}

// Parameter key groups.
var (
	noiseKeys  = []string{"noise_variance", "noise_type", "noise_layer"}
	windowKeys = []string{"noise_start", "noise_end", "noise_after_steps"}
	memberKeys = []string{"ensemble_size", "member_lr", "member_optimizer", "member_dropout", "member_order"}
	interpKeys = []string{"interpolation_steps", "step_type"}
	trainKeys  = []string{"epochs", "optimizer", "schedule", "weight_decay", "lr"}
	ensembleOf = func(p *Params) { p.EnsembleSize = 10 }
	niSchedule = func(p *Params) { p.EnsembleSize, p.NoiseEnd, p.NoiseEvery = 10, 0.6, 125 }
	concatKeys = func(groups ...[]string) []string {
		var k []string
		for _, g := range groups {
			k = append(k, g...)
		}
		return k
	}
)

// definitions, in the order of the paper's tables.
var definitions = []definition{
	{name: Default, plan: func(Params) []piece { return []piece{nothing("plain fine-tuning")} }},
	{name: Ensemble, keys: []string{"ensemble_size", "vote", "combine", "shared_init"}, defaults: ensembleOf, population: true, votes: true,
		// The trainer runs EnsembleSize default runs with their own seeds.
		plan: func(Params) []piece { return []piece{nothing("independent default runs that vote")} }},
	{name: InputNoise, keys: concatKeys([]string{"noise_variance", "backbone_grad"}, windowKeys), encoder: true,
		plan: func(p Params) []piece { return []piece{periodicNoise(p, true)} }},
	{name: WeightNoise, keys: concatKeys(noiseKeys, windowKeys),
		plan: func(p Params) []piece { return []piece{periodicNoise(p, false)} }},
	{name: PriorNoise, keys: noiseKeys,
		plan: func(p Params) []piece { return []piece{priorNoise(p)} }},
	{name: SWA, keys: []string{"swa_start"},
		plan: func(p Params) []piece { return []piece{averageFrom(p.SWAStart, "SWA")} }},
	{name: EMA, keys: []string{"ema_decay"},
		plan: func(p Params) []piece { return []piece{averageFrom(0, "EMA")} }},
	{name: Mixout, keys: []string{"mixout_p"}, encoder: true,
		plan: func(Params) []piece { return []piece{nothing("mixout of the head in every step")} }},
	{name: BestPractices,
		// The reference passes weight_decay 0 through a condition that is never
		// true (bug 8 of §1.7); AdamW's own default is the intended value.
		defaults: func(p *Params) {
			wd := 0.01
			p.Epochs, p.Optimizer, p.Schedule, p.WeightDecay = 20, "adamw", "linear_warmup", &wd
		},
		plan: func(Params) []piece { return []piece{nothing("20 epochs of AdamW with warm-up")} }},
	{name: DelayedEnsemble, keys: concatKeys(noiseKeys, memberKeys, []string{"start_ensemble", "vote"}),
		defaults: ensembleOf, population: true, votes: true,
		plan: func(p Params) []piece { return []piece{delayedEnsemble(p)} }},
	{name: NoisyInterpolation, keys: concatKeys(noiseKeys, memberKeys, windowKeys, interpKeys),
		defaults: niSchedule, population: true,
		plan: func(p Params) []piece { return []piece{noisyInterpolation(p)} }},
	{name: DENI, keys: concatKeys(noiseKeys, memberKeys, windowKeys, interpKeys, []string{"start_ensemble", "vote"}),
		defaults: niSchedule, population: true, votes: true,
		plan: func(p Params) []piece { return []piece{noisyInterpolation(p), delayedEnsemble(p)} }},

	// The field's other answers to instability (issue 21), after the paper's.
	{name: NoisyTune, keys: []string{"noisytune_lambda"},
		// Wu et al., ACL 2022: λ = 0.15.
		defaults: func(p *Params) { p.NoisyTuneLambda = 0.15 },
		plan:     func(p Params) []piece { return []piece{noisyTune(p)} }},
	{name: EarlyDiscard, keys: []string{"candidates", "discard_at", "validation_fraction"},
		// Dodge et al. 2020: start many, keep the best early. 5 candidates,
		// decided after 20% of training on 10% of the labelled set.
		defaults: func(p *Params) { p.Candidates, p.DiscardAt, p.ValidationFraction = 5, 0.2, 0.1 },
		// The trainer runs the candidates; the survivor follows the default plan.
		plan: func(p Params) []piece {
			return []piece{nothing(fmt.Sprintf("%d candidates, the best on validation at %g·N continues", p.Candidates, p.DiscardAt))}
		}},
}

// lookup returns the definition of name; name must be Known.
func lookup(name string) definition {
	for _, d := range definitions {
		if d.name == name {
			return d
		}
	}
	panic("schedule: unknown strategy " + name)
}
