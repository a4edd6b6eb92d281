package pretrain

import (
	"fmt"
	"math"

	"github.com/deni-project/deni/internal/seeds"
)

// EvalResult is masked-token prediction on held-out sequences, against
// unigram baselines fitted on the training sequences.
type EvalResult struct {
	Sequences int     `json:"sequences"`
	Masked    int     `json:"masked_tokens"`
	Acc       float64 `json:"masked_acc"`
	Loss      float64 `json:"loss"` // mean cross-entropy (nats) over masked tokens
	// UnigramAcc predicts the most frequent training token everywhere.
	UnigramAcc float64 `json:"unigram_top1_acc"`
	// UnigramLoss is the cross-entropy of the add-one-smoothed unigram
	// distribution of the training tokens.
	UnigramLoss float64 `json:"unigram_loss"`
	// UnigramSampleAcc is the expected accuracy of predicting a token drawn
	// from the unigram distribution.
	UnigramSampleAcc float64 `json:"unigram_sample_acc"`
}

// Evaluate masks the held-out sequences of corp with BERT's scheme from the
// fixed stream "pretrain_eval" (the same positions for every model of the
// same corpus, seed and mask_prob) and measures m on them in evaluation
// mode (no dropout). limit > 0 caps the number of sequences.
func Evaluate(m *Model, corp *Corpus, c Config, limit int) (EvalResult, error) {
	ho := corp.Heldout
	n := ho.Len()
	if limit > 0 {
		n = min(n, limit)
	}
	if n == 0 {
		return EvalResult{}, fmt.Errorf("pretrain: no held-out sequences (train.heldout_every is %d)", c.Train.HeldoutEvery)
	}
	v := len(corp.Vocab)
	counts := make([]float64, v)
	var total float64
	for _, id := range corp.Train.Flat {
		if int(id) >= len(Specials) {
			counts[id]++
			total++
		}
	}
	top := 0
	for i, x := range counts {
		if x > counts[top] {
			top = i
		}
	}
	var sampleAcc float64
	logp := make([]float64, v)
	for i, x := range counts {
		logp[i] = math.Log((x + 1) / (total + float64(v)))
	}
	rng := seeds.New(seeds.Derive(c.Seed, StreamEvalMask, 0))
	masker := Masker{Prob: c.Train.MaskProb, VocabSize: v}
	var bt batcher
	var pos, labels []int32
	r := EvalResult{Sequences: n}
	var lossSum float64
	var correct, top1 int
	bs := c.Train.BatchSize
	idx := make([]int, 0, bs)
	for lo := 0; lo < n; lo += bs {
		idx = idx[:0]
		for i := lo; i < min(lo+bs, n); i++ {
			idx = append(idx, i)
		}
		b := bt.fill(ho, idx)
		pos, labels = masker.Apply(b, rng, pos, labels)
		out, err := m.Step(b, pos, labels, false, nil)
		if err != nil {
			return r, err
		}
		lossSum += float64(out.Loss) * float64(out.Count)
		correct += out.Correct
		r.Masked += out.Count
		for _, l := range labels {
			if int(l) == top {
				top1++
			}
			r.UnigramLoss -= logp[l]
			sampleAcc += counts[l] / total
		}
	}
	k := float64(r.Masked)
	r.Acc, r.Loss = float64(correct)/k, lossSum/k
	r.UnigramAcc, r.UnigramLoss, r.UnigramSampleAcc = float64(top1)/k, r.UnigramLoss/k, sampleAcc/k
	return r, nil
}
