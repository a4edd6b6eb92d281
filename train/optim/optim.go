// Package optim holds deni's optimizers (Adam, AdamW, SGD) and learning-rate
// schedules, with the semantics of torch.optim and of the Hugging Face
// schedule helpers that the DENI reference code uses.
//
// An optimizer updates the Data of every parameter whose Grad is non-nil;
// frozen parameters (nil Grad) are skipped, as torch skips parameters whose
// .grad is None. The learning rate is not part of the optimizer's state: each
// Step receives it, so that one Schedule can drive a main model while
// ensemble members run at a constant rate (DE) or follow their own schedule.
//
// Arithmetic follows torch's single-tensor (foreach=False) CPU kernels
// operation by operation: scalar coefficients (bias corrections, step size,
// 1-lr·wd) are computed in float64 as Python does and rounded to float32 once;
// tensor arithmetic is float32. torch's kernels for add(alpha=), addcmul and
// the like compute "a + alpha*b" as one fused multiply-add (measured on the
// golden problem: with separate roundings 10% of the updates differ in the
// last bit), so fma32 does the same; every other product is rounded
// explicitly, so that no compiler may fuse it on some architectures and not
// on others (a run must give the same bits on every machine with the same
// BLAS). The golden tests compare against PyTorch trajectories in
// testdata/golden.json.
//
// Step allocates nothing. Optimizer state can be cloned onto the parameters of
// another model (ensemble members with copied state), copied between
// optimizers, or reset.
package optim

import (
	"fmt"
	"math"
	"slices"

	"github.com/deni-project/deni/internal/registry"
	"github.com/deni-project/deni/train/tensor"
)

// Optimizer updates a fixed list of parameters from their gradients.
type Optimizer interface {
	// Step applies one update with learning rate lr to every parameter
	// whose Grad is non-nil. lr is float64 because torch keeps it as a
	// Python float and derives the step size in double precision.
	Step(lr float64)
	// Steps returns how many times Step has been called since creation or
	// the last Reset (the optimizer's step counter).
	Steps() int
	// Reset forgets all state (moments, momentum buffers, step counters), as
	// if the optimizer had just been created. Nothing is reallocated.
	Reset()
	// Params returns the parameters the optimizer updates, in order.
	Params() []*tensor.Param
	// Config returns the hyperparameters.
	Config() Config
	// Clone returns an optimizer with the same hyperparameters and a deep
	// copy of the state, bound to params, which must match the original
	// parameters one to one (same names and shapes): the parameters of a
	// copied model. For a fresh state use New(o.Config(), params).
	Clone(params []*tensor.Param) (Optimizer, error)
	// CopyStateFrom overwrites the state of this optimizer with a copy of
	// src's. src must be of the same kind with matching parameters.
	CopyStateFrom(src Optimizer) error
	// ScaleLR gives every parameter its own learning rate from now on:
	// parameter i steps with lr·scales[i] (in float64, as a torch param
	// group whose lr is scaled), weight decay included; layer-wise rate
	// decay (llrd) sets it. nil restores one rate for all. Clone keeps
	// the scales; CopyStateFrom and Reset leave them alone.
	ScaleLR(scales []float64) error
}

// Kind names an optimizer algorithm.
type Kind string

// The optimizer kinds, named as the reference code's --optimizer values
// (lower-cased).
const (
	KindAdam  Kind = "adam"
	KindAdamW Kind = "adamw"
	// KindBertAdam is the original BERT code's Adam (AdamWeightDecayOptimizer):
	// AdamW without bias correction, eps 1e-6, no weight decay on biases and
	// LayerNorm parameters. Zhang et al. (ICLR 2021) found
	// the missing correction makes few-sample fine-tuning less stable.
	KindBertAdam Kind = "bertadam"
	KindSGD      Kind = "sgd"
)

// Config holds the hyperparameters of every kind; fields a kind does not use
// are ignored. Use Defaults to get torch's defaults for a kind.
type Config struct {
	Kind Kind
	// Beta1, Beta2 and Eps are Adam's (torch: 0.9, 0.999, 1e-8). Eps is
	// added after the square root of the bias-corrected second moment.
	Beta1, Beta2, Eps float64
	// WeightDecay is an L2 term added to the gradient for adam and sgd
	// (torch default 0) and the decoupled decay p *= 1 - lr·wd for adamw
	// (torch default 0.01).
	WeightDecay float64
	// Momentum, Dampening and Nesterov are SGD's (torch default 0, 0, false).
	Momentum, Dampening float64
	Nesterov            bool
}

// OptimizerKind is an optimizer algorithm as it registers itself
// (Optimizers): torch's default hyperparameters, their validation and the
// constructor.
type OptimizerKind struct {
	Defaults Config // torch.optim's defaults
	validate func(Config) error
	new      func(Config, []*tensor.Param) Optimizer
}

// Optimizers is the registry of optimizer algorithms: the names that
// train.optimizer (and a strategy's optimizer override) accept.
var Optimizers = registry.New[OptimizerKind]("optimizer")

func init() {
	adamBetas := func(c Config) error {
		if c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 {
			return fmt.Errorf("%s: betas (%g, %g) must be in [0, 1)", c.Kind, c.Beta1, c.Beta2)
		}
		if c.Eps < 0 {
			return fmt.Errorf("%s: eps %g must be >= 0", c.Kind, c.Eps)
		}
		return nil
	}
	adam := func(c Config, p []*tensor.Param) Optimizer { return newAdam(c, p) }
	Optimizers.Register(string(KindAdam), OptimizerKind{
		Defaults: Config{Kind: KindAdam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, validate: adamBetas, new: adam})
	Optimizers.Register(string(KindAdamW), OptimizerKind{
		Defaults: Config{Kind: KindAdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}, validate: adamBetas, new: adam})
	Optimizers.Register(string(KindBertAdam), OptimizerKind{
		Defaults: Config{Kind: KindBertAdam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-6, WeightDecay: 0.01}, validate: adamBetas, new: adam})
	Optimizers.Register(string(KindSGD), OptimizerKind{Defaults: Config{Kind: KindSGD},
		validate: func(c Config) error {
			if c.Momentum < 0 {
				return fmt.Errorf("sgd: momentum %g must be >= 0", c.Momentum)
			}
			if c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0) {
				return fmt.Errorf("sgd: nesterov needs momentum > 0 and dampening 0 (got %g, %g)", c.Momentum, c.Dampening)
			}
			return nil
		},
		new: func(c Config, p []*tensor.Param) Optimizer { return newSGD(c, p) }})
}

// Defaults returns torch.optim's default hyperparameters for kind.
func Defaults(kind Kind) (Config, error) {
	k, err := Optimizers.Lookup(string(kind))
	if err != nil {
		return Config{}, err
	}
	return k.Defaults, nil
}

// Validate reports hyperparameters that torch would reject.
func (c Config) Validate() error {
	k, err := Optimizers.Lookup(string(c.Kind))
	if err != nil {
		return err
	}
	if err := k.validate(c); err != nil {
		return err
	}
	if c.WeightDecay < 0 {
		return fmt.Errorf("%s: weight decay %g must be >= 0", c.Kind, c.WeightDecay)
	}
	return nil
}

// New returns an optimizer of cfg.Kind over params, with fresh state.
func New(cfg Config, params []*tensor.Param) (Optimizer, error) {
	if err := check(cfg, params); err != nil {
		return nil, err
	}
	k, _ := Optimizers.Lookup(string(cfg.Kind)) // known: check validated cfg
	return k.new(cfg, params), nil
}

// check reports what an optimizer cannot be built from: hyperparameters
// that torch would reject, a nil parameter, or a gradient buffer whose
// length differs from its data's.
func check(cfg Config, params []*tensor.Param) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	for i, p := range params {
		if p == nil || p.Tensor == nil {
			return fmt.Errorf("optimizer parameter %d is nil", i)
		}
		if p.Grad != nil && len(p.Grad) != len(p.Data) {
			return fmt.Errorf("parameter %q: gradient has %d values, data %d", p.Name, len(p.Grad), len(p.Data))
		}
	}
	return nil
}

// matchParams checks that b can take the state of a: the same number of
// parameters with the same names and shapes, in the same order.
func matchParams(a, b []*tensor.Param) error {
	if len(a) != len(b) {
		return fmt.Errorf("optimizer state is for %d parameters, got %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return fmt.Errorf("parameter %d: optimizer state is for %q, got %q", i, a[i].Name, b[i].Name)
		}
		if !slices.Equal(a[i].Shape, b[i].Shape) || len(a[i].Data) != len(b[i].Data) {
			return fmt.Errorf("parameter %q: optimizer state has shape %v, got %v", a[i].Name, a[i].Shape, b[i].Shape)
		}
	}
	return nil
}

// checkScales validates the learning-rate scales of n parameters and
// returns a copy (nil for nil).
func checkScales(scales []float64, n int) ([]float64, error) {
	if scales == nil {
		return nil, nil
	}
	if len(scales) != n {
		return nil, fmt.Errorf("optimizer: %d learning-rate scales for %d parameters", len(scales), n)
	}
	for i, s := range scales {
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("optimizer: learning-rate scale %g of parameter %d must be positive and finite", s, i)
		}
	}
	return slices.Clone(scales), nil
}

// scaledLR is parameter i's rate: lr, times its scale when there are scales.
func scaledLR(lr float64, scales []float64, i int) float64 {
	if scales == nil {
		return lr // no product: the rate stays bit for bit the one given
	}
	return lr * scales[i]
}

// cloneSlice copies s, keeping nil as nil (nil means "state not created yet").
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append([]T(nil), s...)
}

// copyInto copies src into *dst, reusing dst's storage when it has the
// right length.
func copyInto[T any](dst *[]T, src []T) {
	if src == nil {
		if *dst != nil {
			clear(*dst)
		}
		return
	}
	if len(*dst) != len(src) {
		*dst = make([]T, len(src))
	}
	copy(*dst, src)
}

// fma32 returns a*b + c rounded once to float32, like the fused multiply-add
// of torch's vectorised CPU kernels. The float64 product of two float32
// values is exact, so only the sum rounds before the final conversion (and
// whether the compiler fuses it in float64 cannot change the result).
func fma32(a, b, c float32) float32 {
	return float32(float64(a)*float64(b) + float64(c))
}
