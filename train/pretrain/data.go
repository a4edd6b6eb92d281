package pretrain

import (
	"math/rand/v2"

	"github.com/deni-project/deni/train/nn"
)

// Sequences is a packed corpus: sequence i is Flat[Off[i]:Off[i+1]], each
// "[CLS] tokens… [SEP]".
type Sequences struct {
	Flat []int32
	Off  []int
}

// Len is the number of sequences.
func (s *Sequences) Len() int { return len(s.Off) - 1 }

// Seq returns sequence i (a view).
func (s *Sequences) Seq(i int) []int32 { return s.Flat[s.Off[i]:s.Off[i+1]] }

func (s *Sequences) add(body []int32) {
	if len(s.Off) == 0 {
		s.Off = append(s.Off, 0)
	}
	s.Flat = append(s.Flat, ClsID)
	s.Flat = append(s.Flat, body...)
	s.Flat = append(s.Flat, SepID)
	s.Off = append(s.Off, len(s.Flat))
}

// Pack turns tokenised lines (without special tokens) into sequences of at
// most maxLen tokens: consecutive lines are concatenated while they fit in
// maxLen−2 tokens (as BERT's "full sentences" packing), a line longer than
// that is cut into pieces. Empty lines are skipped. Every heldoutEvery-th
// sequence (1-based: the heldoutEvery-th, 2·heldoutEvery-th, …) goes to
// heldout, the others to train; heldoutEvery ≤ 0 holds nothing out.
func Pack(lines [][]int32, maxLen, heldoutEvery int) (train, heldout *Sequences) {
	train, heldout = &Sequences{Off: []int{0}}, &Sequences{Off: []int{0}}
	room := maxLen - 2
	n := 0
	emit := func(body []int32) {
		n++
		if heldoutEvery > 0 && n%heldoutEvery == 0 {
			heldout.add(body)
		} else {
			train.add(body)
		}
	}
	var cur []int32
	for _, l := range lines {
		if len(l) == 0 {
			continue
		}
		if len(cur)+len(l) > room && len(cur) > 0 {
			emit(cur)
			cur = cur[:0]
		}
		for len(l) > room {
			emit(l[:room])
			l = l[room:]
		}
		cur = append(cur, l...)
	}
	if len(cur) > 0 {
		emit(cur)
	}
	return train, heldout
}

// Masker applies BERT's masking: each token that is not [CLS], [SEP] or
// [PAD] is selected with probability Prob; a selected token becomes [MASK]
// with probability 0.8, a random non-special token with 0.1, and stays
// unchanged with 0.1. The draws, in row-major token order, are: one
// Float64 per eligible token; for a selected token one more Float64, and
// for a random replacement one IntN.
type Masker struct {
	Prob      float64
	VocabSize int
}

// Apply masks b.IDs in place and returns the flat positions of the
// selected tokens and their original ids. When no token is selected the
// first eligible one is (so that every batch has a target).
func (k Masker) Apply(b nn.Batch, rng *rand.Rand, pos, labels []int32) ([]int32, []int32) {
	pos, labels = pos[:0], labels[:0]
	first := -1
	for i, id := range b.IDs {
		if id == ClsID || id == SepID || id == PadID || (b.Mask != nil && b.Mask[i] == 0) {
			continue
		}
		if first < 0 {
			first = i
		}
		if rng.Float64() >= k.Prob {
			continue
		}
		pos, labels = append(pos, int32(i)), append(labels, id)
		switch r := rng.Float64(); {
		case r < 0.8:
			b.IDs[i] = MaskID
		case r < 0.9:
			b.IDs[i] = int32(len(Specials) + rng.IntN(k.VocabSize-len(Specials)))
		}
	}
	if len(pos) == 0 && first >= 0 {
		pos, labels = append(pos, int32(first)), append(labels, b.IDs[first])
		b.IDs[first] = MaskID
	}
	return pos, labels
}

// batcher fills a padded batch from sequences, reusing its buffers.
type batcher struct {
	ids, mask []int32
}

func (bt *batcher) fill(s *Sequences, idx []int) nn.Batch {
	t := 0
	for _, i := range idx {
		t = max(t, s.Off[i+1]-s.Off[i])
	}
	n := len(idx) * t
	if cap(bt.ids) < n {
		bt.ids, bt.mask = make([]int32, n), make([]int32, n)
	}
	b := nn.Batch{IDs: bt.ids[:n], Mask: bt.mask[:n], B: len(idx), T: t}
	for r, i := range idx {
		seq := s.Seq(i)
		for j := 0; j < t; j++ {
			if j < len(seq) {
				b.IDs[r*t+j], b.Mask[r*t+j] = seq[j], 1
			} else {
				b.IDs[r*t+j], b.Mask[r*t+j] = PadID, 0
			}
		}
	}
	return b
}

// order yields the training sequence at global position p (0, 1, …): epoch
// e = p / n visits the n sequences in the permutation drawn from derive(e)
// (a stream of its own per epoch), so any position is found without
// replaying earlier epochs (the data position of a checkpoint is p).
type order struct {
	n     int
	epoch int
	perm  []int
}

func (o *order) at(p int, derive func(e int) *rand.Rand) int {
	e := p / o.n
	if o.perm == nil || e != o.epoch {
		o.perm = derive(e).Perm(o.n)
		o.epoch = e
	}
	return o.perm[p%o.n]
}
