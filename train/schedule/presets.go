package schedule

import "slices"

// A Preset is one of deni's own recommendations, from its studies
// (docs/results/deni-study.md): a named mapping of an existing strategy's
// parameters, not a strategy of its own paper. Its runs are the mapping's
// with the preset's name as label (the same parameters, so the same run IDs
// as the mapping spelled out), and an entry may override any key of its base:
// {name: deni_diverse, vote: majority}.
type Preset struct {
	Name string        // the label its runs carry
	Base string        // the strategy whose parameters it sets
	set  func(*Params) // the settings, over the base's defaults
}

// diverseMembers gives a population's members their own batches and dropout
// and noise on every trainable weight, and votes by mean probabilities: the
// diversity options of the DENI study (its stage 1 screen).
func diverseMembers(p *Params) {
	p.MemberOrder, p.MemberDropout, p.NoiseLayer, p.Vote = OrderIndependent, "independent", "trainable", VoteMeanProbs
}

// Presets, in the order of the DENI study's answer.
var Presets = []Preset{
	// The study's best mean and worst run (stage 2); not a narrower spread.
	{Name: "deni_diverse", Base: DENI, set: diverseMembers},
	// 4 diverse members branch at N/2, 30% of the ensemble's steps (stage 3).
	{Name: "de_half", Base: DelayedEnsemble,
		set: func(p *Params) { diverseMembers(p); p.StartEnsemble, p.EnsembleSize = 0.5, 5 }},
}

// PresetNames lists the presets, in order.
var PresetNames = func() []string {
	n := make([]string, len(Presets))
	for i, p := range Presets {
		n[i] = p.Name
	}
	return n
}()

// preset returns the preset called name.
func preset(name string) (Preset, bool) {
	i := slices.IndexFunc(Presets, func(p Preset) bool { return p.Name == name })
	if i < 0 {
		return Preset{}, false
	}
	return Presets[i], true
}
