package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/deni-project/deni/train/tensor"
)

// InitKind says how a parameter is initialised.
type InitKind uint8

const (
	InitNormal  InitKind = iota // N(0, scale²)
	InitZeros                   // 0
	InitOnes                    // 1
	InitUniform                 // U(−scale, scale)
)

// Registry collects a model's parameters in creation order, which is both
// the order of Params() and the order in which the init stream is consumed.
type Registry struct {
	params []*tensor.Param
	kinds  []InitKind
	scales []float64
	pads   []int // row zeroed after init (embedding padding_idx), or -1
}

// Add registers a trainable parameter initialised as kind says with scale
// (adapters use it too, so their draws follow the same rules and order).
func (r *Registry) Add(name string, kind InitKind, scale float64, shape ...int) *tensor.Param {
	p := tensor.NewParam(name, true, shape...)
	if kind == InitOnes { // constant inits hold even before (or without) Init
		for i := range p.Data {
			p.Data[i] = 1
		}
	}
	r.params = append(r.params, p)
	r.kinds = append(r.kinds, kind)
	r.scales = append(r.scales, scale)
	r.pads = append(r.pads, -1)
	return p
}

// Params returns the registered parameters in creation order.
func (r *Registry) Params() []*tensor.Param { return r.params }

// Init draws every parameter's initial values from rng, in creation order.
func (r *Registry) Init(rng *rand.Rand) { r.InitSelected(rng, nil) }

// InitSelected initialises only the parameters for which keep is true (all
// when keep is nil), in creation order; the others keep their values and
// consume no draws. After loading a pretrained backbone, this initialises
// the new head from the model_init stream alone.
func (r *Registry) InitSelected(rng *rand.Rand, keep func(*tensor.Param) bool) {
	for i, p := range r.params {
		if keep != nil && !keep(p) {
			continue
		}
		s := r.scales[i]
		switch r.kinds[i] {
		case InitNormal:
			for j := range p.Data {
				p.Data[j] = float32(rng.NormFloat64() * s)
			}
		case InitUniform:
			for j := range p.Data {
				p.Data[j] = float32((2*rng.Float64() - 1) * s)
			}
		case InitZeros:
			clear(p.Data)
		case InitOnes:
			for j := range p.Data {
				p.Data[j] = 1
			}
		}
		if pad := r.pads[i]; pad >= 0 {
			h := p.Shape[1]
			clear(p.Data[pad*h : (pad+1)*h])
		}
	}
}

// Linear is a dense layer y = x·Wᵀ + b with PyTorch's weight layout
// (Weight [out,in], Bias [out]; Bias may be nil).
type Linear struct {
	Weight, Bias *tensor.Param
	// Hook, when set, takes over Apply: a parameter-efficient method
	// (package peft) adds its update to the layer. Forward ignores it.
	Hook LinearHook
}

// Step is what a forward pass tells the hooks of its layers: the batch's
// padding mask ([B·T], 1 token, 0 padding; nil: no padding), whether it
// trains (dropout on) and the dropout stream (nil in evaluation).
type Step struct {
	Mask  []int32
	Train bool
	RNG   *rand.Rand
}

// LinearHook changes a Linear's forward pass: LoRA adds a low-rank update,
// IA3 rescales the input or the output (package peft). Forward returns the
// hooked output of l on x [..., in].
type LinearHook interface {
	Forward(g *tensor.Graph, l *Linear, x *tensor.Tensor, s Step) *tensor.Tensor
}

// AttentionHook replaces the scaled dot-product attention of a
// SelfAttention over its projected q, k, v [B,T,H] (prefix tuning prepends
// learned keys and values); x is the attention's input.
type AttentionHook interface {
	Attend(g *tensor.Graph, a *SelfAttention, x, q, k, v *tensor.Tensor, s Step) *tensor.Tensor
}

// OutputHook replaces a layer's last residual block LN(h + res), where h is
// the feed-forward output (after dropout) and res the block's input: a
// bottleneck adapter inserts itself there.
type OutputHook interface {
	Output(g *tensor.Graph, ln *LayerNorm, h, res *tensor.Tensor, s Step) *tensor.Tensor
}

// NewLinear registers name.weight [out,in] and name.bias [out],
// BERT-initialised (normal weight with std, zero bias) or, with torchInit,
// as PyTorch's nn.Linear default (both U(±1/√in)).
func NewLinear(r *Registry, name string, in, out int, std float64, torchInit bool) Linear {
	if torchInit {
		b := 1 / math.Sqrt(float64(in))
		return Linear{
			Weight: r.Add(name+".weight", InitUniform, b, out, in),
			Bias:   r.Add(name+".bias", InitUniform, b, out),
		}
	}
	return Linear{
		Weight: r.Add(name+".weight", InitNormal, std, out, in),
		Bias:   r.Add(name+".bias", InitZeros, 0, out),
	}
}

// Forward maps x [..., in] to [..., out].
func (l *Linear) Forward(g *tensor.Graph, x *tensor.Tensor) *tensor.Tensor {
	var b *tensor.Tensor
	if l.Bias != nil {
		b = l.Bias.Tensor
	}
	return g.Linear(x, l.Weight.Tensor, b)
}

// Apply is Forward through the layer's Hook, when it has one.
func (l *Linear) Apply(g *tensor.Graph, x *tensor.Tensor, s Step) *tensor.Tensor {
	if l.Hook != nil {
		return l.Hook.Forward(g, l, x, s)
	}
	return l.Forward(g, x)
}

// Embedding is a lookup table Weight [V,H]; row PadIdx (if ≥ 0) starts at
// zero and receives no gradient, as nn.Embedding(padding_idx=…).
type Embedding struct {
	Weight *tensor.Param
	PadIdx int
}

// NewEmbedding registers name.weight [v,h], normal with std; row pad (if ≥ 0)
// is zeroed and gets no gradient. Only graph ops write the table's gradient
// (lookups, or a tied decoder's Linear), so its rows are tracked
// (tensor.TrackGradRows): a step clears and scans only the rows it used.
// Code that writes the gradient by hand must call MarkGradWritten.
func NewEmbedding(r *Registry, name string, v, h int, std float64, pad int) Embedding {
	w := r.Add(name+".weight", InitNormal, std, v, h)
	r.pads[len(r.pads)-1] = pad
	w.TrackGradRows()
	return Embedding{Weight: w, PadIdx: pad}
}

// Forward gathers the rows of ids: out is [len(ids), H].
func (e *Embedding) Forward(g *tensor.Graph, ids []int32) *tensor.Tensor {
	return g.EmbeddingPad(e.Weight.Tensor, ids, e.PadIdx)
}

// LayerNorm normalises over the last axis with affine Weight and Bias [H].
type LayerNorm struct {
	Weight, Bias *tensor.Param
	Eps          float32
}

// NewLayerNorm registers name.weight (ones) and name.bias (zeros) of size h.
func NewLayerNorm(r *Registry, name string, h int, eps float64) LayerNorm {
	return LayerNorm{
		Weight: r.Add(name+".weight", InitOnes, 0, h),
		Bias:   r.Add(name+".bias", InitZeros, 0, h),
		Eps:    float32(eps),
	}
}

// Forward normalises x [..., H].
func (l *LayerNorm) Forward(g *tensor.Graph, x *tensor.Tensor) *tensor.Tensor {
	return g.LayerNorm(x, l.Weight.Tensor, l.Bias.Tensor, l.Eps)
}

// AddForward normalises x + res (the residual connection), fused.
func (l *LayerNorm) AddForward(g *tensor.Graph, x, res *tensor.Tensor) *tensor.Tensor {
	return g.AddLayerNorm(x, res, l.Weight.Tensor, l.Bias.Tensor, l.Eps)
}

// SelfAttention is BERT's multi-head self-attention (HF "attention.self"):
// query/key/value projections and scaled dot-product attention over
// non-padding keys, with dropout on the probabilities.
type SelfAttention struct {
	Query, Key, Value Linear
	Heads             int
	Dropout           float32
	Hook              AttentionHook // replaces the attention op when set
}

// newSelfAttention registers the query, key and value projections under
// prefix (BERT: "<layer>.attention.self", ALBERT: "<layer>.attention") for a
// valid config c.
func newSelfAttention(r *Registry, prefix string, c Config) SelfAttention {
	h, std := c.HiddenSize, c.InitializerRange
	return SelfAttention{
		Query:   NewLinear(r, prefix+".query", h, h, std, false),
		Key:     NewLinear(r, prefix+".key", h, h, std, false),
		Value:   NewLinear(r, prefix+".value", h, h, std, false),
		Heads:   c.NumAttentionHeads,
		Dropout: float32(c.AttentionProbsDropoutProb),
	}
}

// Forward maps x [B,T,H] to the attention context [B,T,H]; mask is [B·T]
// (1 token, 0 padding) or nil.
func (a *SelfAttention) Forward(g *tensor.Graph, x *tensor.Tensor, mask []int32, train bool, rng *rand.Rand) *tensor.Tensor {
	s := Step{Mask: mask, Train: train, RNG: rng}
	q := a.Query.Apply(g, x, s)
	k := a.Key.Apply(g, x, s)
	v := a.Value.Apply(g, x, s)
	if a.Hook != nil {
		return a.Hook.Attend(g, a, x, q, k, v, s)
	}
	return g.Attention(q, k, v, mask, a.Heads, a.Dropout, train, rng)
}

// FeedForward is the position-wise block act(x·W1ᵀ + b1)·W2ᵀ + b2 (HF
// "intermediate.dense" and "output.dense").
type FeedForward struct {
	Intermediate Linear
	Output       Linear
	Act          Activation
}

// newFeedForward registers the Linear layers H → I (named intermediate) and
// I → H (named output) of a valid config c.
func newFeedForward(r *Registry, intermediate, output string, c Config) FeedForward {
	act, _ := c.Activation()
	h, std := c.HiddenSize, c.InitializerRange
	return FeedForward{
		Intermediate: NewLinear(r, intermediate, h, c.IntermediateSize, std, false),
		Output:       NewLinear(r, output, c.IntermediateSize, h, std, false),
		Act:          act,
	}
}

// Forward maps x [..., H] to [..., H] (before dropout and the residual).
func (f *FeedForward) Forward(g *tensor.Graph, x *tensor.Tensor) *tensor.Tensor {
	return f.Apply(g, x, Step{})
}

// Apply is Forward with the layers' hooks, in the forward pass s.
func (f *FeedForward) Apply(g *tensor.Graph, x *tensor.Tensor, s Step) *tensor.Tensor {
	h := f.Intermediate.Apply(g, x, s)
	switch f.Act {
	case GELU:
		h = g.GELU(h)
	case GELUTanh:
		h = g.GELUTanh(h)
	case ReLU:
		h = g.ReLU(h)
	}
	return f.Output.Apply(g, h, s)
}

// EncoderLayer is a post-LayerNorm transformer layer (BERT):
// a = LN(x + dropout(dense(attention(x)))); out = LN(a + dropout(ffn(a))).
type EncoderLayer struct {
	Attention     SelfAttention
	AttnOutput    Linear    // attention.output.dense
	AttnLayerNorm LayerNorm // attention.output.LayerNorm
	FFN           FeedForward
	OutLayerNorm  LayerNorm  // output.LayerNorm
	Dropout       float32    // hidden dropout
	OutHook       OutputHook // replaces the last residual block when set
}

// NewEncoderLayer registers the parameters of layer prefix (e.g.
// "encoder.layer.0") with HF names, in HF order. c must be valid.
func NewEncoderLayer(r *Registry, prefix string, c Config) EncoderLayer {
	h, std := c.HiddenSize, c.InitializerRange
	l := EncoderLayer{Dropout: float32(c.HiddenDropoutProb)}
	l.Attention = newSelfAttention(r, prefix+".attention.self", c)
	l.AttnOutput = NewLinear(r, prefix+".attention.output.dense", h, h, std, false)
	l.AttnLayerNorm = NewLayerNorm(r, prefix+".attention.output.LayerNorm", h, c.LayerNormEps)
	l.FFN = newFeedForward(r, prefix+".intermediate.dense", prefix+".output.dense", c)
	l.OutLayerNorm = NewLayerNorm(r, prefix+".output.LayerNorm", h, c.LayerNormEps)
	return l
}

// Forward maps x [B,T,H] to [B,T,H]; mask is [B·T] (1 token, 0 padding) or nil.
func (l *EncoderLayer) Forward(g *tensor.Graph, x *tensor.Tensor, mask []int32, train bool, rng *rand.Rand) *tensor.Tensor {
	s := Step{Mask: mask, Train: train, RNG: rng}
	ctx := l.Attention.Forward(g, x, mask, train, rng)
	a := g.Dropout(l.AttnOutput.Apply(g, ctx, s), l.Dropout, train, rng)
	a = l.AttnLayerNorm.AddForward(g, a, x)
	f := g.Dropout(l.FFN.Apply(g, a, s), l.Dropout, train, rng)
	if l.OutHook != nil {
		return l.OutHook.Output(g, &l.OutLayerNorm, f, a, s)
	}
	return l.OutLayerNorm.AddForward(g, f, a)
}

// Encoder is a stack of encoder layers ("encoder.layer.{i}").
type Encoder struct {
	Layers []EncoderLayer
}

// NewEncoder registers c.NumHiddenLayers layers under prefix ("encoder").
func NewEncoder(r *Registry, prefix string, c Config) Encoder {
	var e Encoder
	for i := 0; i < c.NumHiddenLayers; i++ {
		e.Layers = append(e.Layers, NewEncoderLayer(r, prefix+".layer."+strconv.Itoa(i), c))
	}
	return e
}

// Forward runs x [B,T,H] through every layer.
func (e *Encoder) Forward(g *tensor.Graph, x *tensor.Tensor, mask []int32, train bool, rng *rand.Rand) *tensor.Tensor {
	for i := range e.Layers {
		x = e.Layers[i].Forward(g, x, mask, train, rng)
	}
	return x
}

// Embeddings is BERT's input block: LN(word + position + token type), then
// dropout ("embeddings.*"). RoBERTa's variant (PaddingPositions) numbers
// positions from pad_token_id + 1 over the non-padding tokens, as HF's
// create_position_ids_from_input_ids, and its position table has a padding
// row too.
type Embeddings struct {
	Word      Embedding // word_embeddings
	Position  Embedding // position_embeddings (learned, absolute)
	TokenType Embedding // token_type_embeddings; nil Weight when there are none
	LayerNorm LayerNorm
	Dropout   float32
	// PaddingPositions selects RoBERTa's position ids: padding_idx + the
	// running count of non-padding tokens, and padding_idx at padding.
	PaddingPositions bool
	PadID            int32

	positions []int32 // 0, 1, …, max_position_embeddings−1
	zeroType  []int32 // {0}: the token type of every token when none is given
}

// NewEmbeddings registers the embedding block under prefix ("embeddings")
// with width c.HiddenSize.
func NewEmbeddings(r *Registry, prefix string, c Config) Embeddings {
	return NewEmbeddingsDim(r, prefix, c, c.HiddenSize, false)
}

// NewEmbeddingsDim registers the embedding block with width dim (ALBERT's
// embedding_size); roberta selects RoBERTa's position ids, whose table
// row pad_token_id is a padding row (zero, no gradient).
func NewEmbeddingsDim(r *Registry, prefix string, c Config, dim int, roberta bool) Embeddings {
	std := c.InitializerRange
	e := Embeddings{Dropout: float32(c.HiddenDropoutProb), zeroType: []int32{0}, PaddingPositions: roberta, PadID: int32(c.PadTokenID)}
	e.Word = NewEmbedding(r, prefix+".word_embeddings", c.VocabSize, dim, std, c.PadTokenID)
	posPad := -1
	if roberta {
		posPad = c.PadTokenID
	}
	e.Position = NewEmbedding(r, prefix+".position_embeddings", c.MaxPositionEmbeddings, dim, std, posPad)
	e.TokenType.PadIdx = -1
	if c.TypeVocabSize > 0 {
		e.TokenType = NewEmbedding(r, prefix+".token_type_embeddings", c.TypeVocabSize, dim, std, -1)
	}
	e.LayerNorm = NewLayerNorm(r, prefix+".LayerNorm", dim, c.LayerNormEps)
	e.positions = make([]int32, c.MaxPositionEmbeddings)
	for i := range e.positions {
		e.positions[i] = int32(i)
	}
	return e
}

// positionIDs returns RoBERTa's [B·T] position ids: a token that is not
// padding (mask 1 and id ≠ pad) at running count k gets pad+k, padding gets
// pad. With right padding this equals HF's ids computed from input_ids.
func (e *Embeddings) positionIDs(g *tensor.Graph, b Batch) []int32 {
	pos := g.Arena().Ints(b.B * b.T)
	for i := 0; i < b.B; i++ {
		k := e.PadID
		for j := 0; j < b.T; j++ {
			n := i*b.T + j
			if b.IDs[n] != e.PadID && (b.Mask == nil || b.Mask[n] != 0) {
				k++
				pos[n] = k
			} else {
				pos[n] = e.PadID
			}
		}
	}
	return pos
}

// Forward embeds a valid batch: out is [B,T,dim].
func (e *Embeddings) Forward(g *tensor.Graph, b Batch, train bool, rng *rand.Rand) *tensor.Tensor {
	h := e.Word.Weight.Shape[1]
	words := b.Words
	if words == nil {
		words = e.Word.Forward(g, b.IDs)
	} else if len(words.Data) != b.B*b.T*h {
		panic(fmt.Sprintf("nn: batch words have %d values for [%d,%d,%d]", len(words.Data), b.B, b.T, h))
	}
	x := g.Reshape(words, b.B, b.T, h)
	if e.PaddingPositions {
		x = g.Add(x, g.Reshape(e.Position.Forward(g, e.positionIDs(g, b)), b.B, b.T, h))
	} else {
		x = g.Add(x, e.Position.Forward(g, e.positions[:b.T])) // [T,H] broadcast over B
	}
	if e.TokenType.Weight != nil {
		if b.TypeIDs == nil {
			x = g.Add(x, e.TokenType.Forward(g, e.zeroType)) // [1,H] broadcast
		} else {
			x = g.Add(x, g.Reshape(e.TokenType.Forward(g, b.TypeIDs), b.B, b.T, h))
		}
	}
	return g.Dropout(e.LayerNorm.Forward(g, x), e.Dropout, train, rng)
}

// Pooler is BERT's pooler: tanh(dense(first token)) ("pooler.dense").
type Pooler struct {
	Dense Linear
}

// Forward maps the sequence output [B,T,H] to the pooled output [B,H].
func (p *Pooler) Forward(g *tensor.Graph, x *tensor.Tensor) *tensor.Tensor {
	return g.Tanh(p.Dense.Forward(g, g.FirstToken(x)))
}

// ClassifierHead is the paper's head: Dropout(p) → Linear (modules "dropout"
// and "output").
type ClassifierHead struct {
	Dropout float32
	Output  Linear
}

// NewClassifierHead registers "output.weight" and "output.bias" for c.NumLabels
// classes, initialised as c.HeadInit says.
func NewClassifierHead(r *Registry, c Config) ClassifierHead {
	return ClassifierHead{
		Dropout: float32(c.HeadDropout),
		Output:  NewLinear(r, "output", c.HiddenSize, c.NumLabels, c.InitializerRange, c.HeadInit != "bert"),
	}
}

// Forward maps pooled [B,H] to logits [B,C].
func (h *ClassifierHead) Forward(g *tensor.Graph, pooled *tensor.Tensor, train bool, rng *rand.Rand) *tensor.Tensor {
	return h.Output.Forward(g, g.Dropout(pooled, h.Dropout, train, rng))
}
