package tensor

import "fmt"

// Embedding gathers rows of w: w is [V,H], ids has N entries in [0,V), out is
// [N,H]. ids is kept (not copied) for the backward pass: do not change it
// before Backward.
func (g *Graph) Embedding(w *Tensor, ids []int32) *Tensor {
	return g.EmbeddingPad(w, ids, -1)
}

// EmbeddingPad is Embedding where row padIdx gets no gradient, as PyTorch's
// nn.Embedding(padding_idx=…); padIdx < 0 means none.
func (g *Graph) EmbeddingPad(w *Tensor, ids []int32, padIdx int) *Tensor {
	if len(w.Shape) != 2 {
		panicShape("Embedding", w.Shape)
	}
	v, h := w.Shape[0], w.Shape[1]
	out := g.out(w, nil, nil, len(ids), h)
	for i, id := range ids {
		if id < 0 || int(id) >= v {
			panic(fmt.Sprintf("tensor: Embedding id %d out of range [0,%d)", id, v))
		}
		copy(out.Data[i*h:(i+1)*h], w.Data[int(id)*h:])
	}
	g.push(node{op: opEmbedding, a: w, out: out, ids: ids, n: [6]int{h, padIdx}})
	return out
}

// embeddingBackward scatters: dw[ids[i]] += dout[i]; a repeated id adds up.
func embeddingBackward(nd *node) {
	h, pad := nd.n[0], nd.n[1]
	for i, id := range nd.ids {
		if int(id) == pad {
			continue
		}
		accumulate(nd.a.Grad[int(id)*h:(int(id)+1)*h], nd.out.Grad[i*h:(i+1)*h])
	}
}
