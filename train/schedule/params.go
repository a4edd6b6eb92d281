// Package schedule holds the mitigation strategies as data: their parameters
// with the paper's defaults, and the step schedule that says, for every
// optimizer step, whether members are created, merged, perturbed or averaged.
//
// It is pure logic (no tensors), so the experiment spec can validate strategy
// parameters without knowing the engine, and every schedule can be tested
// exactly (which step creates, merges, perturbs).
package schedule

import (
	"fmt"
	"math"
	"slices"
)

// Strategy names (the experiment file's `strategies:` entries).
const (
	Default            = "default"
	Ensemble           = "ensemble"
	InputNoise         = "input_noise"
	WeightNoise        = "weight_noise"
	PriorNoise         = "prior_noise"
	SWA                = "swa"
	EMA                = "ema"
	Mixout             = "mixout"
	BestPractices      = "best_practices"
	DelayedEnsemble    = "delayed_ensemble"
	NoisyInterpolation = "noisy_interpolation"
	DENI               = "deni"
	NoisyTune          = "noisytune"
	R3F                = "r3f"
	EarlyDiscard       = "early_discard"
	Reinit             = "reinit"
	LLRD               = "llrd"
)

// Names lists every strategy in the order the paper's tables use (the
// order of definitions).
var Names = func() []string {
	n := make([]string, len(definitions))
	for i, d := range definitions {
		n[i] = d.name
	}
	return n
}()

// Params are the parameters of one strategy. Zero values mean "not set"
// until Resolve fills in the defaults; the yaml keys are the experiment file's.
type Params struct {
	Name  string `yaml:"name" json:"name"`
	Label string `yaml:"label" json:"label"` // name in results; default Name

	// Ensembles (ensemble, delayed_ensemble, noisy_interpolation, deni).
	EnsembleSize int `yaml:"ensemble_size" json:"ensemble_size"` // models, including the main one

	// Noise (input_noise, weight_noise, prior_noise, DE, NI, DENI).
	NoiseVariance float64 `yaml:"noise_variance" json:"noise_variance"` // σ²
	NoiseType     string  `yaml:"noise_type" json:"noise_type"`         // scaled (× std of the tensor) | unscaled
	NoiseLayer    string  `yaml:"noise_layer" json:"noise_layer"`       // head | trainable | auto (head for full, trainable for PEFT)
	NoiseStart    float64 `yaml:"noise_start" json:"noise_start"`       // window start, fraction of all steps
	NoiseEnd      float64 `yaml:"noise_end" json:"noise_end"`           // window end (exclusive), fraction of all steps
	NoiseEvery    int     `yaml:"noise_after_steps" json:"noise_after_steps"`
	StepType      string  `yaml:"step_type" json:"step_type"` // step | epoch: what noise_after_steps counts (NI)

	// Interpolation and delayed ensemble.
	InterpolationSteps int         `yaml:"interpolation_steps" json:"interpolation_steps"` // steps members train before merging
	StartEnsemble      float64     `yaml:"start_ensemble" json:"start_ensemble"`           // DE: fraction of steps
	MemberLR           string      `yaml:"member_lr" json:"member_lr"`                     // constant (reference) | schedule
	MemberOptimizer    string      `yaml:"member_optimizer" json:"member_optimizer"`       // fresh (reference) | copy
	MemberDropout      string      `yaml:"member_dropout" json:"member_dropout"`           // shared (reference) | independent
	MemberOrder        MemberOrder `yaml:"member_order" json:"member_order,omitzero"`      // shared (reference) | independent
	Vote               Vote        `yaml:"vote" json:"vote,omitzero"`                      // majority (reference) | mean_probs

	// Input noise: whether a noise step back-propagates into the backbone.
	BackboneGrad bool `yaml:"backbone_grad" json:"backbone_grad"`

	// Averaging.
	SWAStart float64 `yaml:"swa_start" json:"swa_start"` // fraction of steps
	EMADecay float64 `yaml:"ema_decay" json:"ema_decay"`

	// Mixout: the probability, and which Linears are mixed (head: the
	// head towards its initial weight, the reference's; all: every Linear
	// towards its pre-trained weight, the original's).
	MixoutP      float64      `yaml:"mixout_p" json:"mixout_p"`
	MixoutLayers MixoutLayers `yaml:"mixout_layers" json:"mixout_layers,omitzero"`

	// Re-initialisation (Zhang et al. 2021): the top encoder layers drawn
	// afresh with the pooler before training; 0 re-initialises the pooler
	// only. Zero elsewhere, so the runs of other strategies keep their IDs.
	ReinitLayers int `yaml:"reinit_layers" json:"reinit_layers,omitempty"`

	// Layer-wise learning-rate decay: a parameter d layers below the top
	// learns at rate × LLRD^d (0 elsewhere).
	LLRD float64 `yaml:"llrd" json:"llrd,omitempty"`

	// Ensemble: how the members are combined (vote, or soup: their uniform
	// weight average is evaluated beside the vote) and whether they share
	// the head's initialisation (as soups need). Unset values leave run IDs
	// as they were.
	Combine    Combine `yaml:"combine" json:"combine,omitzero"`
	SharedInit bool    `yaml:"shared_init" json:"shared_init,omitempty"`

	// Early discarding: candidates start, each with its own seeds; at
	// discard_at·N the one with the best macro-F1 on a validation split
	// (validation_fraction of the labelled set, stratified, carved with the
	// data_split stream) continues, the others stop. Zero elsewhere.
	Candidates         int     `yaml:"candidates" json:"candidates,omitempty"`
	DiscardAt          float64 `yaml:"discard_at" json:"discard_at,omitempty"`
	ValidationFraction float64 `yaml:"validation_fraction" json:"validation_fraction,omitempty"`

	// NoisyTune: the relative width λ of its uniform noise (0 elsewhere, so
	// the runs of other strategies keep their IDs).
	NoisyTuneLambda float64 `yaml:"noisytune_lambda" json:"noisytune_lambda,omitempty"`

	// R3F (Aghajanyan et al. 2021): the scale of the noise on the word
	// embeddings of its second forward pass (the normal's std, or the
	// uniform's half-width), the noise's distribution (R3FNormal or
	// R3FUniform) and the weight of the symmetric KL term. Zero elsewhere,
	// so the runs of other strategies keep their IDs.
	R3FSigma  float64 `yaml:"r3f_sigma" json:"r3f_sigma,omitempty"`
	R3FNoise  string  `yaml:"r3f_noise" json:"r3f_noise,omitempty"`
	R3FLambda float64 `yaml:"r3f_lambda" json:"r3f_lambda,omitempty"`

	// Training overrides (best_practices sets them; any strategy may).
	Epochs      int      `yaml:"epochs" json:"epochs"`
	Optimizer   string   `yaml:"optimizer" json:"optimizer"`
	Schedule    string   `yaml:"schedule" json:"schedule"`
	WeightDecay *float64 `yaml:"weight_decay" json:"weight_decay"`
	LR          float64  `yaml:"lr" json:"lr,omitempty"` // 0: the experiment's train.lr
}

// MemberOrder says which batches the members of a population train on. Its
// reference value is left out of a run's canonical JSON (omitzero calls
// IsZero), so runs made before the setting existed keep their IDs.
type MemberOrder string

// Vote says how a voting population makes its final prediction; like
// MemberOrder, its reference value is left out of run IDs.
type Vote string

// The values of member_order and vote; the first of each pair is the reference's.
const (
	OrderShared      MemberOrder = "shared"      // every member trains on the main model's batches
	OrderIndependent MemberOrder = "independent" // each member draws its own sample order
	VoteMajority     Vote        = "majority"    // majority of the voters' argmaxes, ties to the lowest class
	VoteMeanProbs    Vote        = "mean_probs"  // argmax of the voters' mean softmax
)

// The values of r3f_noise.
const (
	R3FNormal  = "normal"  // N(0, σ²)
	R3FUniform = "uniform" // U(−σ, σ)
)

// Combine says how an ensemble's members make the run's prediction.
type Combine string

// The values of combine; vote is the paper's.
const (
	CombineVote Combine = "vote" // the members vote (vote: majority or mean_probs)
	CombineSoup Combine = "soup" // the uniform average of their weights predicts; the vote is recorded beside it
)

// MixoutLayers says which Linears mixout mixes.
type MixoutLayers string

// The values of mixout_layers; head is the reference's.
const (
	MixoutHead MixoutLayers = "head" // the head's weight towards its initial value; the head's dropout off
	MixoutAll  MixoutLayers = "all"  // every Linear towards its pre-trained value (the head its initial one); all dropout off
)

// IsZero reports whether m is unset or the reference's head.
func (m MixoutLayers) IsZero() bool { return m == "" || m == MixoutHead }

// IsZero reports whether c is unset or the paper's vote.
func (c Combine) IsZero() bool { return c == "" || c == CombineVote }

// IsZero reports whether o is unset or the reference's shared order.
func (o MemberOrder) IsZero() bool { return o == "" || o == OrderShared }

// IsZero reports whether v is unset or the reference's majority vote.
func (v Vote) IsZero() bool { return v == "" || v == VoteMajority }

// Keys lists the parameter keys that strategy name accepts (besides name
// and label), nil for an unknown name.
func Keys(name string) []string {
	if pr, ok := lookupPreset(name); ok {
		name = pr.base
	}
	if !Known(name) {
		return nil
	}
	return append(slices.Clone(lookup(name).keys), trainKeys...)
}

// Known reports whether name is a strategy.
func Known(name string) bool {
	return slices.ContainsFunc(definitions, func(d definition) bool { return d.name == name })
}

// Defaults returns the parameters of strategy name as the paper's run script
// sets them (section 2.3 of the reference). The experiment file's keys are
// decoded over these, so an explicit zero (noise_variance: 0) stays zero.
// A preset's parameters are its base strategy's defaults with its settings,
// labelled with its name.
func Defaults(name string) (Params, error) {
	if pr, ok := lookupPreset(name); ok {
		p, err := Defaults(pr.base)
		pr.set(&p)
		p.Label = pr.name
		return p, err
	}
	if !Known(name) {
		return Params{}, fmt.Errorf("unknown strategy %q (known: %v; deni's presets: %v)", name, Names, presetNames())
	}
	p := Params{
		Name: name, Label: name, EnsembleSize: 1,
		NoiseVariance: 0.15, NoiseType: "scaled", NoiseLayer: "auto",
		NoiseStart: 0.3, NoiseEnd: 0.9, NoiseEvery: 25, StepType: "step",
		InterpolationSteps: 125, StartEnsemble: 0.9,
		MemberLR: "constant", MemberOptimizer: "fresh", MemberDropout: "shared",
		MemberOrder: OrderShared, Vote: VoteMajority, Combine: CombineVote,
		SWAStart: 0.25, EMADecay: 0.999, MixoutP: 0.9, MixoutLayers: MixoutHead,
	}
	if d := lookup(name); d.defaults != nil {
		d.defaults(&p)
	}
	return p, nil
}

func oneOf(key, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("%s: %q is not one of %v", key, v, allowed)
	}
	return nil
}

// Validate checks the parameters after the experiment file was decoded over Defaults.
func (p Params) Validate() error {
	if !Known(p.Name) {
		return fmt.Errorf("unknown strategy %q (known: %v)", p.Name, Names)
	}
	if p.Label == "" {
		p.Label = p.Name
	}
	errs := []error{
		oneOf("noise_type", p.NoiseType, "scaled", "unscaled"),
		oneOf("noise_layer", p.NoiseLayer, "auto", "head", "trainable"),
		oneOf("step_type", p.StepType, "step", "epoch"),
		oneOf("member_lr", p.MemberLR, "constant", "schedule"),
		oneOf("member_optimizer", p.MemberOptimizer, "fresh", "copy"),
		oneOf("member_dropout", p.MemberDropout, "shared", "independent"),
		oneOf("member_order", string(p.MemberOrder), string(OrderShared), string(OrderIndependent)),
		oneOf("vote", string(p.Vote), string(VoteMajority), string(VoteMeanProbs)),
		oneOf("combine", string(p.Combine), string(CombineVote), string(CombineSoup)),
		oneOf("mixout_layers", string(p.MixoutLayers), string(MixoutHead), string(MixoutAll)),
	}
	for _, e := range errs {
		if e != nil {
			return fmt.Errorf("strategy %s: %w", p.Label, e)
		}
	}
	frac := func(key string, v float64) error {
		if v < 0 || v > 1 || math.IsNaN(v) {
			return fmt.Errorf("strategy %s: %s must be a fraction of the training steps in [0, 1], got %g", p.Label, key, v)
		}
		return nil
	}
	for _, f := range []struct {
		k string
		v float64
	}{{"noise_start", p.NoiseStart}, {"noise_end", p.NoiseEnd}, {"start_ensemble", p.StartEnsemble}, {"swa_start", p.SWAStart}} {
		if err := frac(f.k, f.v); err != nil {
			return err
		}
	}
	switch {
	case p.NoiseStart >= p.NoiseEnd:
		return fmt.Errorf("strategy %s: noise_start (%g) must be below noise_end (%g)", p.Label, p.NoiseStart, p.NoiseEnd)
	case p.EnsembleSize < 1:
		return fmt.Errorf("strategy %s: ensemble_size must be at least 1, got %d", p.Label, p.EnsembleSize)
	case p.NoiseVariance < 0:
		return fmt.Errorf("strategy %s: noise_variance must be >= 0, got %g", p.Label, p.NoiseVariance)
	case p.NoiseEvery < 0 || p.InterpolationSteps < 1:
		return fmt.Errorf("strategy %s: noise_after_steps must be >= 0 and interpolation_steps >= 1", p.Label)
	case p.EMADecay <= 0 || p.EMADecay >= 1:
		return fmt.Errorf("strategy %s: ema_decay must be in (0, 1), got %g", p.Label, p.EMADecay)
	case p.Name == EarlyDiscard && p.Candidates < 1:
		return fmt.Errorf("strategy %s: candidates must be at least 1, got %d", p.Label, p.Candidates)
	case p.Name == EarlyDiscard && !(p.DiscardAt > 0 && p.DiscardAt <= 1):
		return fmt.Errorf("strategy %s: discard_at must be a fraction of the training steps in (0, 1], got %g", p.Label, p.DiscardAt)
	case p.Name == EarlyDiscard && !(p.ValidationFraction > 0 && p.ValidationFraction < 1):
		return fmt.Errorf("strategy %s: validation_fraction must be in (0, 1), got %g", p.Label, p.ValidationFraction)
	case p.NoisyTuneLambda < 0 || math.IsNaN(p.NoisyTuneLambda):
		return fmt.Errorf("strategy %s: noisytune_lambda must be >= 0, got %g", p.Label, p.NoisyTuneLambda)
	case !(p.R3FSigma >= 0 && p.R3FSigma < math.Inf(1)):
		return fmt.Errorf("strategy %s: r3f_sigma must be >= 0 (the noise's std, or the uniform's half-width), got %g", p.Label, p.R3FSigma)
	case !(p.R3FLambda >= 0 && p.R3FLambda < math.Inf(1)):
		return fmt.Errorf("strategy %s: r3f_lambda must be >= 0, got %g", p.Label, p.R3FLambda)
	case p.Name == R3F && p.R3FNoise != R3FNormal && p.R3FNoise != R3FUniform:
		return fmt.Errorf("strategy %s: r3f_noise: %q is not one of [%s %s]", p.Label, p.R3FNoise, R3FNormal, R3FUniform)
	case p.ReinitLayers < 0:
		return fmt.Errorf("strategy %s: reinit_layers must be >= 0 (0: the pooler only), got %d", p.Label, p.ReinitLayers)
	case p.Name == LLRD && !(p.LLRD > 0 && p.LLRD <= 1):
		return fmt.Errorf("strategy %s: llrd must be in (0, 1] (the rate's factor per layer down from the top), got %g", p.Label, p.LLRD)
	case p.MixoutP < 0 || p.MixoutP >= 1:
		return fmt.Errorf("strategy %s: mixout_p must be in [0, 1), got %g", p.Label, p.MixoutP)
	case p.LR < 0 || math.IsNaN(p.LR):
		return fmt.Errorf("strategy %s: lr must be positive, got %g", p.Label, p.LR)
	case p.Epochs < 0:
		return fmt.Errorf("strategy %s: epochs must be positive, got %d", p.Label, p.Epochs)
	}
	if lookup(p.Name).population && p.EnsembleSize < 2 {
		return fmt.Errorf("strategy %s: ensemble_size must be at least 2 for %s", p.Label, p.Name)
	}
	if p.Name == DENI && p.StartEnsemble < p.NoiseEnd {
		return fmt.Errorf("strategy %s: start_ensemble (%g) must not be before noise_end (%g): DENI interpolates, then ensembles", p.Label, p.StartEnsemble, p.NoiseEnd)
	}
	return nil
}

// NeedsEncoder reports whether the strategy acts on an encoder's layers
// (input noise perturbs the pooler's output, mixout mixes out its
// dropout), so that a model without one (glove-mean) cannot run it.
func (p Params) NeedsEncoder() bool { return lookup(p.Name).encoder }

// NeedsFullTuning reports why the strategy cannot run with a
// parameter-efficient tuning method ("" when it can): it re-initialises or
// mixes weights that such a method freezes.
func (p Params) NeedsFullTuning() string {
	if f := lookup(p.Name).fullTuning; f != nil {
		return f(p)
	}
	return ""
}

// CheckLayers reports whether the strategy can act on an encoder of layers
// layers (shared: one set of weights serves several depths, as ALBERT's).
func (p Params) CheckLayers(layers int, shared bool) error {
	if f := lookup(p.Name).layers; f != nil {
		return f(p, layers, shared)
	}
	return nil
}

// Population reports how many models the strategy holds at inference time.
func (p Params) Population() int {
	if lookup(p.Name).votes {
		return p.EnsembleSize
	}
	return 1
}
