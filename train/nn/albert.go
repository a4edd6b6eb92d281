package nn

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/deni-project/deni/train/tensor"
)

// Classifier is an encoder classifier in the paper's shape: a backbone whose
// pooler output feeds the head Dropout → Linear "output". BERT, RoBERTa
// (both *BERT) and ALBERT implement it; the training adapter and the
// inspection command use only this view.
type Classifier interface {
	Model
	// Config returns the model's configuration.
	Config() Config
	// Pooled records the backbone's forward pass on g and returns the
	// pooler output [B,H] (before the head). The batch must be valid (see
	// Check).
	Pooled(g *tensor.Graph, b Batch, train bool, rng *rand.Rand) *tensor.Tensor
	// ClassifierHead is the head on top of Pooled.
	ClassifierHead() *ClassifierHead
	// Check validates a batch against the vocabulary and position table.
	Check(b Batch) error
	// InitParams re-initialises the parameters selected by keep (all when
	// nil) from init, in Params order, as the constructor would.
	InitParams(init *rand.Rand, keep func(*tensor.Param) bool)
	// ForwardFLOPs is the analytic cost of one sample's forward pass of t
	// tokens (multiply-adds count 2).
	ForwardFLOPs(t int) float64
	// TrainFLOPs is the analytic cost of one sample's training pass,
	// forward and backward (see BERT.TrainFLOPs).
	TrainFLOPs(t int) float64
}

var (
	_ Classifier = (*BERT)(nil)
	_ Classifier = (*ALBERT)(nil)
)

// New builds the classifier that cfg.ModelType names ("bert" or "",
// "roberta", "albert"), drawing its weights from init (nil: no draws).
func New(cfg Config, init *rand.Rand) (Classifier, error) {
	switch cfg.ModelType {
	case "", "bert":
		return NewBERT(cfg, init)
	case "roberta":
		return NewRoBERTa(cfg, init)
	case "albert":
		return NewALBERT(cfg, init)
	}
	return nil, fmt.Errorf("nn: unsupported model_type %q (bert, roberta, albert)", cfg.ModelType)
}

// ALBERTLayer is one ALBERT layer (HF AlbertLayer), post-LN like BERT's
// but with its own names: attention.{query,key,value,dense,LayerNorm},
// ffn, ffn_output, full_layer_layer_norm. As in HF, dropout applies to the
// attention probabilities and the attention output, not to the FFN output.
type ALBERTLayer struct {
	Attention     SelfAttention
	AttnOutput    Linear    // attention.dense
	AttnLayerNorm LayerNorm // attention.LayerNorm
	FFN           FeedForward
	OutLayerNorm  LayerNorm // full_layer_layer_norm
	Dropout       float32
	OutHook       OutputHook // replaces the last residual block when set
}

// NewALBERTLayer registers the parameters of an ALBERT layer under prefix
// (e.g. "encoder.albert_layer_groups.0.albert_layers.0"), in HF order.
func NewALBERTLayer(r *Registry, prefix string, c Config) ALBERTLayer {
	h, std := c.HiddenSize, c.InitializerRange
	l := ALBERTLayer{Dropout: float32(c.HiddenDropoutProb)}
	l.OutLayerNorm = NewLayerNorm(r, prefix+".full_layer_layer_norm", h, c.LayerNormEps)
	l.Attention = newSelfAttention(r, prefix+".attention", c)
	l.AttnOutput = NewLinear(r, prefix+".attention.dense", h, h, std, false)
	l.AttnLayerNorm = NewLayerNorm(r, prefix+".attention.LayerNorm", h, c.LayerNormEps)
	l.FFN = newFeedForward(r, prefix+".ffn", prefix+".ffn_output", c)
	return l
}

// Forward maps x [B,T,H] to [B,T,H]:
// a = LN(x + dropout(dense(attention(x)))); out = LN(a + ffn(a)).
func (l *ALBERTLayer) Forward(g *tensor.Graph, x *tensor.Tensor, mask []int32, train bool, rng *rand.Rand) *tensor.Tensor {
	s := Step{Mask: mask, Train: train, RNG: rng}
	ctx := l.Attention.Forward(g, x, mask, train, rng)
	a := g.Dropout(l.AttnOutput.Apply(g, ctx, s), l.Dropout, train, rng)
	a = l.AttnLayerNorm.AddForward(g, a, x)
	f := l.FFN.Apply(g, a, s)
	if l.OutHook != nil {
		return l.OutHook.Output(g, &l.OutLayerNorm, f, a, s)
	}
	return l.OutLayerNorm.AddForward(g, f, a)
}

// ALBERT is an ALBERT encoder (HF AlbertModel) with the paper's head:
// factorised embeddings of width embedding_size, mapped to hidden_size by
// encoder.embedding_hidden_mapping_in; num_hidden_groups groups of
// inner_group_num layers, group i·groups/layers applied at layer i, so the
// parameters are shared across layers and their gradients add up; a tanh
// pooler "pooler" over the first token; Dropout → Linear "output".
type ALBERT struct {
	Cfg        Config
	Embeddings Embeddings
	MapIn      Linear          // encoder.embedding_hidden_mapping_in
	Groups     [][]ALBERTLayer // encoder.albert_layer_groups.{g}.albert_layers.{i}
	Pooler     Linear          // pooler
	Head       ClassifierHead

	reg    Registry
	trainG *tensor.Graph
	evalG  *tensor.Graph
}

// NewALBERT builds an ALBERT classifier for a valid config (ModelType
// "albert") and draws its weights from init in Params order (nil: no draws,
// as NewBERT).
func NewALBERT(cfg Config, init *rand.Rand) (*ALBERT, error) {
	cfg.ModelType = "albert"
	if cfg.EmbeddingSize == 0 {
		cfg.EmbeddingSize = 128
	}
	if cfg.NumHiddenGroups == 0 {
		cfg.NumHiddenGroups = 1
	}
	if cfg.InnerGroupNum == 0 {
		cfg.InnerGroupNum = 1
	}
	m, err := newALBERT(cfg)
	if err != nil {
		return nil, err
	}
	if init != nil {
		m.reg.Init(init)
	}
	return m, nil
}

func newALBERT(c Config) (*ALBERT, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	m := &ALBERT{Cfg: c, trainG: tensor.NewGraph(), evalG: tensor.NewGraph()}
	m.evalG.SetNoGrad(true)
	r := &m.reg
	std := c.InitializerRange
	m.Embeddings = NewEmbeddingsDim(r, "embeddings", c, c.EmbeddingSize, false)
	m.MapIn = NewLinear(r, "encoder.embedding_hidden_mapping_in", c.EmbeddingSize, c.HiddenSize, std, false)
	for gi := 0; gi < c.NumHiddenGroups; gi++ {
		var layers []ALBERTLayer
		for li := 0; li < c.InnerGroupNum; li++ {
			prefix := "encoder.albert_layer_groups." + strconv.Itoa(gi) + ".albert_layers." + strconv.Itoa(li)
			layers = append(layers, NewALBERTLayer(r, prefix, c))
		}
		m.Groups = append(m.Groups, layers)
	}
	m.Pooler = NewLinear(r, "pooler", c.HiddenSize, c.HiddenSize, std, false)
	m.Head = NewClassifierHead(r, c)
	return m, nil
}

// Params lists the parameters in HF order (AlbertModel without the
// "albert." prefix), the head ("output.*") last.
func (m *ALBERT) Params() []*tensor.Param { return m.reg.Params() }

// NumClasses is the number of labels of the head.
func (m *ALBERT) NumClasses() int { return m.Cfg.NumLabels }

// Config returns the model's configuration.
func (m *ALBERT) Config() Config { return m.Cfg }

// ClassifierHead returns the paper's head.
func (m *ALBERT) ClassifierHead() *ClassifierHead { return &m.Head }

// InitParams re-initialises the parameters selected by keep (all when nil).
func (m *ALBERT) InitParams(init *rand.Rand, keep func(*tensor.Param) bool) {
	m.reg.InitSelected(init, keep)
}

// Clone returns a copy with the same weights and trainability and fresh
// workspaces.
func (m *ALBERT) Clone() Model {
	c, err := newALBERT(m.Cfg)
	if err != nil {
		panic(err) // m.Cfg was valid when m was built
	}
	copyParams(c.Params(), m.Params())
	return c
}

// Check validates a batch.
func (m *ALBERT) Check(b Batch) error {
	return b.check(m.Cfg.VocabSize, m.Cfg.TypeVocabSize, m.Cfg.maxSeqLen())
}

// Pooled records the backbone and returns tanh(pooler(first token)) [B,H].
func (m *ALBERT) Pooled(g *tensor.Graph, b Batch, train bool, rng *rand.Rand) *tensor.Tensor {
	x := m.Embeddings.Forward(g, b, train, rng)
	x = m.MapIn.Forward(g, x)
	c := m.Cfg
	for i := 0; i < c.NumHiddenLayers; i++ {
		group := m.Groups[i/(c.NumHiddenLayers/c.NumHiddenGroups)]
		for j := range group {
			x = group[j].Forward(g, x, b.Mask, train, rng)
		}
	}
	return g.Tanh(m.Pooler.Forward(g, g.FirstToken(x)))
}

// Forward records the classifier's forward pass and returns logits [B,C].
func (m *ALBERT) Forward(g *tensor.Graph, b Batch, train bool, rng *rand.Rand) *tensor.Tensor {
	return m.Head.Forward(g, m.Pooled(g, b, train, rng), train, rng)
}

// LossAndGrad runs forward, mean cross-entropy and backward; gradients of
// the shared layers accumulate over their applications.
func (m *ALBERT) LossAndGrad(b Batch, labels []int32, dropout *rand.Rand) (float32, error) {
	return LossAndGrad(m, m.trainG, b, labels, dropout)
}

// Logits runs a forward pass without gradients.
func (m *ALBERT) Logits(b Batch, train bool, dropout *rand.Rand) (*tensor.Tensor, error) {
	return LogitsOn(m, m.evalG, b, train, dropout)
}

// ForwardFLOPs: the embedding mapping (2·E·H per token), num_hidden_layers
// layer applications as BERT's (shared weights still cost compute), the
// pooler and the head.
func (m *ALBERT) ForwardFLOPs(t int) float64 {
	c := m.Cfg
	h, i, l, e := float64(c.HiddenSize), float64(c.IntermediateSize), float64(c.NumHiddenLayers*c.InnerGroupNum), float64(c.EmbeddingSize)
	tt := float64(t)
	perToken := 2*e*h + l*2*(4*h*h+2*h*i+2*tt*h)
	return tt*perToken + 2*h*h + 2*h*float64(c.NumLabels)
}

// TrainFLOPs: as BERT.TrainFLOPs; a shared layer's frozen weights save
// their gradient at each of its applications.
func (m *ALBERT) TrainFLOPs(t int) float64 {
	tt := float64(t)
	f := 3*m.ForwardFLOPs(t) - frozenWeightFLOPs(tt, &m.MapIn) - frozenWeightFLOPs(1, &m.Pooler, &m.Head.Output)
	apps := float64(m.Cfg.NumHiddenLayers / len(m.Groups))
	for _, group := range m.Groups {
		for i := range group {
			l := &group[i]
			f -= apps * frozenWeightFLOPs(tt, &l.Attention.Query, &l.Attention.Key, &l.Attention.Value, &l.AttnOutput, &l.FFN.Intermediate, &l.FFN.Output)
		}
	}
	return f
}

func checkLabels(labels []int32, n, classes int) error {
	if len(labels) != n {
		return fmt.Errorf("nn: %d labels for a batch of %d", len(labels), n)
	}
	for _, y := range labels {
		if y < 0 || int(y) >= classes {
			return fmt.Errorf("nn: label %d outside [0,%d)", y, classes)
		}
	}
	return nil
}

func hasDropout(c Config) bool {
	return c.HiddenDropoutProb > 0 || c.AttentionProbsDropoutProb > 0 || c.HeadDropout > 0
}

// Forwarder is what the shared training and evaluation passes need of a
// classifier (BERT, ALBERT, and PEFT-wrapped models).
type Forwarder interface {
	Check(b Batch) error
	NumClasses() int
	// UsesDropout reports whether a training pass draws from the dropout stream.
	UsesDropout() bool
	Forward(g *tensor.Graph, b Batch, train bool, rng *rand.Rand) *tensor.Tensor
}

// LossAndGrad validates the batch and labels, then runs forward, mean
// cross-entropy and backward on g (a training workspace).
func LossAndGrad(m Forwarder, g *tensor.Graph, b Batch, labels []int32, dropout *rand.Rand) (float32, error) {
	if err := m.Check(b); err != nil {
		return 0, err
	}
	if err := checkLabels(labels, b.B, m.NumClasses()); err != nil {
		return 0, err
	}
	if dropout == nil && m.UsesDropout() {
		return 0, fmt.Errorf("nn: training needs a dropout stream")
	}
	g.Reset()
	loss := g.CrossEntropy(m.Forward(g, b, true, dropout), labels)
	g.Backward(loss)
	return loss.Data[0], nil
}

// LogitsOn validates the batch and runs a forward pass on g (an evaluation
// workspace without gradients).
func LogitsOn(m Forwarder, g *tensor.Graph, b Batch, train bool, dropout *rand.Rand) (*tensor.Tensor, error) {
	if err := m.Check(b); err != nil {
		return nil, err
	}
	if train && dropout == nil && m.UsesDropout() {
		return nil, fmt.Errorf("nn: a training-mode forward needs a dropout stream")
	}
	g.Reset()
	return m.Forward(g, b, train, dropout), nil
}

// UsesDropout reports whether a training pass draws from the dropout stream.
func (m *ALBERT) UsesDropout() bool { return hasDropout(m.Cfg) }

// UsesDropout reports whether a training pass draws from the dropout stream.
func (m *BERT) UsesDropout() bool { return hasDropout(m.Cfg) }
