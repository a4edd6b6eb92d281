package models

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"

	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/peft"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// The layer-wise strategies (reinit, llrd, mixout of every Linear) address
// an encoder's layers by depth: what the encoder adapter offers them.

var _ strategy.Layered = (*encoder)(nil)

// layered is the classifier's layer view; a PEFT model is viewed through
// its backbone, whose layers its adapters sit in.
func layered(c nn.Classifier) nn.Layered {
	if pm, ok := c.(*peft.Model); ok {
		c = pm.Base()
	}
	l, ok := c.(nn.Layered)
	if !ok {
		panic(fmt.Sprintf("models: %T has no layer view", c)) // BERT, RoBERTa and ALBERT all have one
	}
	return l
}

// Depths gives every parameter's depth from the top (nn.Depth): a LoRA,
// IA3 or adapter module has the depth of the layer it sits in; UniPELT's
// prefix pool, shared by every layer, that of the embeddings. ALBERT's
// layers are its groups.
func (b *encoder) Depths() []int {
	layers := layered(b.m).LayerPrefixes()
	ps := b.m.Params()
	d := make([]int, len(ps))
	for i, p := range ps {
		d[i] = nn.Depth(p.Name, layers)
	}
	return d
}

// Reinit draws the pooler and the top k layers afresh from init with the
// model's own initialiser (BERT's: weights N(0, initializer_range²),
// biases 0, LayerNorm 1 and 0), in Params order, as Zhang et al. (2021)
// re-initialise them; the head and everything else keep their values.
// ALBERT's layers share their weights across depths: only k = 0 (the
// pooler) is possible there.
func (b *encoder) Reinit(k int, init *rand.Rand) error {
	l := layered(b.m)
	layers := l.LayerPrefixes()
	switch {
	case k < 0 || k > len(layers):
		return fmt.Errorf("reinit_layers %d: the model has %d encoder layers", k, len(layers))
	case k > 0 && l.SharedLayers():
		return fmt.Errorf("reinit_layers %d: the model's layers share their weights across depths (ALBERT); use reinit_layers: 0 (the pooler only)", k)
	}
	b.m.InitParams(init, func(p *tensor.Param) bool {
		d := nn.Depth(p.Name, layers)
		return strings.HasPrefix(p.Name, "pooler.") || (d >= 1 && d <= k)
	})
	return nil
}

// Linears are the indices in Params of every Linear's weight.
func (b *encoder) Linears() []int {
	idx := make(map[*tensor.Param]int)
	for i, p := range b.m.Params() {
		idx[p] = i
	}
	var out []int
	for _, l := range layered(b.m).Linears() {
		out = append(out, idx[l.Weight])
	}
	return out
}

// mixAll is the state of mixout on every Linear: the layers, their
// weights' indices in Params, one mixoutOp each, and the weights' own
// tensors while the mixed ones stand in for them.
type mixAll struct {
	lins  []*nn.Linear
	idx   []int
	ops   []mixoutOp
	saved []*tensor.Tensor
}

// mixoutAllStep is a training step with mixout on every Linear, as Lee et
// al.'s code turns a model into MixLinear layers: each weight W gives way,
// for this step's forward pass, to W' = T + M⊙(W−T)/(1−p) (T its value
// before training, M one Bernoulli(1−p) draw per input feature shared by
// the rows, drawn from the dropout stream Linear by Linear in Params
// order), and every dropout is off (the original sets each nn.Dropout's p
// to 0), so the forward pass runs in eval mode. The tape records each mix
// before the Linears that read it, so dL/dW = M/(1−p)·dL/dW' arrives after
// them; a shared ALBERT layer mixes once per step, as its weight is one.
func (b *encoder) mixoutAllStep(s *strategy.Batch, mx *strategy.Mixout, rng *rand.Rand) float32 {
	if b.all == nil {
		lins := layered(b.m).Linears()
		b.all = &mixAll{lins: lins, idx: b.Linears(), ops: make([]mixoutOp, len(lins)), saved: make([]*tensor.Tensor, len(lins))}
	}
	a := b.all
	g := trainGraphs.get()
	defer trainGraphs.put(g)
	for k, l := range a.lins {
		a.saved[k] = l.Weight.Tensor
		l.Weight.Tensor = a.ops[k].forward(g, l.Weight.Tensor, mx.P, mx.Targets[a.idx[k]], rng)
	}
	logits := func() *tensor.Tensor {
		defer func() { // the model's own weights back, whatever happens
			for k, l := range a.lins {
				l.Weight.Tensor = a.saved[k]
			}
		}()
		return b.m.ClassifierHead().Forward(g, b.pooled(g, batchOf(s), false, nil), false, nil)
	}()
	loss := g.CrossEntropy(logits, s.Labels)
	g.Backward(loss)
	return loss.Data[0]
}

// EncoderLayers reports the encoder layers of model name without building
// it (a folder's config.json only): how many have weights of their own
// (ALBERT: its layer groups) and whether they serve several depths. ok is
// false for a model without encoder layers or an unknown name.
func EncoderLayers(name string) (layers int, shared, ok bool) {
	if fsys, isFolder := folderFS(name); isFolder {
		b, err := fs.ReadFile(fsys, checkpoint.ConfigFile)
		if err != nil {
			return 0, false, false
		}
		cfg, err := nn.ParseConfig(b, 2, 0)
		if err != nil {
			return 0, false, false
		}
		if cfg.ModelType == "albert" {
			return cfg.NumHiddenGroups, true, true
		}
		return cfg.NumHiddenLayers, false, true
	}
	k, err := Kinds.Lookup(name)
	if err != nil || !k.Encoder {
		return 0, false, false
	}
	return k.Layers, false, true
}
