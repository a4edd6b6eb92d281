package stages

import (
	"fmt"

	"github.com/deni-project/deni/pipeline"
	"github.com/deni-project/deni/train/models"
)

// checkStrategies reports a strategy that cannot run with one of the
// experiment's models or tuning methods, before any run starts: one that
// acts on an encoder with a model without one (glove-mean has no pooler to
// perturb, no dropout to mix out, no layers), one that re-initialises or
// mixes weights a PEFT method freezes, and one whose layers the model
// does not have (reinit of more layers than it has, or of ALBERT's shared
// ones).
func checkStrategies(e *pipeline.Experiment) error {
	for _, m := range e.Models {
		layers, shared, ok := models.EncoderLayers(m)
		for _, st := range e.Strategies {
			if !ok && st.NeedsEncoder() {
				return fmt.Errorf("strategy %s needs an encoder; %s has none", st.Name, m)
			}
			if ok {
				if err := st.CheckLayers(layers, shared); err != nil {
					return fmt.Errorf("%w (model %s)", err, m)
				}
			}
		}
	}
	for _, tn := range e.Tuning {
		if t, err := models.Tunings.Lookup(tn); err != nil || !t.Adapts {
			continue
		}
		for _, st := range e.Strategies {
			if why := st.NeedsFullTuning(); why != "" {
				return fmt.Errorf("strategy %s needs tuning full, not %s: %s", st.Label, tn, why)
			}
		}
	}
	return nil
}
