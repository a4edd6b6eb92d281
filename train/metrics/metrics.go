// Package metrics scores predictions as the paper does: macro-F1 (sklearn's
// f1_score(average='macro')), accuracy, and the majority vote of ensembles.
package metrics

import "math"

// MacroF1 is the unweighted mean over classes 0..classes-1 of the per-class
// F1. As in sklearn, a class with no true and no predicted samples scores 0
// (sklearn's zero_division default) and still counts in the mean.
func MacroF1(labels, preds []int32, classes int) float64 {
	tp := make([]int, classes)
	fp := make([]int, classes)
	fn := make([]int, classes)
	for i, y := range labels {
		p := preds[i]
		if p == y {
			tp[y]++
		} else {
			fp[p]++
			fn[y]++
		}
	}
	sum := 0.0
	for c := range classes {
		if d := 2*tp[c] + fp[c] + fn[c]; d > 0 {
			sum += 2 * float64(tp[c]) / float64(d)
		}
	}
	return sum / float64(classes)
}

// Accuracy is the fraction of correct predictions.
func Accuracy(labels, preds []int32) float64 {
	if len(labels) == 0 {
		return 0
	}
	ok := 0
	for i := range labels {
		if labels[i] == preds[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(labels))
}

// Argmax returns the index of the largest value, the first one on ties (as
// numpy and torch do).
func Argmax(v []float32) int32 {
	best := 0
	for i := 1; i < len(v); i++ {
		if v[i] > v[best] {
			best = i
		}
	}
	return int32(best)
}

// Vote is the paper's ensemble rule: the class most members predict, ties to
// the lowest class index (np.argmax over the vote counts). counts is scratch
// space of length classes.
func Vote(memberPreds []int32, counts []int) int32 {
	clear(counts)
	for _, p := range memberPreds {
		counts[p]++
	}
	best := 0
	for c := 1; c < len(counts); c++ {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return int32(best)
}

// MeanProbsVote is the soft vote of a population: the argmax of the voters'
// mean softmax, ties to the lowest class. logits holds voters × classes
// values, voter by voter; probs is scratch space of length classes. Each
// softmax is computed in float64 after subtracting the voter's largest logit.
func MeanProbsVote(logits []float32, classes int, probs []float64) int32 {
	clear(probs)
	for lo := 0; lo+classes <= len(logits); lo += classes {
		l := logits[lo : lo+classes]
		top := float64(l[Argmax(l)])
		var z float64
		for _, x := range l {
			z += math.Exp(float64(x) - top)
		}
		for c, x := range l {
			probs[c] += math.Exp(float64(x)-top) / z
		}
	}
	best := 0
	for c := 1; c < classes; c++ {
		if probs[c] > probs[best] {
			best = c
		}
	}
	return int32(best)
}
