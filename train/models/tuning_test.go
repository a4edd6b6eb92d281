package models

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/peft"
	"github.com/deni-project/deni/train/schedule"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// recorder is a strategy.Model that keeps every clone the strategy makes
// (interpolation and delayed-ensemble members), to inspect them after
// training.
type recorder struct {
	strategy.Model
	clones *[]strategy.Model
}

func (r recorder) Clone() strategy.Model {
	c := r.Model.Clone()
	*r.clones = append(*r.clones, c)
	return recorder{c, r.clones}
}

func tuningSamples(f *Factory, n int) []strategy.Sample {
	var out []strategy.Sample
	for i := 0; i < n; i++ {
		s := corpus[i%len(corpus)]
		out = append(out, strategy.Sample{IDs: f.Encode(s, 16), Label: int32(i % 3)})
	}
	return out
}

func frozenSnapshot(m strategy.Model) map[string][]float32 {
	s := map[string][]float32{}
	for _, p := range m.Params() {
		if !p.Trainable {
			s[p.Name] = slices.Clone(p.Data)
		}
	}
	return s
}

// DENI with LoRA on glove-mini: noise, interpolation (merge) and the final
// ensemble act on the trainable parameters only. Every model (the main one,
// the interpolation members, the final members) keeps the frozen values of
// the fresh model, bit for bit, while the members' trainable ones differ.
func TestDENIWithLoRAActsOnTrainableParameters(t *testing.T) {
	f := tinyFactory(t)
	var clones []strategy.Model
	var main strategy.Model
	var initial map[string][]float32
	var initialTrainable []float32
	newModel := func(init *rand.Rand) (strategy.Model, error) {
		m, err := f.NewTunedModel(peft.LoRA, init)
		if err != nil {
			return nil, err
		}
		main, initial = m, frozenSnapshot(m)
		for _, p := range tensor.SelectParams(m.Params(), tensor.Trainable) {
			initialTrainable = append(initialTrainable, p.Data...)
		}
		return recorder{m, &clones}, nil
	}
	p, _ := schedule.Defaults(schedule.DENI)
	p.EnsembleSize, p.NoiseEvery, p.InterpolationSteps = 3, 4, 4
	ocfg, _ := optim.Defaults(optim.KindAdam)
	setup := strategy.Setup{Strategy: p, Epochs: 5, BatchSize: 4, EvalBatch: 8, LR: f.LR(peft.LoRA), Optimizer: ocfg,
		Schedule: "linear", NoiseLayer: "trainable", Seeds: strategy.Seeds{SampleOrder: 1, ModelInit: 2, ModelRandomness: 3, Noise: 4}, Parallel: 2}
	out, err := strategy.Train(context.Background(), setup, newModel, tuningSamples(f, 32), tuningSamples(f, 12))
	if err != nil {
		t.Fatal(err)
	}
	// N = 40 steps: interpolations from step 12 on, the final ensemble (2 members) at step 36.
	var merged, final int
	for _, e := range out.Events {
		switch e.Kind {
		case results.EventMembersMerged:
			merged++
		case results.EventFinalEnsembleCreated:
			final++
		}
	}
	if merged == 0 || final != 1 || len(clones) < 4 || len(out.MemberPreds[0]) != 3 {
		t.Fatalf("%d merges, %d final ensembles, %d clones, %d voters", merged, final, len(clones), len(out.MemberPreds[0]))
	}
	if len(initial) == 0 {
		t.Fatal("no frozen parameters")
	}
	for i, m := range append([]strategy.Model{main}, clones...) {
		for _, p := range m.Params() {
			if want, ok := initial[p.Name]; ok != !p.Trainable || (ok && !slices.Equal(p.Data, want)) {
				t.Fatalf("model %d: frozen %s changed (or trainability differs)", i, p.Name)
			}
		}
	}
	var now []float32
	for _, p := range tensor.SelectParams(main.Params(), tensor.Trainable) {
		now = append(now, p.Data...)
	}
	if slices.Equal(now, initialTrainable) {
		t.Fatal("the main model's trainable parameters did not train")
	}
	finals := clones[len(clones)-2:]
	mainTr := tensor.SelectParams(main.Params(), tensor.Trainable)
	for k, m := range finals {
		tr := tensor.SelectParams(m.Params(), tensor.Trainable)
		differ := 0
		for i, p := range tr {
			if !slices.Equal(p.Data, mainTr[i].Data) {
				differ++
			}
		}
		if differ == 0 {
			t.Fatalf("final member %d equals the main model", k)
		}
		if !strings.Contains(tr[len(tr)-1].Name, "lora_B") {
			t.Fatalf("the last trainable parameter is %s, want a LoRA matrix", tr[len(tr)-1].Name)
		}
	}
	c := out.Classes
	differ := false
	for _, l := range out.MemberLogits {
		if !slices.Equal(l[:c], l[c:2*c]) {
			differ = true
		}
	}
	if !differ {
		t.Fatal("members predict the same logits as the main model")
	}
}

// Every tuning method trains every encoder (glove-mini and the three HF
// families) through strategy.Train, with the right default learning rate.
func TestTuningOnEveryEncoder(t *testing.T) {
	facs := map[string]*Factory{GloveMini: tinyFactory(t)}
	for _, mt := range []string{"bert", "roberta", "albert"} {
		f, err := New(writeTinyFolder(t, mt), nil, Options{Classes: 3, MaxLen: 16, HeadDropout: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		facs[mt] = f
	}
	for name, f := range facs {
		for _, method := range Tunings.Names() {
			t.Run(name+"/"+method, func(t *testing.T) {
				lr := f.LR(method)
				want := GloveMiniLRs[method]
				if name != GloveMini {
					want = PaperLRs[method][name]
				}
				if lr != want || lr == 0 {
					t.Fatalf("LR %g, want %g", lr, want)
				}
				m, err := f.NewTunedModel(method, seeds.New(1))
				if err != nil {
					t.Fatal(err)
				}
				ref, _ := f.NewModel(seeds.New(1))
				tr, total := peft.Count(m.Params())
				if method == peft.Full {
					if tr != total {
						t.Fatalf("full fine-tuning trains %d of %d", tr, total)
					}
				} else if tr >= total || tr == 0 { // rank 64 on width 16: the adapters are most of a tiny model
					t.Fatalf("%s trains %d of %d values", method, tr, total)
				}
				// The method's draws come after the model's: same backbone and head.
				for i, p := range ref.Params() {
					if !slices.Equal(p.Data, m.Params()[i].Data) {
						t.Fatalf("%s differs from the untuned model's", p.Name)
					}
				}
				p, _ := schedule.Defaults(schedule.Default)
				ocfg, _ := optim.Defaults(optim.KindAdam)
				setup := strategy.Setup{Strategy: p, Epochs: 2, BatchSize: 4, EvalBatch: 8, LR: lr, Optimizer: ocfg,
					Schedule: "linear", NoiseLayer: "trainable", Seeds: strategy.Seeds{SampleOrder: 1, ModelInit: 2, ModelRandomness: 3, Noise: 4}, Parallel: 1}
				out, err := strategy.Train(context.Background(), setup, f.ModelMaker(method), tuningSamples(f, 12), tuningSamples(f, 6))
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range out.Steps {
					if math.IsNaN(float64(s.Loss)) {
						t.Fatal("NaN loss")
					}
				}
				if m.ForwardFLOPs(10) < ref.ForwardFLOPs(10) {
					t.Fatal("a tuned model costs less than its backbone")
				}
				// An input-noise step trains the head alone: its forward pass
				// plus the head weight's gradient (hidden × classes).
				c, _ := Unwrap(m)
				headW := 2 * float64(c.ClassifierHead().Output.Weight.Len())
				if got, want := m.HeadOnlyTrainFLOPs(10), m.ForwardFLOPs(10)+headW; got != want || got >= m.TrainFLOPs(10) {
					t.Fatalf("head-only step %g FLOPs, want %g (< %g)", got, want, m.TrainFLOPs(10))
				}
			})
		}
	}
	mean, err := New(GloveMean, corpus, Options{Classes: 3, MaxLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mean.NewTunedModel(peft.LoRA, seeds.New(1)); err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("glove-mean with LoRA: %v", err)
	}
	mini, err := New(GloveMini, corpus, Options{Classes: 3, MaxLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*Factory{mini, mean} {
		checkDefaultLR(t, f, f.Name)
	}
	if lr := DefaultLR("no-such-model", peft.Full); lr != 0 {
		t.Errorf("unknown model: default lr %g, want 0", lr)
	}
}

// checkDefaultLR checks that DefaultLR, which the plan uses without loading
// the model, gives the factory's learning rate for every tuning method.
func checkDefaultLR(t *testing.T, f *Factory, name string) {
	t.Helper()
	for _, tuning := range Tunings.Names() {
		if got, want := DefaultLR(name, tuning), f.LR(tuning); got != want || got == 0 {
			t.Errorf("%s %s: DefaultLR %g, Factory.LR %g", name, tuning, got, want)
		}
	}
}

// TestNoisyTunePerturbsThePretrainedWeightsOnly: what NoisyTune perturbs
// (strategy.Pretrained) is the encoder's pre-trained tensors under every
// tuning method: never the head, never the modules LoRA, IA3 or UniPELT add.
func TestNoisyTunePerturbsThePretrainedWeightsOnly(t *testing.T) {
	f := tinyFactory(t)
	full, err := f.NewTunedModel(peft.Full, seeds.New(1))
	if err != nil {
		t.Fatal(err)
	}
	var encoder []string
	for _, p := range full.Params() {
		if !strings.HasPrefix(p.Name, "output.") {
			encoder = append(encoder, p.Name)
		}
	}
	for _, method := range []string{peft.Full, peft.LoRA, peft.IA3, peft.UniPELT} {
		m, err := f.NewTunedModel(method, seeds.New(1))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range strategy.Pretrained(m) {
			got = append(got, p.Name)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(encoder))
		if !slices.Equal(got, want) {
			t.Errorf("%s: NoisyTune perturbs %d tensors %v..., want the encoder's %d", method, len(got), got[:min(3, len(got))], len(want))
		}
		if method != peft.Full && len(m.Params()) <= len(full.Params()) {
			t.Errorf("%s adds no modules: the check shows nothing", method)
		}
	}
}
