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
	// fullTuning says why the strategy cannot run under a PEFT method (""
	// when it can); layers checks the encoder's layers it acts on. nil: no
	// such limit.
	fullTuning func(Params) string
	layers     func(p Params, layers int, shared bool) error
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
	{name: Mixout, keys: []string{"mixout_p", "mixout_layers"}, encoder: true,
		plan: func(p Params) []piece {
			if p.MixoutLayers == MixoutAll {
				return []piece{nothing("mixout of every Linear in every step")}
			}
			return []piece{nothing("mixout of the head in every step")}
		},
		fullTuning: func(p Params) string {
			if p.MixoutLayers == MixoutAll {
				return "mixout_layers: all mixes the encoder's weights, which a PEFT method freezes (they equal their targets)"
			}
			return ""
		}},
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
	{name: R3F, keys: []string{"r3f_sigma", "r3f_noise", "r3f_lambda"}, encoder: true,
		// Aghajanyan et al., ICLR 2021, and fairseq's sentence_prediction_r3f:
		// σ (--eps) 1e-5 and λ (--r3f-lambda) 1.0; normal noise (fairseq's
		// --noise-type defaults to uniform; the paper searches both).
		defaults: func(p *Params) { p.R3FSigma, p.R3FNoise, p.R3FLambda = 1e-5, R3FNormal, 1 },
		plan:     func(p Params) []piece { return []piece{r3f(p)} }},
	{name: EarlyDiscard, keys: []string{"candidates", "discard_at", "validation_fraction"},
		// Dodge et al. 2020: start many, keep the best early. 5 candidates,
		// decided after 20% of training on 10% of the labelled set.
		defaults: func(p *Params) { p.Candidates, p.DiscardAt, p.ValidationFraction = 5, 0.2, 0.1 },
		// The trainer runs the candidates; the survivor follows the default plan.
		plan: func(p Params) []piece {
			return []piece{nothing(fmt.Sprintf("%d candidates, the best on validation at %g·N continues", p.Candidates, p.DiscardAt))}
		}},
	{name: Reinit, keys: []string{"reinit_layers"}, encoder: true,
		// Zhang et al., ICLR 2021: the pooler and the top L layers, L a
		// per-task choice in the paper; 2 by default here (issue 21).
		defaults: func(p *Params) { p.ReinitLayers = 2 },
		plan:     func(p Params) []piece { return []piece{reinit(p)} },
		fullTuning: func(Params) string {
			return "the re-initialised layers would stay frozen at random values under a PEFT method"
		},
		layers: func(p Params, layers int, shared bool) error {
			switch {
			case shared && p.ReinitLayers > 0:
				return fmt.Errorf("strategy %s: reinit_layers %d: the model's layers share their weights across depths (ALBERT), so its top layers cannot be re-initialised alone; use reinit_layers: 0 (the pooler only)", p.Label, p.ReinitLayers)
			case p.ReinitLayers > layers:
				return fmt.Errorf("strategy %s: reinit_layers %d exceeds the model's %d encoder layers", p.Label, p.ReinitLayers, layers)
			}
			return nil
		}},
	{name: LLRD, keys: []string{"llrd"}, encoder: true,
		// Sun et al. 2019 (How to Fine-Tune BERT for Text Classification): 0.95.
		defaults: func(p *Params) { p.LLRD = 0.95 },
		plan:     func(p Params) []piece { return []piece{layerwiseLR(p)} }},
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
