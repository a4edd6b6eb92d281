package models

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/peft"
	"github.com/deni-project/deni/train/schedule"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// bertMini is deni-bert-mini (a 4-layer Hugging Face BERT folder) for the
// corpus, 3 classes.
func bertMini(t *testing.T) *Factory {
	t.Helper()
	return corpusFactory(t, DeniBertMini)
}

// folderFactory is a tiny Hugging Face folder of modelType for the corpus.
func folderFactory(t *testing.T, modelType string) *Factory {
	t.Helper()
	return corpusFactory(t, writeTinyFolder(t, modelType))
}

func layeredModel(t *testing.T, f *Factory, tuning string, seed uint64) strategy.Layered {
	t.Helper()
	m, err := f.NewTunedModel(tuning, seeds.New(seed))
	if err != nil {
		t.Fatal(err)
	}
	l, ok := m.(strategy.Layered)
	if !ok {
		t.Fatalf("%T is not strategy.Layered", m)
	}
	return l
}

// wantDepth is the depth rule written out by hand for BERT-style names:
// head and pooler 0, encoder.layer.i L−i, ALBERT's groups as layers, the
// rest (embeddings, embedding mapping, UniPELT's shared prefix pool) L+1.
func wantDepth(name string, layers int) int {
	if strings.HasPrefix(name, "output.") || strings.HasPrefix(name, "pooler.") {
		return 0
	}
	for _, pre := range []string{"encoder.layer.", "encoder.albert_layer_groups."} {
		if rest, ok := strings.CutPrefix(name, pre); ok {
			i, err := strconv.Atoi(rest[:strings.IndexByte(rest, '.')])
			if err != nil {
				panic(name)
			}
			return layers - i
		}
	}
	return layers + 1
}

// TestReinitRedrawsThePoolerAndTopLayers: on deni-bert-mini, glove-mini and
// a RoBERTa folder, Reinit(2) changes exactly the pooler and the top two
// layers, whose values are those of BERT's initialiser recomputed here from
// the same stream (weights N(0, 0.02²) in Params order, biases 0,
// LayerNorm 1 and 0); every other parameter, the head included, keeps its
// value bit for bit. ALBERT's shared layers allow the pooler alone; more
// layers than the model has is an error.
func TestReinitRedrawsThePoolerAndTopLayers(t *testing.T) {
	const seed = 11
	for _, c := range []struct {
		name   string
		f      *Factory
		layers int
	}{{DeniBertMini, bertMini(t), 4}, {GloveMini, tinyFactory(t), 2}, {"roberta", folderFactory(t, "roberta"), 2}} {
		if c.f.Config.InitializerRange != 0.02 {
			t.Fatalf("%s: initializer_range %g", c.name, c.f.Config.InitializerRange)
		}
		m0 := layeredModel(t, c.f, peft.Full, seed)
		m1 := layeredModel(t, c.f, peft.Full, seed)
		if err := m1.Reinit(2, strategy.ReinitStream(seed)); err != nil {
			t.Fatal(err)
		}
		top := []string{"encoder.layer." + strconv.Itoa(c.layers-2) + ".", "encoder.layer." + strconv.Itoa(c.layers-1) + "."}
		rng := strategy.ReinitStream(seed)
		redrawn := 0
		var all []float32
		for i, p := range m1.Params() {
			before := m0.Params()[i].Data
			if !strings.HasPrefix(p.Name, "pooler.") && !strings.HasPrefix(p.Name, top[0]) && !strings.HasPrefix(p.Name, top[1]) {
				if !slices.Equal(p.Data, before) {
					t.Errorf("%s: %s changed", c.name, p.Name)
				}
				continue
			}
			redrawn++
			for j, got := range p.Data {
				var want float32
				switch {
				case strings.HasSuffix(p.Name, "LayerNorm.weight"):
					want = 1
				case strings.HasSuffix(p.Name, ".bias"):
					want = 0
				default:
					want = float32(rng.NormFloat64() * 0.02)
				}
				if got != want {
					t.Fatalf("%s: %s[%d] = %g, BERT's initialiser from the reinit stream gives %g", c.name, p.Name, j, got, want)
				}
			}
			if strings.HasSuffix(p.Name, ".weight") && !strings.Contains(p.Name, "LayerNorm") {
				if slices.Equal(p.Data, before) {
					t.Errorf("%s: %s redrawn to its old value", c.name, p.Name)
				}
				all = append(all, p.Data...)
			}
		}
		if redrawn != 2*16+2 {
			t.Errorf("%s: %d parameters redrawn, want 2 layers × 16 + the pooler's 2", c.name, redrawn)
		}
		if std := strategy.Std(all); math.Abs(std/0.02-1) > 0.02 {
			t.Errorf("%s: the redrawn weights have std %g, want 0.02", c.name, std)
		}
		if err := m1.Reinit(c.layers+1, strategy.ReinitStream(seed)); err == nil {
			t.Errorf("%s: reinit of %d layers accepted", c.name, c.layers+1)
		}
	}
	f := folderFactory(t, "albert")
	m0, m1 := layeredModel(t, f, peft.Full, seed), layeredModel(t, f, peft.Full, seed)
	if err := m1.Reinit(1, strategy.ReinitStream(seed)); err == nil || !strings.Contains(err.Error(), "reinit_layers: 0") {
		t.Errorf("ALBERT reinit of a shared layer: %v", err)
	}
	if err := m1.Reinit(0, strategy.ReinitStream(seed)); err != nil {
		t.Fatal(err)
	}
	for i, p := range m1.Params() {
		if changed := !slices.Equal(p.Data, m0.Params()[i].Data); changed != (p.Name == "pooler.weight") {
			t.Errorf("ALBERT reinit_layers 0: %s changed %v", p.Name, changed)
		}
	}
}

// TestLLRDDepths: every parameter's depth follows the rule written out by
// hand, for full fine-tuning, LoRA (its modules in their layer's depth),
// UniPELT (gates in their layer, the shared prefix pool with the
// embeddings) and ALBERT (its group is its one layer).
func TestLLRDDepths(t *testing.T) {
	bm := bertMini(t)
	for _, c := range []struct {
		f      *Factory
		tuning string
		layers int
	}{{bm, peft.Full, 4}, {bm, peft.LoRA, 4}, {bm, peft.UniPELT, 4}, {folderFactory(t, "albert"), peft.IA3, 1}} {
		m := layeredModel(t, c.f, c.tuning, 1)
		d := m.Depths()
		seen := map[int]bool{}
		for i, p := range m.Params() {
			if want := wantDepth(p.Name, c.layers); d[i] != want {
				t.Errorf("%s %s: %s at depth %d, want %d", c.f.Name, c.tuning, p.Name, d[i], want)
			}
			seen[d[i]] = true
		}
		if len(seen) != c.layers+2 {
			t.Errorf("%s %s: depths %v, want 0 … %d", c.f.Name, c.tuning, seen, c.layers+1)
		}
	}
}

// TestLLRDOneAdamStepIsTheHandComputation: one llrd step of deni-bert-mini
// (one batch, linear schedule: the full rate at step 1) moves every value
// by Adam's first step at rate × 0.95^depth, −lr·0.95^d·g/(|g|+ε), g the
// step's gradient: the head and the pooler at the full rate, the top layer
// at 0.95, …, the embeddings at 0.95^5. The same step under default moves
// every value at the full rate.
func TestLLRDOneAdamStepIsTheHandComputation(t *testing.T) {
	f := bertMini(t)
	train := tuningSamples(f, 8)
	for _, name := range []string{schedule.LLRD, schedule.Default} {
		p, _ := schedule.Defaults(name)
		ocfg, _ := optim.Defaults(optim.KindAdam)
		const lr = 1e-3
		s := strategy.Setup{Strategy: p, Epochs: 1, BatchSize: 8, EvalBatch: 8, LR: lr, Optimizer: ocfg, Schedule: "linear",
			NoiseLayer: "head", Seeds: strategy.Seeds{SampleOrder: 1, ModelInit: 2, ModelRandomness: 3, Noise: 4}}
		var m strategy.Model
		var before [][]float32
		newModel := func(init *rand.Rand) (strategy.Model, error) {
			var err error
			m, err = f.NewTunedModel(peft.Full, init)
			for _, q := range m.Params() {
				before = append(before, slices.Clone(q.Data))
			}
			return m, err
		}
		o, err := strategy.Train(context.Background(), s, newModel, train, tuningSamples(f, 3))
		if err != nil {
			t.Fatal(err)
		}
		if o.Cost.OptimizerSteps != 1 {
			t.Fatalf("%d steps", o.Cost.OptimizerSteps)
		}
		moved := map[int]int{}
		for i, q := range m.Params() {
			scale := 1.0
			if name == schedule.LLRD {
				scale = math.Pow(0.95, float64(wantDepth(q.Name, 4)))
			}
			for j, got := range q.Data {
				g := float64(q.Grad[j])
				want := float64(before[i][j]) - lr*scale*g/(math.Abs(g)+1e-8)
				if math.Abs(float64(got)-want) > 1e-6*math.Max(1, math.Abs(want)) {
					t.Fatalf("%s: %s[%d] = %.9g, want %.9g (depth %d, g %g)", name, q.Name, j, got, want, wantDepth(q.Name, 4), g)
				}
				if g != 0 {
					moved[wantDepth(q.Name, 4)]++
				}
			}
		}
		if len(moved) != 6 {
			t.Errorf("%s: values moved at depths %v, want every depth 0 … 5", name, moved)
		}
	}
}

// mixoutAll is mixout of every Linear of m at p, towards the current
// weights; then the weights move away from their targets (noise from
// rng), so that a mixed weight differs from both.
func mixoutAll(m strategy.Layered, p float64, rng *rand.Rand) *strategy.Mixout {
	ps := m.Params()
	mx := &strategy.Mixout{P: p, All: true, Targets: make([][]float32, len(ps))}
	for _, i := range m.Linears() {
		mx.Targets[i] = slices.Clone(ps[i].Data)
		for j := range ps[i].Data {
			ps[i].Data[j] += float32(0.02 * rng.NormFloat64())
		}
		if ps[i].Name == "output.weight" {
			mx.Target = mx.Targets[i]
		}
	}
	return mx
}

// TestMixoutAllMasksTargetsAndGradient: on deni-bert-mini and an ALBERT
// folder, a mixout-all training step is, to the bit, the dropout-free
// forward and backward pass of the model whose every Linear weight
// (attention, feed-forward, pooler, head; ALBERT's embedding mapping) is
// T + M⊙(W−T)/(1−p), with one mask per Linear drawn here from the same
// dropout stream (Bernoulli(1−p) per input feature, Linear by Linear in
// Params order): same loss; every weight's gradient is M/(1−p) times the
// mixed weight's, every other gradient equal. A finite-difference check
// confirms dL/dW on four Linears.
func TestMixoutAllMasksTargetsAndGradient(t *testing.T) {
	const p = 0.6
	for _, f := range []*Factory{bertMini(t), folderFactory(t, "albert")} {
		m := layeredModel(t, f, peft.Full, 5)
		mx := mixoutAll(m, p, rand.New(rand.NewPCG(8, 9)))
		o := strategy.StepOptions{Mixout: mx}
		b := tinyBatch(f)
		loss := lossAt(m, b, o) // dropout stream seeds.New(7)

		lin := m.Linears()
		if want := 2 + 6*len(layered(mustUnwrap(t, m)).LayerPrefixes()) + map[bool]int{true: 1}[f.Config.ModelType == "albert"]; len(lin) != want {
			t.Fatalf("%s: %d Linears, want %d", f.Name, len(lin), want)
		}
		ref := m.Clone()
		rps := ref.Params()
		rng := seeds.New(7)
		keep := float32(1 / (1 - p))
		masks := map[int][]float32{}
		for _, i := range lin {
			w := rps[i]
			out, in := w.Shape[0], w.Shape[1]
			mask := make([]float32, in)
			for j := range mask {
				if rng.Float64() >= p {
					mask[j] = keep
				}
			}
			for r := range out {
				for j := range in {
					tg := mx.Targets[i][r*in+j]
					w.Data[r*in+j] = tg + mask[j]*(w.Data[r*in+j]-tg)
				}
			}
			masks[i] = mask
		}
		c := mustUnwrap(t, ref)
		g := tensor.NewGraph()
		tensor.ZeroGrads(rps)
		nb := nn.Batch{IDs: b.IDs, Mask: b.Mask, B: b.B, T: b.T}
		refLoss := g.CrossEntropy(c.ClassifierHead().Forward(g, c.Pooled(g, nb, false, nil), false, nil), b.Labels)
		g.Backward(refLoss)
		if float64(refLoss.Data[0]) != loss {
			t.Fatalf("%s: loss %v, the mixed model's without dropout %v", f.Name, loss, refLoss.Data[0])
		}
		for i, q := range m.Params() {
			want := rps[i].Grad
			if mask, ok := masks[i]; ok {
				in := q.Shape[1]
				want = slices.Clone(want)
				for k := range want {
					want[k] *= mask[k%in]
				}
			}
			if !slices.Equal(q.Grad, want) {
				t.Fatalf("%s: gradient of %s is not M/(1−p)·dL/dW'", f.Name, q.Name)
			}
		}
		// Finite differences on W itself, at the entry with the largest
		// analytic gradient of four Linears.
		for _, name := range []string{"encoder.layer.0.attention.self.query.weight", "encoder.layer.3.output.dense.weight", "pooler.dense.weight", "output.weight",
			"encoder.embedding_hidden_mapping_in.weight", "encoder.albert_layer_groups.0.albert_layers.0.ffn.weight", "pooler.weight"} {
			w := param(m, name)
			if w == nil {
				continue
			}
			lossAt(m, b, o)
			grad := slices.Clone(w.Grad)
			best := 0
			for k, gv := range grad {
				if math.Abs(float64(gv)) > math.Abs(float64(grad[best])) {
					best = k
				}
			}
			num := tensor.CentralDifference(w.Data, best, 2e-3, func() float64 { return lossAt(m, b, o) })
			if grad[best] == 0 || math.Abs(num-float64(grad[best])) > 1e-4+0.03*math.Abs(num) {
				t.Errorf("%s: dL/d%s[%d]: analytic %g, numeric %g", f.Name, name, best, grad[best], num)
			}
		}
	}
}

func mustUnwrap(t *testing.T, m strategy.Model) nn.Classifier {
	t.Helper()
	c, ok := Unwrap(m)
	if !ok {
		t.Fatalf("%T is not an encoder", m)
	}
	return c
}

// TestLayerwiseRunsAreBitIdentical: reinit, llrd and mixout of every
// Linear train deni-bert-mini through strategy.Train; equal seeds give
// equal outcomes bit for bit, the seed each acts through changes them
// (model_init for reinit, model_randomness for mixout's masks), and each
// costs default's steps, sample passes and FLOPs (and memory, but for
// mixout's copy of every Linear's pre-trained weight).
func TestLayerwiseRunsAreBitIdentical(t *testing.T) {
	f := bertMini(t)
	train, test := tuningSamples(f, 24), tuningSamples(f, 6)
	run := func(p schedule.Params, sd strategy.Seeds) *strategy.Outcome {
		t.Helper()
		ocfg, _ := optim.Defaults(optim.KindAdam)
		s := strategy.Setup{Strategy: p, Epochs: 2, BatchSize: 8, EvalBatch: 8, LR: f.LR(peft.Full), Optimizer: ocfg,
			Schedule: "linear", NoiseLayer: "head", Seeds: sd}
		o, err := strategy.Train(context.Background(), s, f.ModelMaker(peft.Full), train, test)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	sd := strategy.Seeds{SampleOrder: 1, ModelInit: 2, ModelRandomness: 3, Noise: 4}
	def := run(mustStrategy(t, schedule.Default), sd)
	all := mustStrategy(t, schedule.Mixout)
	all.MixoutLayers = schedule.MixoutAll
	if reflect.DeepEqual(run(all, sd).Logits, run(mustStrategy(t, schedule.Mixout), sd).Logits) {
		t.Error("mixout of every Linear trains as mixout of the head")
	}
	for _, c := range []struct {
		p    schedule.Params
		vary func(*strategy.Seeds)
	}{
		{mustStrategy(t, schedule.Reinit), func(s *strategy.Seeds) { s.ModelInit++ }},
		{mustStrategy(t, schedule.LLRD), func(s *strategy.Seeds) { s.SampleOrder++ }},
		{all, func(s *strategy.Seeds) { s.ModelRandomness++ }},
	} {
		a, b := run(c.p, sd), run(c.p, sd)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s %s: equal seeds, different outcomes", c.p.Name, c.p.MixoutLayers)
		}
		if reflect.DeepEqual(a.Logits, def.Logits) {
			t.Errorf("%s %s: trains exactly as default", c.p.Name, c.p.MixoutLayers)
		}
		other := sd
		c.vary(&other)
		if reflect.DeepEqual(a.Logits, run(c.p, other).Logits) {
			t.Errorf("%s %s: another seed, same logits", c.p.Name, c.p.MixoutLayers)
		}
		want := def.Cost
		if c.p.MixoutLayers == schedule.MixoutAll { // it keeps every Linear's pre-trained weight
			m, _ := f.NewModel(seeds.New(1))
			for _, i := range m.(strategy.Layered).Linears() {
				want.ModelBytes += 4 * int64(len(m.Params()[i].Data))
			}
		}
		if a.Cost != want {
			t.Errorf("%s %s: cost %+v, want %+v", c.p.Name, c.p.MixoutLayers, a.Cost, want)
		}
	}
}

func mustStrategy(t *testing.T, name string) schedule.Params {
	t.Helper()
	p, err := schedule.Defaults(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEncoderLayers: what validation reads without building a model.
func TestEncoderLayers(t *testing.T) {
	for _, c := range []struct {
		name       string
		layers     int
		shared, ok bool
	}{{DeniBertMini, 4, false, true}, {GloveMini, 2, false, true}, {GloveMean, 0, false, false},
		{writeTinyFolder(t, "albert"), 1, true, true}, {"no-such-model", 0, false, false}} {
		l, s, ok := EncoderLayers(c.name)
		if l != c.layers || s != c.shared || ok != c.ok {
			t.Errorf("%s: %d layers, shared %v, ok %v; want %d, %v, %v", c.name, l, s, ok, c.layers, c.shared, c.ok)
		}
	}
}
