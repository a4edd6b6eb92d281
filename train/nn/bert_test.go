package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deni-project/deni/train/optim"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/tensor"
)

func tinyConfig() Config {
	return Config{
		VocabSize: 11, HiddenSize: 8, NumHiddenLayers: 2, NumAttentionHeads: 2, IntermediateSize: 12,
		HiddenAct: "gelu", HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1,
		MaxPositionEmbeddings: 7, TypeVocabSize: 2, LayerNormEps: 1e-12, InitializerRange: 0.2,
		PadTokenID: 0, NumLabels: 3, HeadDropout: 0.3, HeadInit: "torch",
	}
}

func tinyBatch() (Batch, []int32) {
	b := NewBatch([][]int32{{2, 5, 7, 3}, {2, 9, 3}, {2, 4, 4, 6, 3}}, 0)
	b.TypeIDs = []int32{0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}
	return b, []int32{2, 0, 1}
}

func TestParamNames(t *testing.T) {
	m, err := NewBERT(tinyConfig(), seeds.New(1))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
		"embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
	}
	for i := 0; i < 2; i++ {
		p := "encoder.layer." + strconv.Itoa(i) + "."
		for _, s := range []string{
			"attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight",
			"attention.self.key.bias", "attention.self.value.weight", "attention.self.value.bias",
			"attention.output.dense.weight", "attention.output.dense.bias",
			"attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
			"intermediate.dense.weight", "intermediate.dense.bias", "output.dense.weight", "output.dense.bias",
			"output.LayerNorm.weight", "output.LayerNorm.bias",
		} {
			want = append(want, p+s)
		}
	}
	want = append(want, "pooler.dense.weight", "pooler.dense.bias", "output.weight", "output.bias")
	ps := m.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d params, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if p.Name != want[i] {
			t.Errorf("param %d is %q, want %q", i, p.Name, want[i])
		}
	}
	shape := map[string][]int{
		"embeddings.word_embeddings.weight":               {11, 8},
		"encoder.layer.1.intermediate.dense.weight":       {12, 8},
		"encoder.layer.1.output.dense.weight":             {8, 12},
		"output.weight":                                   {3, 8},
		"embeddings.token_type_embeddings.weight":         {2, 8},
		"encoder.layer.0.attention.output.LayerNorm.bias": {8},
	}
	for _, p := range ps {
		if s, ok := shape[p.Name]; ok && !slices.Equal(s, p.Shape) {
			t.Errorf("%s has shape %v, want %v", p.Name, p.Shape, s)
		}
	}
	// Init statistics: LayerNorm 1/0, zero biases, padding row zero, std ≈ range.
	for _, p := range ps {
		switch p.Name {
		case "embeddings.LayerNorm.weight":
			if p.Data[0] != 1 {
				t.Errorf("%s not ones", p.Name)
			}
		case "encoder.layer.0.attention.self.query.bias":
			if p.Data[0] != 0 {
				t.Errorf("%s not zero", p.Name)
			}
		case "embeddings.word_embeddings.weight":
			for _, v := range p.Data[:8] {
				if v != 0 {
					t.Fatalf("padding row not zero")
				}
			}
		case "output.bias":
			if p.Data[0] == 0 || math.Abs(float64(p.Data[0])) > 1/math.Sqrt(8) {
				t.Errorf("head bias %v is not U(±1/√8)", p.Data[0])
			}
		}
	}
	cfg := tinyConfig()
	cfg.VocabSize, cfg.HiddenSize, cfg.InitializerRange = 3000, 64, 0.02
	big, _ := NewBERT(cfg, seeds.New(1))
	var s2 float64
	w := big.Params()[0].Data
	for _, v := range w[64:] {
		s2 += float64(v) * float64(v)
	}
	if std := math.Sqrt(s2 / float64(len(w)-64)); math.Abs(std-0.02) > 2e-4 {
		t.Errorf("word embedding std %.5f, want 0.02", std)
	}
	// Re-initialising only the head consumes draws for the head alone.
	z, _ := NewBERT(cfg, nil)
	z.InitParams(seeds.New(5), tensor.HasPrefix("output."))
	big.InitParams(seeds.New(5), tensor.HasPrefix("output."))
	for i, p := range z.Params() {
		head := p.Name == "output.weight" || p.Name == "output.bias"
		if head != (p.Data[0] != 0) && !strings.HasSuffix(p.Name, "LayerNorm.weight") {
			t.Errorf("%s: head-only init touched %v", p.Name, p.Data[0])
		}
		if head && p.Data[0] != big.Params()[i].Data[0] {
			t.Errorf("%s: head init depends on other parameters", p.Name)
		}
	}
}

// TestModelGradients checks the gradient of the whole classifier (two
// encoder layers, embeddings, pooler, head, CE, with dropout on and padding)
// against central differences of the loss, for every parameter value.
func TestModelGradients(t *testing.T) {
	for _, act := range []string{"gelu", "gelu_new"} {
		t.Run(act, func(t *testing.T) {
			cfg := tinyConfig()
			cfg.HiddenAct = act
			m, err := NewBERT(cfg, seeds.New(3))
			if err != nil {
				t.Fatal(err)
			}
			b, labels := tinyBatch()
			drop := func() *rand.Rand { return seeds.New(99) }
			ZeroGrads(m)
			if _, err := m.LossAndGrad(b, labels, drop()); err != nil {
				t.Fatal(err)
			}
			loss := func() float64 {
				logits, err := m.Logits(b, true, drop()) // same stream: same masks
				if err != nil {
					t.Fatal(err)
				}
				var l float64
				c := cfg.NumLabels
				for i, y := range labels {
					row := logits.Data[i*c : (i+1)*c]
					var s float64
					for _, v := range row {
						s += math.Exp(float64(v))
					}
					l += math.Log(s) - float64(row[y])
				}
				return l / float64(len(labels))
			}
			const h = 1e-2
			for _, p := range m.Params() {
				maxAbs := 0.0
				num := make([]float64, len(p.Data))
				for i := range p.Data {
					num[i] = tensor.CentralDifference(p.Data, i, h, loss)
					if p.Name == "embeddings.word_embeddings.weight" && i/cfg.HiddenSize == cfg.PadTokenID {
						num[i] = 0 // padding_idx: no gradient by design
					}
					maxAbs = math.Max(maxAbs, math.Abs(num[i]))
				}
				bad := 0
				for i, n := range num {
					a := float64(p.Grad[i])
					if math.Abs(a-n) > 5e-3*(maxAbs+math.Abs(n))+2e-5 || a != a {
						if bad < 3 {
							t.Errorf("%s[%d]: analytic %.6g numeric %.6g", p.Name, i, a, n)
						}
						bad++
					}
				}
				// The key bias shifts every score of a query row equally, which
				// softmax ignores: its gradient is 0 analytically.
				if maxAbs == 0 && !strings.HasSuffix(p.Name, "attention.self.key.bias") {
					t.Errorf("%s: zero gradient", p.Name)
				}
			}
		})
	}
}

// sgd is a plain optimizer step for tests.
func sgd(ps []*tensor.Param, lr float32) {
	for _, p := range ps {
		for i, g := range p.Grad {
			p.Data[i] -= lr * g
		}
	}
}

// trainRun trains a fresh model for a few steps and returns the losses and
// the final weights.
func trainRun(t *testing.T, initSeed, dropSeed uint64, procs int) ([]float32, [][]float32) {
	t.Helper()
	losses, w, err := trainRunErr(initSeed, dropSeed, procs)
	if err != nil {
		t.Fatal(err)
	}
	return losses, w
}

// trainRunErr is trainRun without a *testing.T, for goroutines (t.Fatal
// must be called from the test's goroutine).
func trainRunErr(initSeed, dropSeed uint64, procs int) ([]float32, [][]float32, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	cfg := tinyConfig()
	// Big enough (128 rows × 128 columns) that gonum's Sgemm runs in parallel.
	cfg.VocabSize, cfg.HiddenSize, cfg.IntermediateSize, cfg.MaxPositionEmbeddings = 50, 128, 256, 16
	m, err := NewBERT(cfg, seeds.New(initSeed))
	if err != nil {
		return nil, nil, err
	}
	drop := seeds.New(dropSeed)
	b := NewBatch([][]int32{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, {1, 7, 3}, {1, 9, 9, 9, 9, 9},
		{1, 40}, {1, 2, 3}, {1, 4, 5, 6, 7, 8, 9}, {1, 44, 45, 46, 47, 48, 49, 2, 3, 4, 5, 6, 7, 8, 9, 9}, {1}}, 0)
	labels := []int32{0, 1, 2, 1, 0, 0, 2, 1}
	var losses []float32
	for s := 0; s < 5; s++ {
		ZeroGrads(m)
		l, err := m.LossAndGrad(b, labels, drop)
		if err != nil {
			return nil, nil, err
		}
		losses = append(losses, l)
		sgd(m.Params(), 0.1)
	}
	var w [][]float32
	for _, p := range m.Params() {
		w = append(w, append([]float32(nil), p.Data...))
	}
	return losses, w, nil
}

func TestDeterminism(t *testing.T) {
	l1, w1 := trainRun(t, 1, 2, 1)
	l2, w2 := trainRun(t, 1, 2, runtime.NumCPU())
	for i := range l1 {
		if math.Float32bits(l1[i]) != math.Float32bits(l2[i]) {
			t.Fatalf("step %d loss %v vs %v", i, l1[i], l2[i])
		}
	}
	for i := range w1 {
		for j := range w1[i] {
			if math.Float32bits(w1[i][j]) != math.Float32bits(w2[i][j]) {
				t.Fatalf("param %d value %d differs", i, j)
			}
		}
	}
	if l3, _ := trainRun(t, 3, 2, 1); l3[0] == l1[0] {
		t.Error("a different init seed gave the same loss")
	}
	if l4, _ := trainRun(t, 1, 4, 1); l4[0] == l1[0] || l4[4] == l1[4] {
		t.Error("a different dropout seed gave the same losses")
	}
}

func TestConcurrentModels(t *testing.T) {
	l1, _ := trainRun(t, 5, 6, 2)
	// The goroutines report their errors here; only the test's goroutine
	// may call t.Fatal (from another one it would not stop the test).
	type result struct {
		losses []float32
		err    error
	}
	res := make(chan result, 2)
	for i := 0; i < 2; i++ {
		go func() {
			l, _, err := trainRunErr(5, 6, 2)
			res <- result{l, err}
		}()
	}
	for i := 0; i < 2; i++ {
		r := <-res
		if r.err != nil {
			t.Errorf("concurrent run %d: %v", i, r.err)
			continue
		}
		if len(r.losses) != len(l1) {
			t.Errorf("concurrent run %d: %d losses, want %d", i, len(r.losses), len(l1))
			continue
		}
		for j := range r.losses {
			if r.losses[j] != l1[j] {
				t.Errorf("concurrent run %d differs at step %d", i, j)
				break
			}
		}
	}
}

func TestEvalAndClone(t *testing.T) {
	m, _ := NewBERT(tinyConfig(), seeds.New(1))
	b, labels := tinyBatch()
	lg, err := m.Logits(b, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := append([]float32(nil), lg.Data...)
	c := m.Clone()
	lc, _ := c.Logits(b, false, nil)
	for i := range first {
		if first[i] != lc.Data[i] {
			t.Fatal("clone predicts differently")
		}
	}
	if _, err := m.LossAndGrad(b, labels, seeds.New(1)); err != nil {
		t.Fatal(err)
	}
	lg, _ = m.Logits(b, false, nil)
	for i := range first {
		if first[i] != lg.Data[i] {
			t.Fatal("eval-mode logits changed after a training pass without update")
		}
	}
	// Mean of a model with itself is itself; mean with a clone shifted by d is +d/2.
	if err := AxpyWeights(c, 1, m); err != nil { // c = 2m
		t.Fatal(err)
	}
	avg := m.Clone()
	if err := MeanWeights(avg, m, c); err != nil {
		t.Fatal(err)
	}
	for i, p := range avg.Params() {
		for j, v := range p.Data {
			if want := float32((float64(m.Params()[i].Data[j]) + float64(c.Params()[i].Data[j])) / 2); v != want {
				t.Fatalf("mean %v, want %v", v, want)
			}
		}
	}
	if n := testing.AllocsPerRun(5, func() {
		_ = MeanWeights(avg, m, c)
		_ = CopyWeights(avg, m)
		_ = AxpyWeights(avg, 0.5, c)
	}); n != 0 {
		t.Errorf("whole-model operations allocate %v times", n)
	}
	pred, err := Predict(m, b, nil)
	if err != nil || len(pred) != b.B {
		t.Fatalf("predict %v (%v)", pred, err)
	}
	for i, p := range pred {
		for j := 0; j < 3; j++ {
			if first[i*3+j] > first[i*3+int(p)] {
				t.Errorf("prediction %d is not the arg-max of %v", p, first[i*3:i*3+3])
			}
		}
	}
	head := Select(m, HeadParams)
	if len(head) != 2 || head[0].Name != "output.weight" || head[1].Name != "output.bias" {
		t.Errorf("head params %v", head)
	}
	if _, err := m.Logits(Batch{IDs: []int32{1, 99}, B: 1, T: 2}, false, nil); err == nil {
		t.Error("out-of-vocabulary id accepted")
	}
	if _, err := m.LossAndGrad(b, []int32{0}, seeds.New(1)); err == nil {
		t.Error("wrong label count accepted")
	}
}

// TestFrozenBackbone: with only the head trainable, the backbone gets no
// gradient buffers and training still works.
func TestFrozenBackbone(t *testing.T) {
	m, _ := NewBERT(tinyConfig(), seeds.New(1))
	for _, p := range m.Params() {
		p.SetTrainable(len(p.Name) > 7 && p.Name[:7] == "output.")
	}
	b, labels := tinyBatch()
	if _, err := m.LossAndGrad(b, labels, seeds.New(2)); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		if p.Trainable != (p.Grad != nil) {
			t.Errorf("%s: trainable %v, grad %v", p.Name, p.Trainable, p.Grad != nil)
		}
	}
	if n := m.trainG.TapeLen(); n != 2 { // dropout and the head Linear
		t.Errorf("tape has %d ops with a frozen backbone, want 2", n)
	}
}

// TestSteadyStateAllocs: after warm-up a training step (zero grads, loss,
// backward, Adam update, evaluation) allocates nothing, and the heap does
// not grow over 10,000 steps.
func TestSteadyStateAllocs(t *testing.T) {
	m, _ := NewBERT(tinyConfig(), seeds.New(1))
	b, labels := tinyBatch()
	drop := seeds.New(2)
	cfg, _ := optim.Defaults(optim.KindAdam)
	opt, err := optim.New(cfg, m.Params())
	if err != nil {
		t.Fatal(err)
	}
	step := func() {
		ZeroGrads(m)
		if _, err := m.LossAndGrad(b, labels, drop); err != nil {
			t.Fatal(err)
		}
		opt.Step(1e-3)
		if _, err := m.Logits(b, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if n := testing.AllocsPerRun(50, step); n != 0 {
		t.Errorf("training step allocates %v times", n)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 10000; i++ {
		step()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > 64<<10 {
		t.Errorf("heap grew by %d bytes over 10,000 steps", grow)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
		t.Errorf("10,000 steps allocated %d bytes", d)
	}
}

// TestTrainFLOPs: 3 × forward when everything trains; freezing the encoder
// and pooler saves one forward of each of their weight products.
func TestTrainFLOPs(t *testing.T) {
	m, err := NewBERT(tinyConfig(), seeds.New(1))
	if err != nil {
		t.Fatal(err)
	}
	const tokens = 5
	if got, want := m.TrainFLOPs(tokens), 3*m.ForwardFLOPs(tokens); got != want {
		t.Fatalf("all trainable: %g, want %g", got, want)
	}
	for _, p := range m.Params() {
		if !strings.HasPrefix(p.Name, "output.") {
			p.SetTrainable(false)
		}
	}
	h, i := 8.0, 12.0 // 2 layers
	want := 3*m.ForwardFLOPs(tokens) - 2*tokens*2*(4*h*h+2*h*i) - 2*h*h
	if got := m.TrainFLOPs(tokens); got != want {
		t.Fatalf("head only: %g, want %g", got, want)
	}
}
