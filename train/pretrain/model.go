package pretrain

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/tensor"
)

// HF names of the masked-language-model head (BertForMaskedLM); the
// decoder weight is tied to bert.embeddings.word_embeddings.weight and the
// decoder bias is cls.predictions.bias, so neither is stored twice.
const (
	hfPrefix    = "bert."
	headPrefix  = "cls.predictions."
	transformLN = "cls.predictions.transform.LayerNorm"
	transformFC = "cls.predictions.transform.dense"
	decoderBias = "cls.predictions.bias"
	decoderW    = "cls.predictions.decoder.weight"
)

// Model is a BERT encoder with BERT's masked-language-model head:
// transform (dense → activation → LayerNorm), then a decoder tied to the
// word embeddings plus a per-token bias. The pooler and the classifier head
// of the wrapped nn.BERT are not trained (MLM alone, no next-sentence task)
// and not saved: fine-tuning initialises them.
type Model struct {
	Cfg  nn.Config
	BERT *nn.BERT

	Transform nn.Linear
	LayerNorm nn.LayerNorm
	Bias      *tensor.Param
	// Decoder is the output embedding of an untied model (Untie); nil: the
	// decoder is the word-embedding matrix.
	Decoder *tensor.Param

	head   nn.Registry
	params []*tensor.Param // trained parameters, in a fixed order
	act    nn.Activation
	g      *tensor.Graph
	gather gatherOp
}

// NewModel builds the model for cfg (NumLabels is forced to 1; the
// classifier head is unused) and draws every weight from init in a fixed
// order: the BERT backbone (nn.NewBERT's order), then the MLM head. With a
// nil init nothing is drawn (load weights afterwards).
func NewModel(cfg nn.Config, init *rand.Rand) (*Model, error) {
	cfg.NumLabels, cfg.HeadDropout, cfg.HeadInit = 1, 0, "bert"
	if cfg.ModelType == "" {
		cfg.ModelType = "bert"
	}
	if cfg.ModelType != "bert" {
		return nil, fmt.Errorf("pretrain: model_type %q: only bert is supported", cfg.ModelType)
	}
	b, err := nn.NewBERT(cfg, init)
	if err != nil {
		return nil, err
	}
	act, err := cfg.Activation()
	if err != nil {
		return nil, err
	}
	m := &Model{Cfg: cfg, BERT: b, act: act, g: tensor.NewGraph()}
	h := cfg.HiddenSize
	m.Transform = nn.NewLinear(&m.head, transformFC, h, h, cfg.InitializerRange, false)
	m.LayerNorm = nn.NewLayerNorm(&m.head, transformLN, h, cfg.LayerNormEps)
	if init != nil {
		m.head.Init(init)
	}
	m.Bias = tensor.NewParam(decoderBias, true, cfg.VocabSize)
	for _, p := range b.Params() {
		if strings.HasPrefix(p.Name, "pooler.") || strings.HasPrefix(p.Name, "output.") {
			p.SetTrainable(false)
			continue
		}
		m.params = append(m.params, p)
	}
	m.params = append(m.params, m.head.Params()...)
	m.params = append(m.params, m.Bias)
	return m, nil
}

// Untie gives the model its own decoder matrix, a copy of the word
// embeddings as they are now (after GloVe initialisation), so that a word's
// input row gets a gradient only where the word is in the input: tied, the
// softmax over the vocabulary moves every row at every step.
func (m *Model) Untie() {
	if m.Decoder != nil {
		return
	}
	w := m.BERT.Embeddings.Word.Weight
	m.Decoder = tensor.NewParam(decoderW, true, w.Shape...)
	copy(m.Decoder.Data, w.Data)
	m.params = append(m.params, m.Decoder)
}

// scaleDecoderRows multiplies the untied decoder's rows by s.
func (m *Model) scaleDecoderRows(rows []int32, s float32) {
	h := m.Decoder.Shape[1]
	for _, r := range rows {
		for j := range m.Decoder.Data[int(r)*h : (int(r)+1)*h] {
			m.Decoder.Data[int(r)*h+j] *= s
		}
	}
}

// Params lists the trained parameters: the backbone without the pooler
// (internal names, e.g. "embeddings.word_embeddings.weight"), then the MLM
// head (HF names "cls.predictions.*").
func (m *Model) Params() []*tensor.Param { return m.params }

// HFName is the name of parameter p in a Hugging Face BertForMaskedLM
// checkpoint.
func HFName(p *tensor.Param) string {
	if strings.HasPrefix(p.Name, headPrefix) {
		return p.Name
	}
	return hfPrefix + p.Name
}

// HFParams returns the parameters under their HF names (views sharing the
// data), for checkpoint.Save.
func (m *Model) HFParams() []*tensor.Param {
	out := make([]*tensor.Param, len(m.params))
	for i, p := range m.params {
		out[i] = &tensor.Param{Tensor: &tensor.Tensor{Shape: p.Shape, Data: p.Data}, Name: HFName(p)}
	}
	return out
}

// Assign copies tensors keyed by HF names into the model (every trained
// parameter must be present with its shape).
func (m *Model) Assign(ts map[string]*tensor.Tensor) error {
	for _, p := range m.params {
		t, ok := ts[HFName(p)]
		if !ok {
			return fmt.Errorf("pretrain: checkpoint lacks %s", HFName(p))
		}
		if len(t.Data) != len(p.Data) {
			return fmt.Errorf("pretrain: %s has shape %v in the checkpoint, %v in the model", HFName(p), t.Shape, p.Shape)
		}
	}
	for _, p := range m.params {
		copy(p.Data, ts[HFName(p)].Data)
	}
	return nil
}

// InitFromVectors sets the first len(vec) dims of the word embedding of
// every token for which vector returns one, scaled by scale; the other dims
// keep their random initialisation. It returns the ids of the rows it set.
func (m *Model) InitFromVectors(vocab []string, vector func(string) ([]float32, bool), scale float32) []int32 {
	w := m.BERT.Embeddings.Word.Weight
	h := w.Shape[1]
	var rows []int32
	for id, tok := range vocab {
		if id < len(Specials) || strings.HasPrefix(tok, "##") {
			continue
		}
		v, ok := vector(tok)
		if !ok {
			continue
		}
		row := w.Data[id*h : (id+1)*h]
		for j := 0; j < min(h, len(v)); j++ {
			row[j] = v[j] * scale
		}
		rows = append(rows, int32(id))
	}
	return rows
}

// freezeRows zeroes the word-embedding gradient of rows (model.freeze_glove).
func (m *Model) freezeRows(rows []int32) {
	w := m.BERT.Embeddings.Word.Weight
	h := w.Shape[1]
	for _, r := range rows {
		clear(w.Grad[int(r)*h : (int(r)+1)*h])
	}
}

// Output is what one forward pass over a masked batch gives.
type Output struct {
	Loss    float32
	Correct int // masked positions whose arg-max prediction is the label
	Count   int // masked positions
}

// Step runs the forward pass on batch b (already masked), predicting
// labels at the flat positions pos (indices into B·T), and, when train is
// set, the backward pass: gradients accumulate into Params. Dropout draws
// from rng when train is set.
func (m *Model) Step(b nn.Batch, pos, labels []int32, train bool, rng *rand.Rand) (Output, error) {
	if err := m.BERT.Check(b); err != nil {
		return Output{}, err
	}
	if len(pos) == 0 || len(pos) != len(labels) {
		return Output{}, fmt.Errorf("pretrain: %d masked positions for %d labels", len(pos), len(labels))
	}
	g := m.g
	g.Reset()
	g.SetNoGrad(!train)
	x := m.BERT.Embeddings.Forward(g, b, train, rng)
	x = m.BERT.Encoder.Forward(g, x, b.Mask, train, rng)
	h := m.Cfg.HiddenSize
	flat := g.Reshape(x, b.B*b.T, h)
	sel := m.gather.forward(g, flat, pos)
	y := m.Transform.Forward(g, sel)
	switch m.act {
	case nn.GELU:
		y = g.GELU(y)
	case nn.GELUTanh:
		y = g.GELUTanh(y)
	case nn.ReLU:
		y = g.ReLU(y)
	}
	y = m.LayerNorm.Forward(g, y)
	dec := m.BERT.Embeddings.Word.Weight.Tensor
	if m.Decoder != nil {
		dec = m.Decoder.Tensor
	}
	logits := g.Linear(y, dec, m.Bias.Tensor)
	loss := g.CrossEntropy(logits, labels)
	out := Output{Loss: loss.Data[0], Count: len(labels)}
	v := m.Cfg.VocabSize
	for i, l := range labels {
		if argmax(logits.Data[i*v:(i+1)*v]) == int(l) {
			out.Correct++
		}
	}
	if train {
		g.Backward(loss)
	}
	if math.IsNaN(float64(out.Loss)) {
		return out, fmt.Errorf("pretrain: loss is NaN (lower the learning rate?)")
	}
	return out, nil
}

func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// gatherOp selects rows of x [N,H]: out[i] = x[rows[i]].
type gatherOp struct {
	x, out *tensor.Tensor
	rows   []int32
}

func (o *gatherOp) forward(g *tensor.Graph, x *tensor.Tensor, rows []int32) *tensor.Tensor {
	h := x.Shape[1]
	out := g.NewTensor(x.Grad != nil, len(rows), h)
	for i, r := range rows {
		copy(out.Data[i*h:(i+1)*h], x.Data[int(r)*h:(int(r)+1)*h])
	}
	if out.Grad != nil {
		*o = gatherOp{x: x, out: out, rows: rows}
		g.Record(o)
	}
	return out
}

// Backward scatters: dx[rows[i]] += dout[i].
func (o *gatherOp) Backward() {
	h := o.x.Shape[1]
	for i, r := range o.rows {
		dx := o.x.Grad[int(r)*h : (int(r)+1)*h]
		for j, v := range o.out.Grad[i*h : (i+1)*h] {
			dx[j] += v
		}
	}
}
