package nn

import (
	"math/rand/v2"

	"github.com/deni-project/deni/train/tensor"
)

// BERT is a BERT encoder with the paper's classifier head: embeddings
// (word + learned position + token type, LayerNorm, dropout), post-LN
// encoder layers, a tanh pooler over the first token, and
// Dropout(HeadDropout) → Linear. With Cfg.ModelType "roberta" it is
// RoBERTa: the same layers and names, position ids counted from
// pad_token_id + 1 over the non-padding tokens (see NewRoBERTa).
type BERT struct {
	Cfg        Config
	Embeddings Embeddings
	Encoder    Encoder
	Pooler     Pooler
	Head       ClassifierHead

	reg    Registry
	trainG *tensor.Graph
	evalG  *tensor.Graph
}

// NewBERT builds a BERT classifier for a valid config and draws its initial
// weights from init (normal(0, initializer_range) for Linear and Embedding
// weights, zero biases, LayerNorm 1/0, the head as HeadInit says), in the
// order of Params. With a nil init no draw is made: random weights are zero,
// LayerNorm weights one (load a checkpoint, then InitParams what it lacks).
func NewBERT(cfg Config, init *rand.Rand) (*BERT, error) {
	m, err := newBERT(cfg)
	if err != nil {
		return nil, err
	}
	if init != nil {
		m.reg.Init(init)
	}
	return m, nil
}

// NewRoBERTa builds a RoBERTa classifier (HF RobertaModel + the paper's
// head): BERT's layers and parameter names, with position ids
// pad_token_id + 1 + the count of preceding non-padding tokens, a padding
// row in the position table, and usually type_vocab_size 1 and
// layer_norm_eps 1e-5 (from the config). The pooler of roberta-base is not
// pre-trained: load a checkpoint, then InitParams what it lacks.
func NewRoBERTa(cfg Config, init *rand.Rand) (*BERT, error) {
	cfg.ModelType = "roberta"
	return NewBERT(cfg, init)
}

// InitParams re-initialises the parameters selected by keep (all when nil)
// from init, in Params order, as NewBERT would.
func (m *BERT) InitParams(init *rand.Rand, keep func(*tensor.Param) bool) {
	m.reg.InitSelected(init, keep)
}

// newBERT builds the structure with deterministic (non-random) weights.
func newBERT(c Config) (*BERT, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	m := &BERT{Cfg: c, trainG: tensor.NewGraph(), evalG: tensor.NewGraph()}
	m.evalG.SetNoGrad(true)
	r := &m.reg
	m.Embeddings = NewEmbeddingsDim(r, "embeddings", c, c.HiddenSize, c.ModelType == "roberta")
	m.Encoder = NewEncoder(r, "encoder", c)
	m.Pooler = Pooler{Dense: NewLinear(r, "pooler.dense", c.HiddenSize, c.HiddenSize, c.InitializerRange, false)}
	m.Head = NewClassifierHead(r, c)
	return m, nil
}

// Params lists the parameters in HF order, the head ("output.*") last.
func (m *BERT) Params() []*tensor.Param { return m.reg.Params() }

// NumClasses is the number of labels of the head.
func (m *BERT) NumClasses() int { return m.Cfg.NumLabels }

// Clone returns a copy with the same weights and trainability and fresh
// workspaces.
func (m *BERT) Clone() Model {
	c, err := newBERT(m.Cfg)
	if err != nil {
		panic(err) // m.Cfg was valid when m was built
	}
	copyParams(c.Params(), m.Params())
	return c
}

// Forward records the classifier's forward pass on g and returns the logits
// [B,C]. The batch must be valid (LossAndGrad and Logits check it); it is
// referenced, not copied, until g is reset.
func (m *BERT) Forward(g *tensor.Graph, b Batch, train bool, rng *rand.Rand) *tensor.Tensor {
	return m.Head.Forward(g, m.Pooled(g, b, train, rng), train, rng)
}

func (m *BERT) check(b Batch) error {
	return b.check(m.Cfg.VocabSize, m.Cfg.TypeVocabSize, m.Cfg.maxSeqLen())
}

// Config returns the model's configuration.
func (m *BERT) Config() Config { return m.Cfg }

// Pooled records the backbone on g (embeddings, encoder, tanh pooler over
// the first token) and returns the pooled output [B,H], before the head.
func (m *BERT) Pooled(g *tensor.Graph, b Batch, train bool, rng *rand.Rand) *tensor.Tensor {
	x := m.Embeddings.Forward(g, b, train, rng)
	x = m.Encoder.Forward(g, x, b.Mask, train, rng)
	return m.Pooler.Forward(g, x)
}

// ClassifierHead returns the paper's head (Dropout → Linear "output").
func (m *BERT) ClassifierHead() *ClassifierHead { return &m.Head }

// Check validates a batch against the model's vocabulary and positions.
func (m *BERT) Check(b Batch) error { return m.check(b) }

// ForwardFLOPs counts the multiply-adds (×2) of one sample's forward pass of
// t tokens: per layer the Q, K, V and output projections (4·H²), the
// feed-forward (2·H·I) and attention scores and mixing (2·t·H) per token;
// then the pooler and the head.
func (m *BERT) ForwardFLOPs(t int) float64 {
	c := m.Cfg
	h, i, l := float64(c.HiddenSize), float64(c.IntermediateSize), float64(c.NumHiddenLayers)
	tt := float64(t)
	perToken := l * (4*h*h + 2*h*i + 2*tt*h)
	return 2*tt*perToken + 2*h*h + 2*h*float64(c.NumLabels)
}

// TrainFLOPs counts one sample's forward and backward pass of t tokens:
// backward costs twice the forward (the gradients of both operands of
// every product), except that a frozen weight matrix gets no gradient, so
// its product costs the forward once more (its input's gradient) instead
// of twice. Full fine-tuning: 3 × ForwardFLOPs; a frozen backbone (PEFT)
// saves one forward of every dense layer. (The embeddings' lookups and the
// input gradient of the lowest frozen layer are not counted apart.)
func (m *BERT) TrainFLOPs(t int) float64 {
	tt := float64(t)
	f := 3*m.ForwardFLOPs(t) - frozenWeightFLOPs(1, &m.Pooler.Dense, &m.Head.Output)
	for i := range m.Encoder.Layers {
		l := &m.Encoder.Layers[i]
		f -= frozenWeightFLOPs(tt, &l.Attention.Query, &l.Attention.Key, &l.Attention.Value, &l.AttnOutput, &l.FFN.Intermediate, &l.FFN.Output)
	}
	return f
}

// frozenWeightFLOPs is the forward cost of the products with the frozen
// weight matrices among ls, each applied to rows inputs: what their
// weights' gradients would have cost.
func frozenWeightFLOPs(rows float64, ls ...*Linear) float64 {
	f := 0.0
	for _, l := range ls {
		if !l.Weight.Trainable {
			f += 2 * rows * float64(l.Weight.Len())
		}
	}
	return f
}

// LossAndGrad runs forward, mean cross-entropy and backward on the model's
// training workspace; gradients accumulate into the trainable parameters.
func (m *BERT) LossAndGrad(b Batch, labels []int32, dropout *rand.Rand) (float32, error) {
	return LossAndGrad(m, m.trainG, b, labels, dropout)
}

// Logits runs a forward pass without gradients on the evaluation workspace.
func (m *BERT) Logits(b Batch, train bool, dropout *rand.Rand) (*tensor.Tensor, error) {
	return LogitsOn(m, m.evalG, b, train, dropout)
}

// copyParams gives dst (a freshly built model's parameters) src's values and
// trainability, parameter by parameter.
func copyParams(dst, src []*tensor.Param) {
	for i, p := range dst {
		p.SetTrainable(src[i].Trainable)
		copy(p.Data, src[i].Data)
	}
}
