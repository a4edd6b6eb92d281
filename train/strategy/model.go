// Package strategy trains a population of models under a mitigation
// strategy: one training loop, with the strategy's schedule (package
// schedule) deciding at which step members are created, merged, perturbed or
// averaged. Default, the baselines and DENI all run through Train.
package strategy

import (
	"math/rand/v2"

	"github.com/deni-project/deni/train/tensor"
)

// Batch is a padded batch of encoded samples: IDs and Mask are [B, T]
// row-major (Mask 1 for tokens, 0 for padding), Labels [B] (nil at test time).
type Batch struct {
	IDs, Mask []int32
	B, T      int
	Labels    []int32
}

// StepOptions are the per-step variations the strategies ask of a model.
type StepOptions struct {
	// PooledNoise > 0 adds PooledNoise·N(0,1), drawn from NoiseRNG, to the
	// pooled representation before the head's dropout (input_noise).
	PooledNoise float64
	NoiseRNG    *rand.Rand
	// BackboneFrozen stops the gradient at the pooled representation, so
	// only the head learns in this step (the reference's input-noise steps).
	BackboneFrozen bool
	// Mixout, when set, replaces the head's dropout by mixout of its weight
	// towards Mixout.Target with probability Mixout.P.
	Mixout *Mixout
}

// Mixout holds mixout's target (the head's initial weight) and probability.
type Mixout struct {
	P      float64
	Target []float32
}

// Model is what the strategies need of an encoder classifier. A Model serves
// one goroutine at a time; different models may train concurrently.
type Model interface {
	// Params is the whole-model parameter view, in a stable order.
	Params() []*tensor.Param
	// TrainStep runs the forward and backward pass of a training batch
	// (dropout from the given stream) and returns the mean cross-entropy.
	// Gradients accumulate into the parameters' Grad.
	TrainStep(b *Batch, dropout *rand.Rand, opt StepOptions) float32
	// Logits writes the eval-mode logits of b, [B, Classes], into out.
	Logits(b *Batch, out []float32)
	// Classes is the number of output classes.
	Classes() int
	// Clone returns a model with the same configuration and a copy of the
	// weights, with its own workspace.
	Clone() Model
	// ForwardFLOPs is the analytic cost of one forward pass of one sample
	// of t tokens (multiply-adds count 2).
	ForwardFLOPs(t int) float64
	// TrainFLOPs is the analytic cost of one training pass (forward and
	// backward) of one sample of t tokens: 3 × ForwardFLOPs when every
	// parameter trains, less when frozen weights skip their gradients.
	TrainFLOPs(t int) float64
	// HeadOnlyTrainFLOPs is the cost of one sample's training pass when only
	// the head learns (StepOptions.BackboneFrozen): the forward pass and the
	// head's weight gradients.
	HeadOnlyTrainFLOPs(t int) float64
}

// NewModel builds a fresh model; new (not pre-trained) weights come from init.
type NewModel func(init *rand.Rand) (Model, error)
