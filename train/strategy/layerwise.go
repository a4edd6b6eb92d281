package strategy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/schedule"
)

// ReinitStream is the stream reinit draws the re-initialised layers from: a
// named child of the run's model_init seed (the factor new heads come
// from), so that the head starts as in the default run and the new layers
// do not depend on how many draws the model's constructor made (vocabulary
// size, tuning method).
func ReinitStream(modelInit uint64) *rand.Rand {
	return seeds.New(seeds.Derive(modelInit, "reinit", 0))
}

// LRScales are the learning-rate factors of layer-wise rate decay: decay^d
// for a parameter at depth d from the top (Layered.Depths).
func LRScales(depths []int, decay float64) []float64 {
	s := make([]float64, len(depths))
	for i, d := range depths {
		s[i] = math.Pow(decay, float64(d))
	}
	return s
}

// mixesAll reports whether the strategy mixes out every Linear.
func mixesAll(p schedule.Params) bool {
	return p.Name == schedule.Mixout && p.MixoutLayers == schedule.MixoutAll
}

// layerwise sets up what the layer-wise strategies do before training, on
// the run's freshly built main model: reinit draws the pooler and the top
// layers afresh, llrd gives the optimizer its per-parameter rates, and
// mixout of every Linear keeps the weights' values as its targets.
func (r *run) layerwise() error {
	p := r.s.Strategy
	if !r.plan.Reinit && r.plan.LRDecay == 0 && !mixesAll(p) {
		return nil
	}
	m, ok := r.main.m.(Layered)
	if !ok {
		return fmt.Errorf("strategy %s needs a model with encoder layers; this one has none", p.Label)
	}
	if r.plan.Reinit {
		if err := m.Reinit(r.plan.ReinitLayers, ReinitStream(r.seeds.ModelInit)); err != nil {
			return fmt.Errorf("strategy %s: %w", p.Label, err)
		}
	}
	if d := r.plan.LRDecay; d > 0 {
		if err := r.main.opt.ScaleLR(LRScales(m.Depths(), d)); err != nil {
			return fmt.Errorf("strategy %s: %w", p.Label, err)
		}
	}
	if mixesAll(p) {
		ps := m.Params()
		targets := make([][]float32, len(ps))
		for _, i := range m.Linears() {
			targets[i] = slices.Clone(ps[i].Data)
		}
		r.mixout.All, r.mixout.Targets = true, targets
		r.mixout.Target = nil // the head's is in Targets
	}
	return nil
}
