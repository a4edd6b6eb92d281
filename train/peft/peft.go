// Package peft adds parameter-efficient fine-tuning to deni's encoders:
// LoRA and IA3 as Hugging Face peft configures them in the reference code,
// and UniPELT (LoRA + prefix tuning + a bottleneck adapter, each gated) as
// the adapters library's ConfigUnion does (section 2.2 of the paper
// reference). Apply freezes the backbone, inserts the method's modules
// through the hooks of package nn (Linear.Hook, SelfAttention.Hook,
// EncoderLayer.OutHook / ALBERTLayer.OutHook) and returns a Model: the same
// classifier, whose Params are the backbone's and head's followed by the
// method's, and whose Clone keeps the method.
//
// What trains (everything else is frozen: no gradient, no optimizer state):
//
//	lora     LoRA A, B; every bias of the backbone (peft bias='all'); the head
//	ia3      the IA3 vectors; the head
//	unipelt  LoRA A, B and gates; prefix embedding, reparametrisation MLP and
//	         gates; adapter down/up projections and gates; the head
//
// and RoBERTa's pooler (not pre-trained) for every method.
//
// Equations (x the module input [B,T,in], mask the padding mask):
//
//	LoRA     y = x·Wᵀ + b + (α/√r)·(dropout(x)·Aᵀ)·Bᵀ     r = α = 64, dropout 0.1, rsLoRA
//	IA3      y = (x ⊙ l)·Wᵀ + b  (feed-forward modules),  y = (x·Wᵀ + b) ⊙ l  (others)
//	gate     γ(x) = mean over the tokens of σ(x·wᵀ + b),   Linear(hidden, 1), one value per sample
//	UniPELT  LoRA on q, v: y = x·Wᵀ + b + γ(x)·(dropout(x)·Aᵀ)·Bᵀ     (α/r = 1)
//	         prefix: K' = [γ(x)·K_p ; K], V' = [γ(x)·V_p ; V], P = 25 positions every token attends,
//	                 [K_p V_p] per module from tanh(E·W1ᵀ + b1)·W2ᵀ + b2, E [25,H], W1 [512,H]
//	         adapter: u = γ(a)·(ReLU(a·Dᵀ + d)·Uᵀ + u0) with a = LN(h + res); out = LN(h + u + res)
//
// Initialisation (from the model_init stream, after the model's own
// parameters, in Params order): LoRA A ~ U(±1/√in) (kaiming-uniform,
// a = √5), B = 0; IA3 l = 1; LoRA gates: weight N(0, 0.02²), bias
// U(±1/√in) (torch's default, which adapters keeps); prefix gates: weight
// N(0, 0.02²), bias U(±1/√H); adapter projections and gate: weight
// N(0, 0.02²), bias 0 (adapters' "bert" init); prefix embedding N(0, 1) and
// MLP U(±1/√fan_in) (torch defaults). So LoRA and IA3 start as the frozen
// model exactly; UniPELT does not (as in adapters: the adapter's up
// projection is random and the prefix is attended from the start).
//
// Deviations from the adapters library: (1) a gate averages σ over the
// sample's tokens only, where adapters averages over every position
// including padding, which would make a sample's output depend on how far
// its batch is padded (deni pads to the longest sample of a batch);
// (2) ALBERT's shared layer has one prefix, one LoRA per q/v and one
// adapter, applied at each of its applications (as adapters registers one
// module per shared layer); (3) the prefix MLP has no dropout (adapters'
// default 0 too). LoRA dropout masks are drawn from the model's dropout
// stream, so a LoRA run's backbone dropout masks differ from full
// fine-tuning's.
package peft

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/tensor"
)

// The tuning methods (registered in Tunings).
const (
	Full    = "full"
	LoRA    = "lora"
	IA3     = "ia3"
	UniPELT = "unipelt"
)

// Config sets a method's sizes. DefaultConfig gives the paper's.
type Config struct {
	Method string
	// LoRA (lora, and unipelt's LoRA).
	Rank    int     // r
	Alpha   float64 // α
	Dropout float32 // on the LoRA input, from the dropout stream
	RSLoRA  bool    // scaling α/√r (peft use_rslora) instead of α/r
	BiasAll bool    // every bias of the backbone trains (peft bias='all')
	// UniPELT.
	PrefixLength    int // prefix positions per attention module; 0: no prefix
	PrefixHidden    int // width of the reparametrisation MLP (adapters' bottleneck_size)
	ReductionFactor int // the bottleneck adapter has hidden/ReductionFactor units; 0: no adapter
}

// DefaultConfig is the reference configuration of method: LoRA r = α = 64,
// dropout 0.1, rsLoRA, bias 'all'; IA3 peft's defaults; UniPELT LoRA
// r = α = 64 (scaling 1), dropout 0.1, prefix length 25 (MLP width 512),
// adapter reduction factor 16, all gated.
func DefaultConfig(method string) Config {
	switch method {
	case LoRA:
		return Config{Method: LoRA, Rank: 64, Alpha: 64, Dropout: 0.1, RSLoRA: true, BiasAll: true}
	case UniPELT:
		return Config{Method: UniPELT, Rank: 64, Alpha: 64, Dropout: 0.1, PrefixLength: 25, PrefixHidden: 512, ReductionFactor: 16}
	}
	return Config{Method: method}
}

func (c Config) validate() error {
	switch c.Method {
	case LoRA, UniPELT:
		if c.Rank < 1 || c.Alpha <= 0 || c.Dropout < 0 || c.Dropout >= 1 {
			return fmt.Errorf("peft: %s needs rank ≥ 1, alpha > 0 and dropout in [0,1)", c.Method)
		}
		if c.Method == UniPELT && (c.PrefixLength < 0 || c.ReductionFactor < 0 || (c.PrefixLength > 0 && c.PrefixHidden < 1)) {
			return fmt.Errorf("peft: unipelt needs non-negative prefix length and reduction factor, and a prefix MLP width")
		}
	case IA3:
	default:
		return fmt.Errorf("peft: unknown tuning method %q (known: %v)", c.Method, Tunings.Names())
	}
	return nil
}

// scaling is the LoRA update's factor: α/√r (rsLoRA) or α/r.
func (c Config) scaling() float32 {
	if c.RSLoRA {
		return float32(c.Alpha / math.Sqrt(float64(c.Rank)))
	}
	return float32(c.Alpha / float64(c.Rank))
}

// Model is a classifier tuned with a parameter-efficient method. It is an
// nn.Classifier (so models.Wrap trains it like any encoder) whose Params
// are the backbone's and head's, in their order, followed by the method's
// in creation order.
type Model struct {
	base   nn.Classifier
	cfg    Config
	reg    nn.Registry
	params []*tensor.Param
	st     *state
	costs  []cost
	trainG *tensor.Graph
	evalG  *tensor.Graph
}

// cost is a hook's forward FLOPs per sample of t tokens, times its
// applications per pass.
type cost struct {
	f    interface{ flops(t int) float64 }
	apps int
}

var _ nn.Classifier = (*Model)(nil)

// Apply tunes c with cfg's method: it freezes c's backbone (c is modified
// and owned by the result), adds the method's modules and draws their
// initial values from init (nil: no draws, zero or one as their kind
// says). The head ("output.*") stays trainable.
func Apply(c nn.Classifier, cfg Config, init *rand.Rand) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	blocks, err := blocksOf(c)
	if err != nil {
		return nil, err
	}
	mt := modelType(c)
	for _, p := range c.Params() {
		p.SetTrainable(trainsWith(cfg, mt, p.Name))
	}
	m := &Model{base: c, cfg: cfg, st: &state{}, trainG: tensor.NewGraph(), evalG: tensor.NewGraph()}
	m.evalG.SetNoGrad(true)
	switch cfg.Method {
	case LoRA:
		m.addLoRA(blocks, func(name string) bool { return loraTarget(mt, name) }, false)
	case IA3:
		m.addIA3(blocks, mt)
	case UniPELT:
		m.addUniPELT(blocks, c.Config().HiddenSize)
	}
	if init != nil {
		m.reg.InitSelected(init, nil)
	}
	m.params = append(slices.Clip(c.Params()), m.reg.Params()...)
	return m, nil
}

// trainsWith reports whether a backbone or head parameter trains under cfg.
func trainsWith(cfg Config, mt, name string) bool {
	switch {
	case strings.HasPrefix(name, "output."): // the head
		return true
	case mt == "roberta" && strings.HasPrefix(name, "pooler.dense."): // not pre-trained
		return true
	case cfg.BiasAll && strings.Contains(name, "bias"):
		return true
	}
	return false
}

func (m *Model) addLoRA(blocks []block, target func(string) bool, gated bool) {
	r, s := m.cfg.Rank, m.cfg.scaling()
	for _, b := range blocks {
		for _, st := range b.linears {
			if !target(st.name) {
				continue
			}
			out, in := st.lin.Weight.Shape[0], st.lin.Weight.Shape[1]
			bound := 1 / math.Sqrt(float64(in))
			h := &loraHook{st: m.st, scale: s, dropout: m.cfg.Dropout}
			if gated {
				pre := st.name + ".loras.unipelt."
				h.a = m.reg.Add(pre+"lora_A", nn.InitUniform, bound, r, in)
				h.b = m.reg.Add(pre+"lora_B", nn.InitZeros, 0, out, r)
				h.gate = &gate{w: m.reg.Add(pre+"gate.weight", nn.InitNormal, 0.02, 1, in),
					b: m.reg.Add(pre+"gate.bias", nn.InitUniform, bound, 1)}
			} else {
				h.a = m.reg.Add(st.name+".lora_A.weight", nn.InitUniform, bound, r, in)
				h.b = m.reg.Add(st.name+".lora_B.weight", nn.InitZeros, 0, out, r)
			}
			st.lin.Hook = h
			m.costs = append(m.costs, cost{h, b.apps})
		}
	}
}

func (m *Model) addIA3(blocks []block, mt string) {
	for _, b := range blocks {
		for _, st := range b.linears {
			target, ff := ia3Target(mt, st.name)
			if !target {
				continue
			}
			out, in := st.lin.Weight.Shape[0], st.lin.Weight.Shape[1]
			h := &ia3Hook{ff: ff}
			if ff {
				h.l = m.reg.Add(st.name+".ia3_l", nn.InitOnes, 0, 1, in)
			} else {
				h.l = m.reg.Add(st.name+".ia3_l", nn.InitOnes, 0, out, 1)
			}
			st.lin.Hook = h
			m.costs = append(m.costs, cost{h, b.apps})
		}
	}
}

func (m *Model) addUniPELT(blocks []block, hidden int) {
	cfg := m.cfg
	gb := 1 / math.Sqrt(float64(hidden))
	var prefixes []*prefixHook
	for _, b := range blocks {
		// LoRA on the query and value projections (adapters' attn_matrices q, v).
		lora := b
		lora.linears = nil
		for _, st := range b.linears {
			if unipeltLoRATarget(st.name) {
				lora.linears = append(lora.linears, st)
			}
		}
		m.addLoRA([]block{lora}, func(string) bool { return true }, true)
		if cfg.PrefixLength > 0 {
			pre := b.attnName + ".prefix_tuning.prefix_gates.unipelt."
			h := &prefixHook{st: m.st, idx: len(prefixes), gate: gate{
				w: m.reg.Add(pre+"weight", nn.InitNormal, 0.02, 1, hidden),
				b: m.reg.Add(pre+"bias", nn.InitUniform, gb, 1)}}
			b.attn.Hook = h
			prefixes = append(prefixes, h)
			m.costs = append(m.costs, cost{h, b.apps})
		}
		if cfg.ReductionFactor > 0 {
			width := max(hidden/cfg.ReductionFactor, 1)
			pre := b.outName + ".adapters.unipelt."
			h := &adapterHook{st: m.st,
				down:  m.reg.Add(pre+"adapter_down.0.weight", nn.InitNormal, 0.02, width, hidden),
				downB: m.reg.Add(pre+"adapter_down.0.bias", nn.InitZeros, 0, width),
				up:    m.reg.Add(pre+"adapter_up.weight", nn.InitNormal, 0.02, hidden, width),
				upB:   m.reg.Add(pre+"adapter_up.bias", nn.InitZeros, 0, hidden),
				gate: gate{w: m.reg.Add(pre+"gate.weight", nn.InitNormal, 0.02, 1, hidden),
					b: m.reg.Add(pre+"gate.bias", nn.InitZeros, 0, 1)}}
			*b.out = h
			m.costs = append(m.costs, cost{h, b.apps})
		}
	}
	if len(prefixes) > 0 {
		l, w := len(prefixes), cfg.PrefixHidden
		pre := "prefix_tuning.prefix_tunings.unipelt."
		p := &prefixPool{length: cfg.PrefixLength, hidden: hidden,
			keys: make([]*tensor.Tensor, l), values: make([]*tensor.Tensor, l)}
		p.wte = m.reg.Add(pre+"wte.weight", nn.InitNormal, 1, cfg.PrefixLength, hidden)
		p.w1 = m.reg.Add(pre+"control_trans.0.weight", nn.InitUniform, gb, w, hidden)
		p.b1 = m.reg.Add(pre+"control_trans.0.bias", nn.InitUniform, gb, w)
		wb := 1 / math.Sqrt(float64(w))
		p.w2 = m.reg.Add(pre+"control_trans.2.weight", nn.InitUniform, wb, 2*l*hidden, w)
		p.b2 = m.reg.Add(pre+"control_trans.2.bias", nn.InitUniform, wb, 2*l*hidden)
		m.st.prefix = p
	}
}

// Method is the tuning method.
func (m *Model) Method() string { return m.cfg.Method }

// TuningConfig is the method's configuration.
func (m *Model) TuningConfig() Config { return m.cfg }

// Base is the tuned classifier (with the method's hooks installed).
func (m *Model) Base() nn.Classifier { return m.base }

// Adapters lists the method's parameters, in creation order.
func (m *Model) Adapters() []*tensor.Param { return m.reg.Params() }

// Params lists the backbone's and head's parameters, then the method's.
func (m *Model) Params() []*tensor.Param { return m.params }

// NumClasses is the number of labels of the head.
func (m *Model) NumClasses() int { return m.base.NumClasses() }

// Config returns the backbone's configuration.
func (m *Model) Config() nn.Config { return m.base.Config() }

// ClassifierHead returns the paper's head.
func (m *Model) ClassifierHead() *nn.ClassifierHead { return m.base.ClassifierHead() }

// Check validates a batch.
func (m *Model) Check(b nn.Batch) error { return m.base.Check(b) }

// InitParams re-initialises the selected parameters (all when keep is
// nil): the backbone's and head's as their constructor would, then the
// method's as Apply does.
func (m *Model) InitParams(init *rand.Rand, keep func(*tensor.Param) bool) {
	m.base.InitParams(init, keep)
	m.reg.InitSelected(init, keep)
}

// ForwardFLOPs is the backbone's cost plus the method's per-sample cost
// (the prefix MLP, run once per batch, is not counted).
func (m *Model) ForwardFLOPs(t int) float64 {
	f := m.base.ForwardFLOPs(t)
	for _, c := range m.costs {
		f += float64(c.apps) * c.f.flops(t)
	}
	return f
}

// TrainFLOPs is the backbone's training cost (its frozen weight matrices
// get no gradient; nn.BERT.TrainFLOPs) plus 3 × the method's forward cost:
// every module of the method trains.
func (m *Model) TrainFLOPs(t int) float64 {
	return m.base.TrainFLOPs(t) + 3*(m.ForwardFLOPs(t)-m.base.ForwardFLOPs(t))
}

// Pooled records the backbone with the method's modules on g.
func (m *Model) Pooled(g *tensor.Graph, b nn.Batch, train bool, rng *rand.Rand) *tensor.Tensor {
	m.st.begin(g)
	return m.base.Pooled(g, b, train, rng)
}

// LossAndGrad runs forward, mean cross-entropy and backward; gradients
// accumulate into the trainable parameters only.
func (m *Model) LossAndGrad(b nn.Batch, labels []int32, dropout *rand.Rand) (float32, error) {
	return nn.LossAndGrad(m, m.trainG, b, labels, dropout)
}

// Logits runs a forward pass without gradients.
func (m *Model) Logits(b nn.Batch, train bool, dropout *rand.Rand) (*tensor.Tensor, error) {
	return nn.LogitsOn(m, m.evalG, b, train, dropout)
}

// Forward records the classifier with the method's modules on g: logits [B,C].
func (m *Model) Forward(g *tensor.Graph, b nn.Batch, train bool, rng *rand.Rand) *tensor.Tensor {
	return m.ClassifierHead().Forward(g, m.Pooled(g, b, train, rng), train, rng)
}

// UsesDropout reports whether a training pass draws from the dropout stream
// (the backbone's, or LoRA's input dropout).
func (m *Model) UsesDropout() bool {
	c := m.Config()
	return c.HiddenDropoutProb > 0 || c.AttentionProbsDropoutProb > 0 || c.HeadDropout > 0 ||
		(m.cfg.Dropout > 0 && m.cfg.Method != IA3)
}

// Clone returns a copy with the same method, weights and trainability and
// fresh workspaces. Frozen parameters are shared with m, not copied: they
// are read-only (no strategy writes to them), and ensemble members of a
// base-size model then cost only their trainable parameters.
func (m *Model) Clone() nn.Model {
	c := m.base.Clone().(nn.Classifier)
	src := m.base.Params()
	for i, p := range c.Params() {
		if !p.Trainable {
			p.Tensor = src[i].Tensor
		}
	}
	clone, err := Apply(c, m.cfg, nil)
	if err != nil {
		panic(err) // m was built by Apply with this configuration
	}
	for i, p := range clone.reg.Params() {
		copy(p.Data, m.reg.Params()[i].Data)
	}
	return clone
}

// Count returns the number of trainable values and of all values of ps.
func Count(ps []*tensor.Param) (trainable, total int) {
	for _, p := range ps {
		total += p.Len()
		if p.Trainable {
			trainable += p.Len()
		}
	}
	return trainable, total
}
