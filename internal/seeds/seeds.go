// Package seeds derives the named random streams of a run.
//
// Randomness is the subject of deni, so every random draw comes from a stream
// that is named by its factor and derived from the experiment's root seed.
// The derivation is pure arithmetic (SplitMix64 over an FNV-1a hash of the
// names), so the same (root, factor, run index) gives the same stream on every
// machine, whatever the order in which streams are created.
//
// seeds is a leaf package (standard library only): data, augment and train all
// import it.
package seeds

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
)

// Factor names one source of randomness.
type Factor string

// The randomness factors of a run, as in the paper's investigation protocol.
const (
	DataSplit       Factor = "data_split"       // stratified train/test split
	LabelChoice     Factor = "label_choice"     // which samples are labelled
	SampleOrder     Factor = "sample_order"     // batch order, a new permutation per epoch
	ModelInit       Factor = "model_init"       // initial weights of new layers
	ModelRandomness Factor = "model_randomness" // dropout masks
	Noise           Factor = "noise"            // strategy perturbations
	Augmentation    Factor = "augmentation"     // every choice of an augmenter
)

// Factors lists every factor in a stable order.
var Factors = []Factor{DataSplit, LabelChoice, SampleOrder, ModelInit, ModelRandomness, Noise, Augmentation}

// PaperFixed are the factors the paper keeps fixed across the runs of a configuration.
var PaperFixed = []Factor{DataSplit, LabelChoice}

// ParseFactor checks that name is a known factor.
func ParseFactor(name string) (Factor, error) {
	for _, f := range Factors {
		if string(f) == name {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown randomness factor %q (known: %v)", name, Factors)
}

// SplitMix64 is one step of the SplitMix64 generator: a bijective mixer with
// good avalanche, used to turn structured inputs into independent-looking seeds.
func SplitMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func hashName(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// Derive returns the seed of a named child of parent: Derive(s, "member", 3)
// is the seed of the fourth ensemble member's stream derived from s.
func Derive(parent uint64, name string, index int) uint64 {
	return SplitMix64(SplitMix64(parent^hashName(name)) ^ uint64(index))
}

// Set holds the seed of every factor of one run.
type Set map[Factor]uint64

// ForRun returns the seeds of run runIndex: a factor listed in fixed gets the
// same seed in every run (its run index is taken as 0), the others vary.
func ForRun(root uint64, runIndex int, fixed []Factor) Set {
	s := make(Set, len(Factors))
	for _, f := range Factors {
		idx := runIndex
		if slices.Contains(fixed, f) {
			idx = 0
		}
		s[f] = Derive(root, string(f), idx)
	}
	return s
}

// New returns a generator seeded with seed (PCG, whose second word comes from
// SplitMix64 so that nearby seeds give unrelated streams).
func New(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, SplitMix64(seed)))
}

// Stream returns the generator of factor f in this set.
func (s Set) Stream(f Factor) *rand.Rand { return New(s[f]) }
