package models

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/bench"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/peft"
	"github.com/deni-project/deni/train/schedule"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// r3fConfig is nn.TinyConfig with or without dropout and init range 0.5,
// so that the logits are far from uniform.
func r3fConfig(modelType string, dropout bool) nn.Config {
	c := nn.TinyConfig(modelType)
	c.InitializerRange = 0.5
	if !dropout {
		c.HiddenDropoutProb, c.AttentionProbsDropoutProb, c.HeadDropout = 0, 0, 0
	}
	return c
}

// r3fModel builds the tiny encoder, tuned with method (full: as built).
func r3fModel(t *testing.T, modelType, method string, dropout bool) strategy.Model {
	t.Helper()
	c, err := nn.New(r3fConfig(modelType, dropout), seeds.New(3))
	if err != nil {
		t.Fatal(err)
	}
	if c, err = ApplyTuning(c, method, seeds.New(4)); err != nil {
		t.Fatal(err)
	}
	return Wrap(c)
}

// r3fBatch has padding (rows of 6, 3 and 5 tokens) and ids below 23.
func r3fBatch() *strategy.Batch {
	seqs := [][]int32{{2, 5, 7, 3, 9, 4}, {2, 9, 3}, {2, 4, 4, 6, 3}}
	b := &strategy.Batch{B: 3, T: 6, IDs: make([]int32, 18), Mask: make([]int32, 18), Labels: []int32{2, 0, 1}}
	for i, s := range seqs {
		for j, id := range s {
			b.IDs[i*6+j], b.Mask[i*6+j] = id, 1
		}
	}
	return b
}

// step runs one training step from zeroed gradients and returns its loss,
// every parameter's gradient and the dropout stream's next draw.
func step(m strategy.Model, b *strategy.Batch, o strategy.StepOptions) (float32, [][]float32, uint64) {
	tensor.ZeroGrads(m.Params())
	drop := seeds.New(7)
	loss := m.TrainStep(b, drop, o)
	var grads [][]float32
	for _, p := range m.Params() {
		grads = append(grads, slices.Clone(p.Grad))
	}
	return loss, grads, drop.Uint64()
}

func r3fOpts(sigma, lambda float64, uniform bool) strategy.StepOptions {
	return strategy.StepOptions{R3F: &strategy.R3F{Sigma: sigma, Uniform: uniform, Lambda: lambda, RNG: seeds.New(5)}}
}

// TestR3FWithoutNoiseOrDropoutIsThePlainStep: with σ = 0 and no dropout the
// noisy pass is the clean pass again, so the symmetric KL is exactly 0 and
// adds exactly 0 to every gradient: the R3F step's loss and gradients are
// the plain step's bit for bit, on every encoder family, fully tuned or with
// IA3 (PEFT's Pooled runs twice on one graph), and no dropout draw is made.
// (LoRA's input dropout is dropout too: it draws in both passes.)
func TestR3FWithoutNoiseOrDropoutIsThePlainStep(t *testing.T) {
	for _, mt := range []string{"bert", "roberta", "albert"} {
		for _, method := range []string{peft.Full, peft.IA3} {
			t.Run(mt+"/"+method, func(t *testing.T) {
				m := r3fModel(t, mt, method, false)
				b := r3fBatch()
				loss, grads, next := step(m, b, strategy.StepOptions{})
				rLoss, rGrads, rNext := step(m, b, r3fOpts(0, 1, false))
				if rLoss != loss || next != rNext {
					t.Fatalf("loss %v, plain %v; dropout stream moved: %v", rLoss, loss, next != rNext)
				}
				for i, p := range m.Params() {
					if !slices.Equal(rGrads[i], grads[i]) {
						t.Fatalf("%s: gradient differs from the plain step's", p.Name)
					}
				}
				if n, _, _ := step(m, b, r3fOpts(0.1, 1, false)); n <= loss {
					t.Errorf("σ 0.1: loss %v not above the plain %v", n, loss)
				}
			})
		}
	}
}

// TestR3FWithDropout states what holds when dropout is on: the clean pass
// draws the plain step's masks first, so at λ = 0 the loss and gradients
// are still the plain step's bit for bit; but the noisy pass then draws its
// own masks from the same stream (the next step's masks differ from
// default's), and two masks make the KL positive even at σ = 0.
func TestR3FWithDropout(t *testing.T) {
	m := r3fModel(t, "bert", peft.Full, true)
	b := r3fBatch()
	loss, grads, next := step(m, b, strategy.StepOptions{})
	l0, g0, n0 := step(m, b, r3fOpts(0, 0, false))
	if l0 != loss {
		t.Fatalf("λ 0: loss %v, plain %v", l0, loss)
	}
	for i, p := range m.Params() {
		if !slices.Equal(g0[i], grads[i]) {
			t.Fatalf("λ 0: %s: gradient differs from the plain step's", p.Name)
		}
	}
	if n0 == next {
		t.Error("the noisy pass drew no dropout masks")
	}
	if l, _, _ := step(m, b, r3fOpts(0, 1, false)); l <= loss {
		t.Errorf("σ 0, λ 1 with dropout: loss %v, want above the plain %v (two dropout masks)", l, loss)
	}
}

// noisyWordsOf is the word-embedding rows of b's ids plus R3F noise from
// seeds.New(5), drawn in row-major [B·T, E] order, as R3F's noisy pass
// takes them.
func noisyWordsOf(m strategy.Model, b *strategy.Batch, sigma float64, uniform bool) *tensor.Tensor {
	table := param(m, wordTableName)
	e := table.Shape[1]
	w := tensor.New(b.B*b.T, e)
	for i, id := range b.IDs {
		copy(w.Data[i*e:(i+1)*e], table.Data[int(id)*e:])
	}
	(&strategy.R3F{Sigma: sigma, Uniform: uniform, RNG: seeds.New(5)}).AddNoise(w.Data)
	return w
}

// logitsWith returns the logits of b without dropout, the word lookup
// replaced by words when given.
func logitsWith(m strategy.Model, b *strategy.Batch, words *tensor.Tensor) []float64 {
	c, _ := Unwrap(m)
	g := tensor.NewGraph()
	g.SetNoGrad(true)
	nb := batchOf(b)
	nb.Words = words
	var out []float64
	for _, v := range c.ClassifierHead().Forward(g, c.Pooled(g, nb, true, nil), true, nil).Data {
		out = append(out, float64(v))
	}
	return out
}

// r3fLossOf is CE(clean) + λ · mean over the batch of
// Σ_c (P_c − Q_c)(ln P_c − ln Q_c), written out in float64.
func r3fLossOf(clean, noisy []float64, labels []int32, lambda float64) float64 {
	c := len(clean) / len(labels)
	logSoftmax := func(x []float64) []float64 {
		mx := slices.Max(x)
		var s float64
		for _, v := range x {
			s += math.Exp(v - mx)
		}
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = v - mx - math.Log(s)
		}
		return out
	}
	var ce, kl float64
	for r, y := range labels {
		lp, lq := logSoftmax(clean[r*c:(r+1)*c]), logSoftmax(noisy[r*c:(r+1)*c])
		ce -= lp[y]
		for j := range lp {
			kl += (math.Exp(lp[j]) - math.Exp(lq[j])) * (lp[j] - lq[j])
		}
	}
	n := float64(len(labels))
	return ce/n + lambda*kl/n
}

// TestR3FLossValue: the step's loss is CE of the clean pass alone (no
// cross-entropy on the noisy pass) + λ · the batch mean of the symmetric KL
// between the clean logits and the logits of the batch whose word lookup is
// replaced by the table's rows plus the noise of the R3F stream, in
// row-major order: normal and uniform noise, on BERT and ALBERT (whose word
// embeddings are narrower than the hidden size).
func TestR3FLossValue(t *testing.T) {
	for _, mt := range []string{"bert", "albert"} {
		for _, uniform := range []bool{false, true} {
			m := r3fModel(t, mt, peft.Full, false)
			b := r3fBatch()
			const sigma, lambda = 0.4, 1.7
			got, _, _ := step(m, b, r3fOpts(sigma, lambda, uniform))
			clean, noisy := logitsWith(m, b, nil), logitsWith(m, b, noisyWordsOf(m, b, sigma, uniform))
			want := r3fLossOf(clean, noisy, b.Labels, lambda)
			plain := r3fLossOf(clean, clean, b.Labels, 0)
			if math.Abs(float64(got)-want) > 2e-6*want {
				t.Errorf("%s, uniform %v: loss %.8g, want %.8g", mt, uniform, got, want)
			}
			if want-plain < 1e-3 {
				t.Errorf("%s, uniform %v: KL term %g too small for the check to mean anything", mt, uniform, want-plain)
			}
		}
	}
}

// TestR3FGradientMatchesFiniteDifferences: on a tiny BERT without dropout,
// the gradient of the R3F loss (σ 0.4, λ 2, the same noise every time)
// matches central differences for entries of every kind of parameter, and
// so does its KL part alone (the R3F gradient minus the plain step's
// against the differences of the two losses). The word table gets the
// gradient of the clean pass only: its differences are taken with the
// noisy pass's words held at their values (fairseq detaches them).
func TestR3FGradientMatchesFiniteDifferences(t *testing.T) {
	m := r3fModel(t, "bert", peft.Full, false)
	b := r3fBatch()
	const sigma, lambda = 0.4, 2.0
	opts := func() strategy.StepOptions { return r3fOpts(sigma, lambda, false) }
	_, grads, _ := step(m, b, opts())
	_, plainGrads, _ := step(m, b, strategy.StepOptions{})
	fixed := noisyWordsOf(m, b, sigma, false)
	lossOf := func(name string) (r3f, plain float64) {
		if name == wordTableName {
			clean := logitsWith(m, b, nil)
			return r3fLossOf(clean, logitsWith(m, b, fixed), b.Labels, lambda), r3fLossOf(clean, clean, b.Labels, 0)
		}
		l, _, _ := step(m, b, opts())
		p, _, _ := step(m, b, strategy.StepOptions{})
		return float64(l), float64(p)
	}
	checks := map[string][]int{
		wordTableName:                                 {5*16 + 3, 9*16 + 0, 4*16 + 11},
		"embeddings.position_embeddings.weight":       {1*16 + 2, 4*16 + 7},
		"embeddings.LayerNorm.weight":                 {0, 9},
		"encoder.layer.0.attention.self.query.weight": {3, 100},
		"encoder.layer.1.output.dense.weight":         {17, 200},
		"pooler.dense.weight":                         {5, 77},
		"output.weight":                               {2, 30},
		"output.bias":                                 {1},
	}
	index := map[string]int{}
	for i, p := range m.Params() {
		index[p.Name] = i
	}
	klChecked := 0
	for name, elems := range checks {
		pi, ok := index[name]
		if !ok {
			t.Fatalf("no parameter %s", name)
		}
		p := m.Params()[pi]
		for _, i := range elems {
			const h = 2e-3
			orig := p.Data[i]
			p.Data[i] = orig + h
			lp, pp := lossOf(name)
			p.Data[i] = orig - h
			lm, pm := lossOf(name)
			p.Data[i] = orig
			step := float64(orig+h) - float64(orig-h)
			num, numKL := (lp-lm)/step, ((lp-pp)-(lm-pm))/step
			a, aKL := float64(grads[pi][i]), float64(grads[pi][i]-plainGrads[pi][i])
			if math.Abs(a-num) > 2e-4+0.01*math.Abs(num) {
				t.Errorf("%s[%d]: R3F gradient %.6g, numeric %.6g", name, i, a, num)
			}
			if math.Abs(aKL-numKL) > 2e-4+0.01*math.Abs(numKL) {
				t.Errorf("%s[%d]: KL part of the gradient %.6g, numeric %.6g", name, i, aKL, numKL)
			}
			if math.Abs(numKL) > 1e-3 {
				klChecked++
			}
		}
	}
	if klChecked < 8 {
		t.Errorf("only %d entries have a KL gradient above 1e-3: the check is nearly vacuous", klChecked)
	}
}

// TestR3FRunsAreReproducible: an r3f run through strategy.Train (dropout
// on) is bit-identical when repeated with the same seeds, differs from
// default's, and its cost is default's with twice the passes and FLOPs.
func TestR3FRunsAreReproducible(t *testing.T) {
	f := tinyFactory(t)
	run := func(name string) *strategy.Outcome {
		p, _ := schedule.Defaults(name)
		if name == schedule.R3F {
			p.R3FSigma = 1e-3
		}
		ocfg, _ := optim.Defaults(optim.KindAdam)
		s := strategy.Setup{Strategy: p, Epochs: 2, BatchSize: 4, EvalBatch: 8, LR: f.LR(peft.Full), Optimizer: ocfg,
			Schedule: "linear", NoiseLayer: "head", Seeds: strategy.Seeds{SampleOrder: 1, ModelInit: 2, ModelRandomness: 3, Noise: 4}, Parallel: 1}
		out, err := strategy.Train(context.Background(), s, f.ModelMaker(peft.Full), tuningSamples(f, 12), tuningSamples(f, 6))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b, def := run(schedule.R3F), run(schedule.R3F), run(schedule.Default)
	if !reflect.DeepEqual(a, b) {
		t.Error("two r3f runs with the same seeds differ")
	}
	if reflect.DeepEqual(a.Logits, def.Logits) {
		t.Error("r3f trains exactly as default")
	}
	if a.Cost.OptimizerSteps != def.Cost.OptimizerSteps || a.Cost.ForwardSamples != 2*def.Cost.ForwardSamples ||
		a.Cost.BackwardSamples != 2*def.Cost.BackwardSamples || a.Cost.TrainFLOPs != 2*def.Cost.TrainFLOPs {
		t.Errorf("cost %+v, default's %+v", a.Cost, def.Cost)
	}
}

// TestR3FNeedsAnEncoder: glove-mean has no word embeddings feeding an
// encoder; the strategy says it needs one (the experiment file is refused
// with one line), and a step that asks anyway panics with the reason.
func TestR3FNeedsAnEncoder(t *testing.T) {
	p, _ := schedule.Defaults(schedule.R3F)
	if !p.NeedsEncoder() {
		t.Fatal("r3f does not need an encoder")
	}
	f, err := New(GloveMean, corpus, Options{Classes: 3, MaxLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := f.NewModel(rand.New(rand.NewPCG(1, 1)))
	defer func() {
		if recover() == nil {
			t.Error("glove-mean ran an R3F step")
		}
	}()
	m.TrainStep(tinyBatch(f), seeds.New(1), r3fOpts(1e-5, 1, false))
}

// TestR3FStepAllocatesNothing: after a warm-up step, an R3F step (both
// passes, the noise, the KL) allocates nothing, as the plain step.
func TestR3FStepAllocatesNothing(t *testing.T) {
	m := r3fModel(t, "bert", peft.Full, true)
	b := r3fBatch()
	drop := seeds.New(7)
	o := r3fOpts(1e-5, 1, false)
	one := func() {
		tensor.ZeroGrads(m.Params())
		m.TrainStep(b, drop, o)
	}
	one()
	if n := testing.AllocsPerRun(20, one); n != 0 {
		t.Errorf("%g allocations per R3F step", n)
	}
}

// BenchmarkDeniBertMiniR3F times a full fine-tuning step of the shipped
// model at TREC's shapes (batch 8, 16 tokens) without and with R3F (two
// forward and backward passes: about twice the time).
//
//	OPENBLAS_NUM_THREADS=1 go test -tags openblas -run '^$' -bench DeniBertMiniR3F ./train/models/
func BenchmarkDeniBertMiniR3F(b *testing.B) {
	f, err := New(DeniBertMini, []string{"what is the capital of france ?"}, Options{Classes: 6, MaxLen: 64, HeadDropout: 0.3})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{schedule.Default, schedule.R3F} {
		b.Run(name, func(b *testing.B) {
			m, err := f.NewModel(seeds.New(1))
			if err != nil {
				b.Fatal(err)
			}
			ocfg, _ := optim.Defaults(optim.KindAdam)
			opt, err := optim.New(ocfg, m.Params())
			if err != nil {
				b.Fatal(err)
			}
			batch := strategy.Batch{B: 8, T: 16, IDs: make([]int32, 128), Mask: make([]int32, 128), Labels: make([]int32, 8)}
			for i := range batch.IDs {
				batch.IDs[i], batch.Mask[i] = 4+int32(i*37)%int32(f.Config.VocabSize-4), 1
			}
			for i := range batch.Labels {
				batch.Labels[i] = int32(i % 6)
			}
			var o strategy.StepOptions
			if name == schedule.R3F {
				o = r3fOpts(1e-5, 1, false)
			}
			drop := seeds.New(2)
			step := func() {
				tensor.ZeroGrads(m.Params())
				m.TrainStep(&batch, drop, o)
				opt.Step(1e-4)
			}
			step()
			cpu0 := bench.CPUTime()
			for b.Loop() {
				step()
			}
			if cpu := (bench.CPUTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(float64(b.N)/cpu, "steps/CPU-s")
			}
		})
	}
}
