package strategy

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/schedule"
)

// TestR3FNoiseDraws: AddNoise adds Sigma·NormFloat64() (normal) or
// Sigma·(2·Float64()−1) (uniform) of its stream to every value, one draw per
// value in order, and the draws have the distribution's scale: std σ for
// N(0, σ²); within [−σ, σ] with std σ/√3 for U(−σ, σ).
func TestR3FNoiseDraws(t *testing.T) {
	const n, sigma = 200000, 1e-5
	for _, uniform := range []bool{false, true} {
		r := &R3F{Sigma: sigma, Uniform: uniform, Lambda: 1, RNG: seeds.New(11)}
		x := make([]float32, n)
		for i := range x {
			x[i] = 0.25 * float32(i%7)
		}
		base := slices.Clone(x)
		r.AddNoise(x)
		ref := seeds.New(11)
		z := make([]float64, n)
		for i := range x {
			var d float64
			if uniform {
				d = 2*ref.Float64() - 1
			} else {
				d = ref.NormFloat64()
			}
			if want := base[i] + float32(sigma*d); x[i] != want {
				t.Fatalf("uniform %v: value %d is %g, want %g (draw %d of the stream)", uniform, i, x[i], want, i)
			}
			z[i] = sigma * d
		}
		var mean, ss float64
		for _, v := range z {
			mean += v
		}
		mean /= n
		for _, v := range z {
			ss += (v - mean) * (v - mean)
		}
		std := math.Sqrt(ss / (n - 1))
		want, relErr := sigma, 4/math.Sqrt(2*n) // the sample std's relative error of a normal, ×4
		if uniform {
			want, relErr = sigma/math.Sqrt(3), 4*math.Sqrt(0.8/(4*n)) // kurtosis 1.8
			for i, v := range z {
				if math.Abs(v) > sigma {
					t.Fatalf("uniform draw %d = %g beyond σ", i, v)
				}
			}
		}
		if math.Abs(std/want-1) > relErr || math.Abs(mean) > 4*want/math.Sqrt(n) {
			t.Errorf("uniform %v: noise mean %g, std %g, want 0 and %g", uniform, mean, std, want)
		}
	}
}

// r3fRecorder wraps the test model: it records the R3F options of every
// training step and the noise they would add to a batch's word embeddings
// (B·T·width values, as the encoders draw them), then trains the plain step.
type r3fRecorder struct {
	Model
	width int
	seen  []R3F
	noise [][]float32
	steps int
}

func (m *r3fRecorder) TrainStep(b *Batch, dropout *rand.Rand, o StepOptions) float32 {
	m.steps++
	if o.R3F != nil {
		m.seen = append(m.seen, R3F{Sigma: o.R3F.Sigma, Uniform: o.R3F.Uniform, Lambda: o.R3F.Lambda})
		z := make([]float32, b.B*b.T*m.width)
		o.R3F.AddNoise(z)
		m.noise = append(m.noise, z)
		o.R3F = nil
	}
	return m.Model.TrainStep(b, dropout, o)
}

// TestR3FRun: every step of an r3f run asks the model for R3F with the
// strategy's parameters (σ 1e-5, normal, λ 1 by default; r3f_noise:
// uniform reaches it), its noise drawn from the run's noise stream
// (seeds.New(Seeds.Noise)) continuing from step to step; the cost counts two
// forward and backward passes a step (samples and FLOPs twice default's) and
// one optimizer step. Default asks for no R3F.
func TestR3FRun(t *testing.T) {
	train, test := toyData(60, 1), toyData(20, 2)
	run := func(s Setup) (*Outcome, *r3fRecorder) {
		var rec *r3fRecorder
		newModel := func(init *rand.Rand) (Model, error) {
			m, err := newBow(30, 8, 3)(init)
			rec = &r3fRecorder{Model: m, width: 8}
			return rec, err
		}
		o, err := Train(context.Background(), s, newModel, train, test)
		if err != nil {
			t.Fatal(err)
		}
		return o, rec
	}
	def, defRec := run(setup(t, schedule.Default))
	if len(defRec.seen) != 0 {
		t.Fatalf("default asked for R3F %d times", len(defRec.seen))
	}
	s := setup(t, schedule.R3F)
	o, rec := run(s)
	steps := int(def.Cost.Steps)
	if len(rec.seen) != steps || rec.steps != steps {
		t.Fatalf("R3F in %d of %d steps, %d steps of default", len(rec.seen), rec.steps, steps)
	}
	for i, r := range rec.seen {
		if r != (R3F{Sigma: 1e-5, Lambda: 1}) {
			t.Fatalf("step %d: R3F %+v, want σ 1e-5, normal, λ 1", i+1, r)
		}
	}
	ref := seeds.New(s.Seeds.Noise)
	for i, z := range rec.noise {
		for j, v := range z {
			if want := float32(1e-5 * ref.NormFloat64()); v != want {
				t.Fatalf("step %d, value %d: noise %g, the noise stream's next draw gives %g", i+1, j, v, want)
			}
		}
	}
	c, dc := o.Cost, def.Cost
	if c.Steps != dc.Steps || c.OptimizerSteps != dc.OptimizerSteps || c.InferencePasses != dc.InferencePasses {
		t.Errorf("steps %d/%d, inference %d: default's %d/%d, %d", c.Steps, c.OptimizerSteps, c.InferencePasses, dc.Steps, dc.OptimizerSteps, dc.InferencePasses)
	}
	if c.ForwardSamples != 2*dc.ForwardSamples || c.BackwardSamples != 2*dc.BackwardSamples || c.TrainFLOPs != 2*dc.TrainFLOPs {
		t.Errorf("passes %d/%d, FLOPs %g: want twice default's %d/%d, %g", c.ForwardSamples, c.BackwardSamples, c.TrainFLOPs,
			dc.ForwardSamples, dc.BackwardSamples, dc.TrainFLOPs)
	}
	if dc.ForwardSamples != int64(len(train)*s.Epochs) {
		t.Errorf("default's forward samples %d, want %d", dc.ForwardSamples, len(train)*s.Epochs)
	}

	s.Strategy.R3FNoise, s.Strategy.R3FSigma, s.Strategy.R3FLambda = schedule.R3FUniform, 0.5, 0.7
	_, rec = run(s)
	if rec.seen[0] != (R3F{Sigma: 0.5, Uniform: true, Lambda: 0.7}) {
		t.Errorf("r3f_noise uniform, σ 0.5, λ 0.7 reach the model as %+v", rec.seen[0])
	}
	ref = seeds.New(s.Seeds.Noise)
	if want := float32(0.5 * (2*ref.Float64() - 1)); rec.noise[0][0] != want {
		t.Errorf("first uniform draw %g, want %g", rec.noise[0][0], want)
	}
}
