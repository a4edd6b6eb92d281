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

// SymmetricKL returns the batch mean of KL(P‖Q) + KL(Q‖P), where P and Q are
// the softmax over the last axis of the logits p and q, both [B,C]; out is
// [1]. It is R3F's consistency term as fairseq computes it
// (sentence_prediction_r3f's _get_symm_kl: two F.kl_div sums over the batch,
// divided by B), with gradients to both sides. Per row it is
// Σ_c (P_c − Q_c)(log P_c − log Q_c), in float64 from log-softmax; two equal
// rows give exactly 0 and a gradient of exactly 0.
func (g *Graph) SymmetricKL(p, q *Tensor) *Tensor {
	if len(p.Shape) != 2 || len(q.Shape) != 2 || p.Shape[0] != q.Shape[0] || p.Shape[1] != q.Shape[1] {
		panicShape("SymmetricKL", p.Shape, q.Shape)
	}
	b, c := p.Shape[0], p.Shape[1]
	out := g.out(p, q, nil, 1)
	var s float64
	for r := 0; r < b; r++ {
		pr, qr := p.Data[r*c:(r+1)*c], q.Data[r*c:(r+1)*c]
		zp, zq := logSumExp(pr), logSumExp(qr)
		for j := range pr {
			lp, lq := float64(pr[j])-zp, float64(qr[j])-zq
			s += (math.Exp(lp) - math.Exp(lq)) * (lp - lq)
		}
	}
	out.Data[0] = float32(s / float64(b))
	g.push(node{op: opSymKL, a: p, b: q, out: out, n: [6]int{b, c}})
	return out
}

// logSumExp is log Σ exp(x) of a row in float64; the max is subtracted only
// for numerical stability.
func logSumExp(x []float32) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = max(mx, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}

// symKLBackward: with d = log P − log Q per row,
//
//	dp += dout/B · (P⊙(d − KL(P‖Q)) + P − Q)
//	dq += dout/B · (Q⊙(−d − KL(Q‖P)) + Q − P)
//
// (the first term from the distribution weighting each KL, the second from
// the log-probabilities it is weighted against).
func symKLBackward(nd *node) {
	b, c := nd.n[0], nd.n[1]
	s := float64(nd.out.Grad[0]) / float64(b)
	for r := 0; r < b; r++ {
		pr, qr := nd.a.Data[r*c:(r+1)*c], nd.b.Data[r*c:(r+1)*c]
		zp, zq := logSumExp(pr), logSumExp(qr)
		var klPQ, klQP float64
		for j := range pr {
			lp, lq := float64(pr[j])-zp, float64(qr[j])-zq
			klPQ += math.Exp(lp) * (lp - lq)
			klQP += math.Exp(lq) * (lq - lp)
		}
		for j := range pr {
			lp, lq := float64(pr[j])-zp, float64(qr[j])-zq
			pj, qj, d := math.Exp(lp), math.Exp(lq), lp-lq
			if nd.a.Grad != nil {
				nd.a.Grad[r*c+j] += float32(s * (pj*(d-klPQ) + pj - qj))
			}
			if nd.b.Grad != nil {
				nd.b.Grad[r*c+j] += float32(s * (qj*(-d-klQP) + qj - pj))
			}
		}
	}
}
