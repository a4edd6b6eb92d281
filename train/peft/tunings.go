package peft

import (
	"math/rand/v2"

	"github.com/deni-project/deni/internal/registry"
	"github.com/deni-project/deni/train/nn"
)

// Tuning is a tuning method as it registers itself (Tunings): what it
// needs of a model and its constructor. A method takes no settings in the
// experiment file: its configuration is the reference code's
// (DefaultConfig), and its name alone enters run IDs.
type Tuning struct {
	// Adapts reports whether the method freezes the backbone and adds
	// modules to the encoder (every method but full): it needs a model with
	// encoder layers, and noise with noise_layer auto perturbs every
	// trainable parameter rather than the head.
	Adapts bool
	// Apply tunes a freshly built classifier, drawing the method's initial
	// values from init after c's own parameters.
	Apply func(c nn.Classifier, init *rand.Rand) (nn.Classifier, error)
}

// Tunings is the registry of tuning methods: the names of the experiment
// file's `tuning:` key, full fine-tuning first.
var Tunings = registry.New[Tuning]("tuning method")

func init() {
	Tunings.Register(Full, Tuning{Apply: func(c nn.Classifier, _ *rand.Rand) (nn.Classifier, error) { return c, nil }})
	for _, method := range []string{LoRA, IA3, UniPELT} {
		Tunings.Register(method, Tuning{Adapts: true, Apply: func(c nn.Classifier, init *rand.Rand) (nn.Classifier, error) {
			m, err := Apply(c, DefaultConfig(method), init)
			if err != nil {
				return nil, err
			}
			return m, nil
		}})
	}
}
