package schedule

import "slices"

// A preset is one of deni's own recommendations, from its studies
// (docs/results/deni-study.md): a named mapping of an existing strategy's
// parameters, not a strategy of its own paper. Its runs are the mapping's
// with the preset's name as label (the same parameters, so the same run IDs
// as the mapping spelled out), and an entry may override any key of its base:
// {name: deni_diverse, vote: majority}.
type preset struct {
	name string        // the label its runs carry
	base string        // the strategy whose parameters it sets
	set  func(*Params) // the settings, over the base's defaults
}

// diverseMembers gives a population's members their own batches and dropout
// and noise on every trainable weight, and votes by mean probabilities: the
// diversity options of the DENI study (its stage 1 screen).
func diverseMembers(p *Params) {
	p.MemberOrder, p.MemberDropout, p.NoiseLayer, p.Vote = OrderIndependent, "independent", "trainable", VoteMeanProbs
}

// presets, in the order of the DENI study's answer.
var presets = []preset{
	// Half the 10-model ensemble, voting by mean probabilities: the study's one
	// narrower spread at <= 50% of the ensemble's steps (stage 4 and its fresh
	// confirmation). Not a DENI variant: no DENI variant narrowed the spread.
	{name: "ensemble5", base: Ensemble, set: func(p *Params) { p.EnsembleSize, p.Vote = 5, VoteMeanProbs }},
	// The study's best mean and worst run (stage 2); not a narrower spread.
	{name: "deni_diverse", base: DENI, set: diverseMembers},
	// 4 diverse members branch at N/2, 30% of the ensemble's steps (stage 3).
	{name: "de_half", base: DelayedEnsemble,
		set: func(p *Params) { diverseMembers(p); p.StartEnsemble, p.EnsembleSize = 0.5, 5 }},
}

// lookupPreset returns the preset called name.
func lookupPreset(name string) (preset, bool) {
	i := slices.IndexFunc(presets, func(p preset) bool { return p.name == name })
	if i < 0 {
		return preset{}, false
	}
	return presets[i], true
}

// presetNames lists the presets, for error messages.
func presetNames() []string {
	n := make([]string, len(presets))
	for i, p := range presets {
		n[i] = p.name
	}
	return n
}
