package tensor

import (
	"fmt"
	"math"
)

// LogSoftmax returns log(softmax(x)) over the last axis: x [..., C] → out
// of the same shape.
func (g *Graph) LogSoftmax(x *Tensor) *Tensor {
	c := x.Shape[len(x.Shape)-1]
	n := len(x.Data) / c
	out := g.out(x, nil, nil, x.Shape...)
	for r := 0; r < n; r++ {
		logSoftmaxRow(out.Data[r*c:(r+1)*c], x.Data[r*c:(r+1)*c])
	}
	g.push(node{op: opLogSoftmax, a: x, out: out, n: [6]int{n, c}})
	return out
}

// logSoftmaxRow: y = x − max − log Σ exp(x − max), the sum in float64.
func logSoftmaxRow(y, x []float32) {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		mx = max(mx, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v - mx))
	}
	lse := mx + float32(math.Log(s))
	for j, v := range x {
		y[j] = v - lse
	}
}

// logSoftmaxBackward: dx += dy − softmax(x)·Σ dy.
func logSoftmaxBackward(nd *node) {
	n, c := nd.n[0], nd.n[1]
	for r := 0; r < n; r++ {
		y, dy := nd.out.Data[r*c:(r+1)*c], nd.out.Grad[r*c:(r+1)*c]
		dx := nd.a.Grad[r*c : (r+1)*c]
		var s float32
		for _, v := range dy {
			s += v
		}
		for j, v := range dy {
			dx[j] += v - float32(math.Exp(float64(y[j])))*s
		}
	}
}

// CrossEntropy returns the mean over the batch of −log softmax(logits)[label],
// as PyTorch's CrossEntropyLoss: logits is [B,C], labels has B entries in
// [0,C), out is [1]. labels is kept for the backward pass.
func (g *Graph) CrossEntropy(logits *Tensor, labels []int32) *Tensor {
	if len(logits.Shape) != 2 || len(labels) != logits.Shape[0] {
		panicShape("CrossEntropy", logits.Shape)
	}
	b, c := logits.Shape[0], logits.Shape[1]
	out := g.out(logits, nil, nil, 1)
	probs := g.arena.Floats(b * c)
	var loss float64
	for r := 0; r < b; r++ {
		y := labels[r]
		if y < 0 || int(y) >= c {
			panic(fmt.Sprintf("tensor: CrossEntropy label %d out of range [0,%d)", y, c))
		}
		lp := probs[r*c : (r+1)*c]
		logSoftmaxRow(lp, logits.Data[r*c:(r+1)*c])
		loss -= float64(lp[y])
		for j, v := range lp {
			lp[j] = float32(math.Exp(float64(v)))
		}
	}
	out.Data[0] = float32(loss / float64(b))
	g.push(node{op: opCrossEntropy, a: logits, out: out, s0: probs, ids: labels, n: [6]int{b, c}})
	return out
}

// crossEntropyBackward: dlogits += dloss·(softmax − onehot(label))/B.
func crossEntropyBackward(nd *node) {
	b, c := nd.n[0], nd.n[1]
	s := nd.out.Grad[0] / float32(b)
	for r := 0; r < b; r++ {
		p, dx := nd.s0[r*c:(r+1)*c], nd.a.Grad[r*c:(r+1)*c]
		y := int(nd.ids[r])
		for j, v := range p {
			if j == y {
				v--
			}
			dx[j] += s * v
		}
	}
}
