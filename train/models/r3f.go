package models

import (
	"math/rand/v2"

	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// wordTableName is the word-embedding table of every encoder (BERT,
// RoBERTa, ALBERT, and their PEFT variants keep the name).
const wordTableName = "embeddings.word_embeddings.weight"

// r3f adds R3F's noisy pass (strategy.R3F) to a training step whose clean
// pass, recorded on g, gave the logits clean and the cross-entropy loss: the
// batch again with noisy word embeddings (noisyWords), its dropout drawn
// after the clean pass's from the same stream, and returns
// loss + λ·SymmetricKL(clean, noisy), the gradient flowing into both passes.
func (b *encoder) r3f(g *tensor.Graph, nb nn.Batch, clean, loss *tensor.Tensor, dropout *rand.Rand, o strategy.StepOptions) *tensor.Tensor {
	if o.Mixout != nil || o.PooledNoise > 0 || o.BackboneFrozen {
		panic("models: r3f does not combine with mixout, input noise or a frozen backbone")
	}
	nb.Words = b.noisyWords(g, nb, o.R3F)
	noisy := b.m.ClassifierHead().Forward(g, b.pooled(g, nb, true, dropout), true, dropout)
	return g.Add(loss, g.Scale(g.SymmetricKL(clean, noisy), float32(o.R3F.Lambda)))
}

// noisyWords is R3F's noisy input: the word-embedding rows of the batch's
// ids, [B·T, E] (padding included, as fairseq's token_embeddings), plus the
// noise of r.AddNoise drawn in that row-major order. It is a copy without a
// gradient, so the noisy pass sends none to the table (fairseq detaches it).
func (b *encoder) noisyWords(g *tensor.Graph, nb nn.Batch, r *strategy.R3F) *tensor.Tensor {
	var table *tensor.Param
	for _, p := range b.m.Params() {
		if p.Name == wordTableName {
			table = p
			break
		}
	}
	if table == nil {
		panic("models: r3f: the model has no " + wordTableName)
	}
	e := table.Shape[1]
	x := g.NewTensor(false, nb.B*nb.T, e)
	for i, id := range nb.IDs {
		copy(x.Data[i*e:(i+1)*e], table.Data[int(id)*e:(int(id)+1)*e])
	}
	r.AddNoise(x.Data)
	return x
}
