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
	// R3F, when set, adds R3F's noisy second forward pass and its symmetric
	// KL term to the step (see R3F).
	R3F *R3F
}

// R3F is the regulariser of Aghajanyan et al. (ICLR 2021) as fairseq's
// sentence_prediction_r3f criterion computes it. After the clean forward
// pass, a second pass runs on the same batch with noise added to the word
// embeddings (the lookup of the token ids, before the position and
// token-type embeddings and the embedding LayerNorm) and detached from the
// table (the noisy pass sends no gradient to it, fairseq's
// token_embeddings.detach().clone() + noise). The step's loss is the
// clean pass's mean cross-entropy + Lambda · the batch mean of
// KL(P‖Q) + KL(Q‖P), P and Q the clean and noisy predicted distributions,
// with gradients through both passes; the noisy pass has no cross-entropy
// of its own. Noise draws come from RNG (AddNoise); the noisy pass's
// dropout continues the step's dropout stream after the clean pass's.
type R3F struct {
	Sigma   float64 // the noise scale: the normal's std, or the uniform's half-width
	Uniform bool    // U(−Sigma, Sigma) instead of N(0, Sigma²)
	Lambda  float64 // the weight of the symmetric KL term
	RNG     *rand.Rand
}

// AddNoise adds R3F's noise to every value of x, one draw per value in
// order from r.RNG: Sigma·N(0,1) (NormFloat64), or Sigma·(2u−1) with u
// uniform in [0,1) (Float64).
func (r *R3F) AddNoise(x []float32) {
	for i := range x {
		var z float64
		if r.Uniform {
			z = 2*r.RNG.Float64() - 1
		} else {
			z = r.RNG.NormFloat64()
		}
		x[i] += float32(r.Sigma * z)
	}
}

// Mixout holds mixout's target (the head's initial weight) and probability.
type Mixout struct {
	P      float64
	Target []float32
	// All mixes every Linear of a Layered model (mixout_layers: all), the
	// weight of parameter i towards Targets[i], its value before training
	// (nil for parameters that are not mixed), and turns every dropout off.
	All     bool
	Targets [][]float32
}

// Layered is a Model with encoder layers, which the layer-wise strategies
// need (reinit, llrd, mixout of every Linear). A model without them
// (glove-mean) does not implement it.
type Layered interface {
	Model
	// Depths gives every parameter's depth from the top, in Params order:
	// 0 the head and the pooler, 1 the top encoder layer, …, L the lowest,
	// L+1 the embeddings. Adapters have the depth of their layer.
	Depths() []int
	// Reinit draws the pooler and the top k encoder layers afresh from init
	// with the model's own initialiser, in Params order; every other
	// parameter keeps its value bit for bit.
	Reinit(k int, init *rand.Rand) error
	// Linears are the indices in Params of the weight of every Linear
	// (attention, feed-forward, pooler, head): what mixout_layers all mixes.
	Linears() []int
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
