package data

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/deni-project/deni/internal/seeds"
)

// TestFraction is the paper's held-out share: sklearn
// train_test_split(train_size=0.8, stratify=labels); the 20% is the test set.
const TestFraction = 0.2

// AllLabelled, passed as the number of labelled samples, selects the whole
// train pool (the paper's all_data setting). Any n <= 0 means the same.
const AllLabelled = -1

// DefaultLabelled is the paper's number of labelled samples (num_labelled).
const DefaultLabelled = 1000

// Split is a stratified split of a dataset into a test set and a train pool.
// Both hold row indices of the dataset.
type Split struct {
	Test []int // the held-out test set, used whole
	Pool []int // the train pool the labelled set is drawn from
}

// StratifiedSplit splits rows 0..len(labels)-1 into a test set and a train
// pool, stratified by class, drawing from rng (the data_split stream).
//
// The rule, chosen to match sklearn's stratified train_test_split in its
// totals:
//
//   - n_train = floor((1-testFraction)·n), n_test = n - n_train (for 0.2 this
//     is ceil(0.2·n), sklearn's total exactly);
//   - class c gets floor(n_test·n_c/n) test rows, and the n_test - Σ floor
//     rows left over go one each to the classes with the largest remainders
//     n_test·n_c mod n (ties: lower class index first; sklearn breaks ties at
//     random), never more than n_c;
//   - for c = 0..C-1 in order, the rows of class c (in dataset order) are
//     shuffled with rng; the first t_c go to the test set, the rest to the pool;
//   - finally the test set, then the pool, are shuffled with rng.
//
// Shuffles are Fisher–Yates over rng.Uint64 with Lemire's unbiased bounded
// draw (see shuffle), so the result depends only on the PCG stream, not on
// the Go version's rand helpers.
func StratifiedSplit(labels []int, numClasses int, testFraction float64, rng *rand.Rand) (Split, error) {
	n := len(labels)
	if !(testFraction > 0 && testFraction < 1) {
		return Split{}, fmt.Errorf("test fraction %v must be between 0 and 1", testFraction)
	}
	byClass, err := groupByClass(labels, numClasses, nil)
	if err != nil {
		return Split{}, err
	}
	nTrain := int(math.Floor((1-testFraction)*float64(n) + 1e-9))
	nTest := n - nTrain
	if nTest < 1 || nTrain < 1 {
		return Split{}, fmt.Errorf("cannot split %d rows %v/%v: both parts would need at least one row", n, 1-testFraction, testFraction)
	}
	t := allocate(nTest, byClass)
	var sp Split
	sp.Test = make([]int, 0, nTest)
	sp.Pool = make([]int, 0, nTrain)
	for c, rows := range byClass {
		shuffle(rng, rows)
		sp.Test = append(sp.Test, rows[:t[c]]...)
		sp.Pool = append(sp.Pool, rows[t[c]:]...)
	}
	shuffle(rng, sp.Test)
	shuffle(rng, sp.Pool)
	return sp, nil
}

// allocate distributes total over the classes proportionally to their sizes
// (largest remainder; ties to the lower class index), capped at each size.
func allocate(total int, byClass [][]int) []int {
	n := 0
	for _, rows := range byClass {
		n += len(rows)
	}
	t := make([]int, len(byClass))
	rem := make([]int64, len(byClass))
	given := 0
	for c, rows := range byClass {
		p := int64(total) * int64(len(rows))
		t[c] = int(p / int64(n))
		rem[c] = p % int64(n)
		given += t[c]
	}
	for given < total {
		best := -1
		for c := range byClass {
			if t[c] >= len(byClass[c]) {
				continue
			}
			if best < 0 || rem[c] > rem[best] {
				best = c
			}
		}
		if best < 0 {
			break
		}
		t[best]++
		rem[best] = -1
		given++
	}
	return t
}

// Selection is a class-balanced labelled set drawn from a train pool.
type Selection struct {
	Indices  []int // dataset row indices, shuffled
	PerClass int   // the target per class: max(ceil(n/C), 2); 0 when the whole pool was taken
	Counts   []int // rows selected per class
	Short    []int // classes with fewer than PerClass rows in the pool: all of them were taken
}

// SelectLabelled draws a class-balanced labelled set of about n rows from
// pool, drawing from rng (the label_choice stream), as the reference code:
// per_class = max(ceil(n/C), 2); for c = 0..C-1 the pool rows of class c (in
// pool order) are shuffled and the first per_class taken (a class with fewer
// rows contributes all it has and is listed in Short); the union is then
// shuffled. The result can be larger than n (C·per_class, e.g. 1,001 for
// SNIPS) or smaller (under-populated classes, e.g. about 911 for TREC).
// n <= 0 (AllLabelled) takes the whole pool, shuffled.
func SelectLabelled(labels []int, numClasses int, pool []int, n int, rng *rand.Rand) (Selection, error) {
	byClass, err := groupByClass(labels, numClasses, pool)
	if err != nil {
		return Selection{}, err
	}
	sel := Selection{Counts: make([]int, numClasses)}
	if n <= 0 {
		sel.Indices = append([]int(nil), pool...)
		shuffle(rng, sel.Indices)
		for c, rows := range byClass {
			sel.Counts[c] = len(rows)
		}
		return sel, nil
	}
	sel.PerClass = max((n+numClasses-1)/numClasses, 2)
	for c, rows := range byClass {
		shuffle(rng, rows)
		k := min(sel.PerClass, len(rows))
		if k < sel.PerClass {
			sel.Short = append(sel.Short, c)
		}
		sel.Indices = append(sel.Indices, rows[:k]...)
		sel.Counts[c] = k
	}
	shuffle(rng, sel.Indices)
	return sel, nil
}

// groupByClass returns the row indices of each class, in the order of rows
// (nil rows: 0..len(labels)-1).
func groupByClass(labels []int, numClasses int, rows []int) ([][]int, error) {
	if numClasses < 1 {
		return nil, fmt.Errorf("need at least one class, got %d", numClasses)
	}
	byClass := make([][]int, numClasses)
	add := func(i int) error {
		if i < 0 || i >= len(labels) {
			return fmt.Errorf("row index %d out of range (dataset has %d rows)", i, len(labels))
		}
		l := labels[i]
		if l < 0 || l >= numClasses {
			return fmt.Errorf("row %d has label %d, outside 0..%d", i, l, numClasses-1)
		}
		byClass[l] = append(byClass[l], i)
		return nil
	}
	if rows == nil {
		for i := range labels {
			if err := add(i); err != nil {
				return nil, err
			}
		}
	} else {
		for _, i := range rows {
			if err := add(i); err != nil {
				return nil, err
			}
		}
	}
	return byClass, nil
}

// shuffle is a Fisher–Yates shuffle (from the end, as math/rand) driven only
// by rng.Uint64, so that it is stable across Go releases.
func shuffle(rng *rand.Rand, xs []int) {
	for i := len(xs) - 1; i > 0; i-- {
		j := int(boundedUint64(rng, uint64(i+1)))
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// boundedUint64 returns a uniform integer in [0, n) (Lemire's multiply-shift
// with rejection; n > 0).
func boundedUint64(rng *rand.Rand, n uint64) uint64 {
	hi, lo := bits.Mul64(rng.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(rng.Uint64(), n)
		}
	}
	return hi
}

// Partition is the paper's data protocol applied to one dataset: the test
// set, the train pool and the labelled set, as row indices of the dataset.
type Partition struct {
	Split
	Labelled  Selection
	SplitSeed uint64 // the data_split seed used
	LabelSeed uint64 // the label_choice seed used
}

// Prepare splits d 80/20 with the data_split stream of set and selects
// nLabelled class-balanced labelled rows (AllLabelled: the whole pool) with
// its label_choice stream.
func Prepare(d *Dataset, set seeds.Set, nLabelled int) (*Partition, error) {
	p := &Partition{SplitSeed: set[seeds.DataSplit], LabelSeed: set[seeds.LabelChoice]}
	sp, err := StratifiedSplit(d.Labels, d.NumClasses(), TestFraction, seeds.New(p.SplitSeed))
	if err != nil {
		return nil, fmt.Errorf("split %s: %w", d.Name, err)
	}
	p.Split = sp
	sel, err := SelectLabelled(d.Labels, d.NumClasses(), sp.Pool, nLabelled, seeds.New(p.LabelSeed))
	if err != nil {
		return nil, fmt.Errorf("select labelled rows of %s: %w", d.Name, err)
	}
	p.Labelled = sel
	return p, nil
}
