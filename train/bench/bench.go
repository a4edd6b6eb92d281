// Package bench holds the training-step workloads deni's engine is measured
// on, with the same shapes as the PyTorch reference
// (shared/bench/torch_reference.py): "w2", one post-LN encoder layer over
// pre-embedded inputs, and "mini", a 2-layer BERT classifier. Both are
// usable from `go test -bench` and from the CLI (Run). Workloads built
// elsewhere (package bench/bertmini: deni-bert-mini on real TREC batches)
// are timed the same way through NewWorkload and Measure.
package bench

import (
	"fmt"
	"runtime"
	"time"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/tensor"
)

// Warmup is the number of untimed steps before a measurement, as in the
// PyTorch reference.
const Warmup = 20

// Workload is one benchmark: a model, its inputs and labels, and an Adam
// optimizer over every parameter (w2 and mini: lr 1e-4, torch defaults, a
// fixed batch).
type Workload struct {
	Name   string
	params []*tensor.Param
	opt    *optim.Adam
	loss   func() float32 // forward + backward on the fixed batch
	// step, when set, replaces the zero-gradients / loss / Adam sequence:
	// one whole step of a workload built by NewWorkload.
	step   func() float32
	flops  func() float64 // analytic FLOPs of the last step
	nparam int
	models int
	warmup int
}

// NewWorkload wraps a training step built elsewhere: step runs one whole
// step (zero gradients, forward, backward, optimizer) and returns its loss;
// flops returns the analytic cost of the step that ran last (multiply-adds
// count 2), nparam is the number of trained values, models the number of
// models a step trains and warmup the untimed steps before a measurement.
func NewWorkload(name string, step func() float32, flops func() float64, nparam, models, warmup int) *Workload {
	return &Workload{Name: name, step: step, flops: flops, nparam: nparam, models: models, warmup: warmup}
}

// Names lists the workloads.
func Names() []string { return []string{"w2", "mini"} }

// New builds workload name with fixed seeds.
func New(name string) (*Workload, error) {
	switch name {
	case "w2":
		return newW2()
	case "mini":
		return newMini()
	}
	return nil, fmt.Errorf("bench: unknown workload %q (known: %v)", name, Names())
}

func (w *Workload) withAdam() (*Workload, error) {
	cfg, err := optim.Defaults(optim.KindAdam)
	if err != nil {
		return nil, err
	}
	w.opt, err = optim.NewAdam(cfg, w.params)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Step runs one timed training step: zero gradients, forward, backward and
// the Adam update. It returns the loss.
func (w *Workload) Step() float32 {
	if w.step != nil {
		return w.step()
	}
	tensor.ZeroGrads(w.params)
	l := w.loss()
	w.opt.Step(1e-4)
	return l
}

// NumParams is the number of trained values (of one model).
func (w *Workload) NumParams() int {
	if w.step != nil {
		return w.nparam
	}
	return tensor.NumValues(w.params)
}

// StepFLOPs is the analytic cost of the last step (0 when unknown).
func (w *Workload) StepFLOPs() float64 {
	if w.flops == nil {
		return 0
	}
	return w.flops()
}

// Models is the number of models one step trains.
func (w *Workload) Models() int { return max(w.models, 1) }

// WarmupSteps is the number of untimed steps before a measurement.
func (w *Workload) WarmupSteps() int {
	if w.warmup > 0 {
		return w.warmup
	}
	return Warmup
}

// newW2: one post-LN encoder layer (hidden 128, 2 heads, FFN 512, GELU tanh,
// no dropout, LayerNorm eps 1e-12) over fixed random inputs [8,64,128],
// mean pooling over T, a linear head to 2 classes, cross-entropy.
func newW2() (*Workload, error) {
	const B, T, H = 8, 64, 128
	cfg := nn.Config{HiddenSize: H, NumAttentionHeads: 2, IntermediateSize: 512, HiddenAct: "gelu_new",
		LayerNormEps: 1e-12, InitializerRange: 0.02}
	var reg nn.Registry
	layer := nn.NewEncoderLayer(&reg, "layer", cfg)
	head := nn.NewLinear(&reg, "head", H, 2, 0, true)
	reg.Init(seeds.New(seeds.Derive(0, "w2_init", 0)))
	data := seeds.New(seeds.Derive(0, "w2_data", 0))
	x := tensor.New(B, T, H)
	for i := range x.Data {
		x.Data[i] = float32(data.NormFloat64())
	}
	labels := make([]int32, B)
	for i := range labels {
		labels[i] = int32(data.IntN(2))
	}
	g := tensor.NewGraph()
	// Forward: per token Q, K, V, output (4·H²) and the FFN (2·H·I), the
	// attention scores and mixing (2·T·H), then the head; backward twice that.
	perToken := 4*H*H + 2*H*cfg.IntermediateSize + 2*T*H
	flops := 3 * float64(2*B*T*perToken+2*B*H*2)
	w := &Workload{Name: "w2", params: reg.Params(), flops: func() float64 { return flops }}
	w.loss = func() float32 {
		g.Reset()
		h := layer.Forward(g, x, nil, true, nil)
		loss := g.CrossEntropy(head.Forward(g, g.MeanPool(h, nil)), labels)
		g.Backward(loss)
		return loss.Data[0]
	}
	return w.withAdam()
}

// newMini: a 2-layer BERT (vocab 30522, hidden 128, 2 heads, FFN 512, GELU
// tanh, 512 learned positions, no token types, embedding LayerNorm, dropout
// 0.1) with a tanh pooler on the first token, dropout 0.3 and a head to 6
// classes, on a fixed batch of 8 random sequences of length 50.
func newMini() (*Workload, error) {
	const B, T = 8, 50
	cfg := nn.Config{
		VocabSize: 30522, HiddenSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 2, IntermediateSize: 512,
		HiddenAct: "gelu_new", HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1,
		MaxPositionEmbeddings: 512, TypeVocabSize: 0, LayerNormEps: 1e-12, InitializerRange: 0.02,
		PadTokenID: -1, NumLabels: 6, HeadDropout: 0.3, HeadInit: "torch",
	}
	m, err := nn.NewBERT(cfg, seeds.New(seeds.Derive(0, "mini_init", 0)))
	if err != nil {
		return nil, err
	}
	data := seeds.New(seeds.Derive(0, "mini_data", 0))
	batch := nn.Batch{IDs: make([]int32, B*T), B: B, T: T}
	for i := range batch.IDs {
		batch.IDs[i] = int32(data.IntN(cfg.VocabSize))
	}
	labels := make([]int32, B)
	for i := range labels {
		labels[i] = int32(data.IntN(cfg.NumLabels))
	}
	drop := seeds.New(seeds.Derive(0, "mini_dropout", 0))
	flops := float64(B) * m.TrainFLOPs(T)
	w := &Workload{Name: "mini", params: m.Params(), flops: func() float64 { return flops }}
	w.loss = func() float32 {
		l, err := m.LossAndGrad(batch, labels, drop)
		if err != nil {
			panic(err) // the batch is built valid above
		}
		return l
	}
	return w.withAdam()
}

// Result is one measurement.
type Result struct {
	Name           string  `json:"name"`
	BLAS           string  `json:"blas"`
	SIMD           string  `json:"simd"` // elementwise kernels: "avx2" or "go"
	Steps          int     `json:"steps"`
	Warmup         int     `json:"warmup"`
	Seconds        float64 `json:"seconds"`
	StepsPerSec    float64 `json:"steps_per_s"`
	CPUSeconds     float64 `json:"cpu_seconds"` // process CPU time (0 where unavailable)
	StepsPerCPUSec float64 `json:"steps_per_cpu_s"`
	GFLOPs         float64 `json:"gflops"`         // analytic FLOPs (as the runs' train_flops) per wall second
	FLOPsPerStep   float64 `json:"flops_per_step"` // mean over the timed steps: TrainFLOPs(T)·B, summed over the models
	Models         int     `json:"models"`         // models trained per step
	AllocsPerStep  float64 `json:"allocs_per_step"`
	BytesPerStep   float64 `json:"bytes_per_step"`
	FirstLoss      float32 `json:"first_loss"` // loss of the first warm-up step
	LastLoss       float32 `json:"last_loss"`
	Params         int     `json:"params"`
	GOMAXPROCS     int     `json:"gomaxprocs"`
	GoVersion      string  `json:"go_version"`
}

// Run builds workload name, runs Warmup steps and then times steps steps
// (forward, backward and Adam). Steps/s counts wall-clock time; other load
// on the machine lowers it, steps per CPU-second much less.
func Run(name string, steps int) (Result, error) {
	if steps <= 0 {
		return Result{}, fmt.Errorf("bench: steps must be positive, got %d", steps)
	}
	w, err := New(name)
	if err != nil {
		return Result{}, err
	}
	return Measure(w, steps)
}

// Measure runs w's warm-up steps and then times steps steps, as Run does.
func Measure(w *Workload, steps int) (Result, error) {
	if steps <= 0 {
		return Result{}, fmt.Errorf("bench: steps must be positive, got %d", steps)
	}
	warm := w.WarmupSteps()
	r := Result{Name: w.Name, BLAS: tensor.BLASName(), SIMD: tensor.SIMD(), Steps: steps, Warmup: warm, Params: w.NumParams(),
		Models: w.Models(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version()}
	for i := 0; i < warm; i++ {
		l := w.Step()
		if i == 0 {
			r.FirstLoss = l
		}
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	c0 := CPUTime()
	t0 := time.Now()
	var flops float64
	for i := 0; i < steps; i++ {
		r.LastLoss = w.Step()
		flops += w.StepFLOPs()
	}
	r.Seconds = time.Since(t0).Seconds()
	r.CPUSeconds = (CPUTime() - c0).Seconds()
	runtime.ReadMemStats(&m1)
	r.StepsPerSec = float64(steps) / r.Seconds
	r.FLOPsPerStep = flops / float64(steps)
	r.GFLOPs = flops / r.Seconds / 1e9
	if r.CPUSeconds > 0 {
		r.StepsPerCPUSec = float64(steps) / r.CPUSeconds
	}
	r.AllocsPerStep = float64(m1.Mallocs-m0.Mallocs) / float64(steps)
	r.BytesPerStep = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(steps)
	return r, nil
}
