package models

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// encoder adapts an nn.Classifier (BERT, RoBERTa or ALBERT) to what the
// strategies ask of a model: per-step options (input noise on the pooled
// output, a frozen backbone, mixout of the head) on top of the plain
// training step.
type encoder struct {
	m   nn.Classifier
	mix mixoutOp
	all *mixAll // mixout of every Linear (layerwise.go), made on first use
}

// trainGraphs and evalGraphs lend training steps and predictions their
// graphs. A pass's activations live only until it returns, so the models of
// a population need as many arenas as passes run at once (one per core), not
// one each: the ten models of a DENI run held ten training arenas (about
// 130 MB of its 620 MB live peak, deni-bert-mini on TREC), and each voter
// grew an evaluation arena of its own, batch by longer batch. The encoders
// and glove-mean borrow from the same pools. Which graph a pass gets cannot
// change its result: an op overwrites or clears every buffer it takes from
// the arena (TestLentGraphsKeepResults).
var (
	trainGraphs graphPool
	evalGraphs  = graphPool{noGrad: true}
)

type graphPool struct {
	noGrad bool
	mu     sync.Mutex
	free   []*tensor.Graph
}

func (p *graphPool) get() *tensor.Graph {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		g := p.free[n-1]
		p.free = p.free[:n-1]
		return g
	}
	g := tensor.NewGraph()
	g.SetNoGrad(p.noGrad)
	return g
}

// put returns g with its tape emptied, so that it keeps no model alive.
func (p *graphPool) put(g *tensor.Graph) {
	g.Reset()
	g.SetNoGrad(p.noGrad)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, g)
}

// Wrap returns m as a strategy.Model.
func Wrap(m nn.Classifier) strategy.Model { return &encoder{m: m} }

// Unwrap returns the classifier behind a model made by Wrap, if it is one.
func Unwrap(m strategy.Model) (nn.Classifier, bool) {
	e, ok := m.(*encoder)
	if !ok {
		return nil, false
	}
	return e.m, true
}

func (b *encoder) Params() []*tensor.Param { return b.m.Params() }

// Adapters are the modules a PEFT method added to the encoder (none under
// full fine-tuning): not pre-trained (strategy.Pretrained).
func (b *encoder) Adapters() []*tensor.Param {
	if a, ok := b.m.(interface{ Adapters() []*tensor.Param }); ok {
		return a.Adapters()
	}
	return nil
}
func (b *encoder) Classes() int          { return b.m.NumClasses() }
func (b *encoder) Clone() strategy.Model { return Wrap(b.m.Clone().(nn.Classifier)) }

func batchOf(s *strategy.Batch) nn.Batch {
	return nn.Batch{IDs: s.IDs, Mask: s.Mask, B: s.B, T: s.T}
}

// pooled runs the backbone: embeddings, encoder, tanh pooler over [CLS].
func (b *encoder) pooled(g *tensor.Graph, nb nn.Batch, train bool, rng *rand.Rand) *tensor.Tensor {
	return b.m.Pooled(g, nb, train, rng)
}

func (b *encoder) TrainStep(s *strategy.Batch, dropout *rand.Rand, o strategy.StepOptions) float32 {
	if o.Mixout != nil && o.Mixout.All {
		return b.mixoutAllStep(s, o.Mixout, dropout)
	}
	g := trainGraphs.get()
	defer trainGraphs.put(g)
	nb := batchOf(s)
	// A frozen backbone records no tape and gets no gradient: only the head
	// learns from this step (the reference's input-noise steps).
	g.SetNoGrad(o.BackboneFrozen)
	pooled := b.pooled(g, nb, true, dropout)
	g.SetNoGrad(false)
	if o.PooledNoise > 0 {
		noise := g.NewTensor(false, pooled.Shape...)
		for i := range noise.Data {
			noise.Data[i] = float32(o.PooledNoise * o.NoiseRNG.NormFloat64())
		}
		pooled = g.Add(pooled, noise)
	}
	head := &b.m.ClassifierHead().Output
	var logits *tensor.Tensor
	if o.Mixout != nil {
		// Mixout replaces the head's dropout (the reference sets it to 0).
		w := b.mix.forward(g, head.Weight.Tensor, o.Mixout.P, o.Mixout.Target, dropout)
		logits = g.Linear(pooled, w, head.Bias.Tensor)
	} else {
		logits = b.m.ClassifierHead().Forward(g, pooled, true, dropout)
	}
	loss := g.CrossEntropy(logits, s.Labels)
	if o.R3F != nil {
		loss = b.r3f(g, nb, logits, loss, dropout, o)
	}
	g.Backward(loss)
	return loss.Data[0]
}

func (b *encoder) Logits(s *strategy.Batch, out []float32) {
	g := evalGraphs.get()
	defer evalGraphs.put(g)
	logits := b.m.ClassifierHead().Forward(g, b.pooled(g, batchOf(s), false, nil), false, nil)
	if len(out) != len(logits.Data) {
		panic(fmt.Sprintf("models: logits buffer of %d for %v", len(out), logits.Shape))
	}
	copy(out, logits.Data)
}

// ForwardFLOPs is the classifier's analytic forward cost (see
// nn.BERT.ForwardFLOPs and nn.ALBERT.ForwardFLOPs).
func (b *encoder) ForwardFLOPs(t int) float64 { return b.m.ForwardFLOPs(t) }

// TrainFLOPs is the classifier's analytic training cost (nn.BERT.TrainFLOPs).
func (b *encoder) TrainFLOPs(t int) float64 { return b.m.TrainFLOPs(t) }

// HeadOnlyTrainFLOPs: TrainStep with BackboneFrozen records no tape before
// the pooled output, so only the head's weights get gradients.
func (b *encoder) HeadOnlyTrainFLOPs(t int) float64 {
	w := b.m.ClassifierHead().Output.Weight
	g := 0.0
	if w.Trainable {
		g = 2 * float64(w.Len())
	}
	return b.m.ForwardFLOPs(t) + g
}

// mixoutOp computes a Linear's mixed weight W' = T + m⊙(W−T)/(1−p) (the
// head's, or every Linear's with mixout_layers all), with one
// Bernoulli(1−p) keep-mask entry per input feature shared by every output row
// (Lee et al.'s MixLinear), and sends W' 's gradient back to W.
type mixoutOp struct {
	w, mixed *tensor.Tensor
	mask     []float32 // per input feature: 1/(1-p) kept, 0 mixed out
}

func (o *mixoutOp) forward(g *tensor.Graph, w *tensor.Tensor, p float64, target []float32, rng *rand.Rand) *tensor.Tensor {
	out, in := w.Shape[0], w.Shape[1]
	if cap(o.mask) < in {
		o.mask = make([]float32, in)
	}
	o.mask = o.mask[:in]
	keep := float32(1 / (1 - p))
	for j := range o.mask {
		o.mask[j] = 0
		if rng.Float64() >= p {
			o.mask[j] = keep
		}
	}
	o.w = w
	o.mixed = g.NewTensor(w.Grad != nil, out, in)
	for k := range out {
		for j := range in {
			t := target[k*in+j]
			o.mixed.Data[k*in+j] = t + o.mask[j]*(w.Data[k*in+j]-t)
		}
	}
	if o.mixed.Grad != nil {
		g.Record(o) // recorded before the Linear that reads W', so its backward runs after
	}
	return o.mixed
}

// Backward adds dL/dW = m⊙dL/dW' to W's gradient.
func (o *mixoutOp) Backward() {
	in := len(o.mask)
	for i, gv := range o.mixed.Grad {
		o.w.Grad[i] += o.mask[i%in] * gv
	}
}
