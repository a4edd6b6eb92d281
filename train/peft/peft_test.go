package peft

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// tinyBatch has padding (the second and third rows are shorter).
func tinyBatch(pad int32) (nn.Batch, []int32) {
	b := nn.NewBatch([][]int32{{2, 5, 7, 3, 9, 4}, {2, 9, 3}, {2, 4, 4, 6, 3}}, pad)
	return b, []int32{2, 0, 1}
}

// smallConfig shrinks the paper's sizes to the tiny model.
func smallConfig(method string) Config {
	c := DefaultConfig(method)
	switch method {
	case LoRA:
		c.Rank, c.Alpha = 4, 8
	case UniPELT:
		c.Rank, c.Alpha, c.PrefixLength, c.PrefixHidden, c.ReductionFactor = 4, 4, 3, 8, 4
	}
	return c
}

func newTiny(t *testing.T, modelType string) nn.Classifier {
	t.Helper()
	c, err := nn.New(nn.TinyConfig(modelType), seeds.New(1))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustApply(t *testing.T, c nn.Classifier, cfg Config, init *rand.Rand) *Model {
	t.Helper()
	m, err := Apply(c, cfg, init)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func paramByName(ps []*tensor.Param, name string) *tensor.Param {
	for _, p := range ps {
		if p.Name == name {
			return p
		}
	}
	return nil
}

var families = []string{"bert", "roberta", "albert"}

// With the adapters at their initial values (LoRA B = 0, IA3 l = 1; for
// UniPELT without prefix and with the adapter's up projection at 0) the
// logits are the frozen model's, bit for bit.
func TestInitialAdaptersKeepTheFrozenModel(t *testing.T) {
	for _, mt := range families {
		for _, method := range []string{LoRA, IA3, UniPELT} {
			t.Run(mt+"/"+method, func(t *testing.T) {
				base := newTiny(t, mt)
				ref := base.Clone().(nn.Classifier)
				cfg := DefaultConfig(method) // the paper's sizes: rank 64 exceeds the width, which is fine
				if method == UniPELT {
					cfg.PrefixLength = 0
				}
				m := mustApply(t, base, cfg, seeds.New(7))
				if method == UniPELT {
					for _, p := range m.Adapters() {
						if strings.Contains(p.Name, "adapter_up") {
							clear(p.Data)
						}
					}
				}
				b, _ := tinyBatch(int32(nn.TinyConfig(mt).PadTokenID))
				want, _ := ref.Logits(b, false, nil)
				want = &tensor.Tensor{Data: slices.Clone(want.Data)}
				got, err := m.Logits(b, false, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.Data, want.Data) {
					t.Fatalf("logits differ from the frozen model's:\n%v\n%v", got.Data, want.Data)
				}
				if method == IA3 { // IA3 draws nothing: training mode matches too
					w, _ := ref.Logits(b, true, seeds.New(3))
					w2 := slices.Clone(w.Data)
					g, _ := m.Logits(b, true, seeds.New(3))
					if !slices.Equal(g.Data, w2) {
						t.Fatal("training-mode logits differ")
					}
				}
			})
		}
	}
}

// UniPELT at its reference initialisation is not the frozen model: the
// adapter's up projection is random and the prefix is attended.
func TestUniPELTInitChangesTheOutput(t *testing.T) {
	base := newTiny(t, "bert")
	ref := base.Clone().(nn.Classifier)
	m := mustApply(t, base, smallConfig(UniPELT), seeds.New(7))
	b, _ := tinyBatch(0)
	want, _ := ref.Logits(b, false, nil)
	w := slices.Clone(want.Data)
	got, _ := m.Logits(b, false, nil)
	if slices.Equal(got.Data, w) {
		t.Fatal("UniPELT at init equals the frozen model")
	}
}

// The paper's configurations on a BERT-layout model: parameter names,
// shapes, which parameters train and how the adapters start.
func TestTrainableParameters(t *testing.T) {
	h, inter, layers, classes := 16, 24, 2, 3
	head := h*classes + classes
	// Biases of the tiny BERT: embeddings LN; per layer q, k, v, o, 2 LN, intermediate, output; pooler.
	biases := h + layers*(4*h+2*h+inter+h) + h
	cases := []struct {
		method string
		want   int
	}{
		{LoRA, layers*2*(4*h+h*4) + biases + head}, // rank 4: A [4,16], B [16,4] on q and v
		{IA3, layers*(h+h+h+inter) + head},         // k, v (out), attention.output.dense (in 16), output.dense (in 24)
		{UniPELT, layers*(2*(4*h+h*4+h+1)+(h+1)+(h*4+4+4*h+h+h+1)) + // LoRA q, v + gates; prefix gate; adapter
			3*h + (8*h + 8) + (8*2*layers*h + 2*layers*h) + head}, // wte, MLP
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			m := mustApply(t, newTiny(t, "bert"), smallConfig(c.method), seeds.New(2))
			tr, total := Count(m.Params())
			if tr != c.want {
				t.Errorf("%d trainable values, want %d", tr, c.want)
			}
			if _, all := Count(m.Base().Params()); total != all+tensor.NumValues(m.Adapters()) {
				t.Errorf("total %d", total)
			}
			for _, p := range m.Base().Params() {
				if strings.Contains(p.Name, "word_embeddings") && p.Trainable {
					t.Errorf("%s trains", p.Name)
				}
				if strings.HasPrefix(p.Name, "output.") && !p.Trainable {
					t.Errorf("head %s is frozen", p.Name)
				}
				if !p.Trainable && p.Grad != nil {
					t.Errorf("frozen %s has a gradient buffer", p.Name)
				}
			}
		})
	}
	m := mustApply(t, newTiny(t, "bert"), smallConfig(LoRA), seeds.New(2))
	a := paramByName(m.Params(), "encoder.layer.1.attention.self.value.lora_A.weight")
	b := paramByName(m.Params(), "encoder.layer.1.attention.self.value.lora_B.weight")
	if a == nil || b == nil || !slices.Equal(a.Shape, []int{4, 16}) || !slices.Equal(b.Shape, []int{16, 4}) {
		t.Fatalf("LoRA parameters %v %v", a, b)
	}
	bound := float32(1 / math.Sqrt(16))
	var nonzero bool
	for _, v := range a.Data {
		if v < -bound || v > bound {
			t.Fatalf("lora_A value %v outside U(±1/√in)", v)
		}
		nonzero = nonzero || v != 0
	}
	if !nonzero || slices.ContainsFunc(b.Data, func(v float32) bool { return v != 0 }) {
		t.Fatal("lora_A must be random and lora_B zero")
	}
	if paramByName(m.Params(), "encoder.layer.0.attention.self.key.lora_A.weight") != nil {
		t.Fatal("LoRA on BERT's key (peft's defaults are query and value)")
	}
	if p := paramByName(m.Params(), "pooler.dense.bias"); !p.Trainable {
		t.Fatal("bias='all' leaves the pooler bias frozen")
	}
	// IA3 on BERT: vectors shaped as peft's, attention.output.dense feed-forward by suffix.
	i := mustApply(t, newTiny(t, "bert"), DefaultConfig(IA3), nil)
	for name, shape := range map[string][]int{
		"encoder.layer.0.attention.self.key.ia3_l":      {16, 1},
		"encoder.layer.0.attention.self.value.ia3_l":    {16, 1},
		"encoder.layer.0.attention.output.dense.ia3_l":  {1, 16},
		"encoder.layer.0.output.dense.ia3_l":            {1, 24},
		"encoder.layer.0.attention.self.query.ia3_l":    nil,
		"encoder.layer.0.intermediate.dense.ia3_l":      nil,
		"encoder.layer.1.attention.self.key.ia3_l":      {16, 1},
		"encoder.layer.1.output.dense.ia3_l":            {1, 24},
		"encoder.layer.1.attention.output.dense.ia3_l":  {1, 16},
		"encoder.layer.1.attention.self.value.ia3_l":    {16, 1},
		"encoder.layer.1.intermediate.dense.ia3_l":      nil,
		"encoder.layer.1.attention.output.LayerNorm.ia": nil,
	} {
		p := paramByName(i.Params(), name)
		if (p == nil) != (shape == nil) || (p != nil && !slices.Equal(p.Shape, shape)) {
			t.Errorf("%s: %v, want shape %v", name, p, shape)
		}
		if p != nil && slices.ContainsFunc(p.Data, func(v float32) bool { return v != 1 }) {
			t.Errorf("%s does not start at 1", name)
		}
	}
}

// RoBERTa and ALBERT follow the reference code's targets.
func TestFamilyTargets(t *testing.T) {
	names := func(m *Model, suffix string) []string {
		var out []string
		for _, p := range m.Adapters() {
			if s, ok := strings.CutSuffix(p.Name, suffix); ok {
				out = append(out, s)
			}
		}
		return out
	}
	r := mustApply(t, newTiny(t, "roberta"), smallConfig(LoRA), nil)
	got := names(r, ".lora_A.weight")
	if len(got) != 12 || !slices.Contains(got, "encoder.layer.1.intermediate.dense") ||
		!slices.Contains(got, "encoder.layer.0.attention.self.key") || slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "pooler") }) {
		t.Errorf("RoBERTa LoRA targets %v", got)
	}
	for _, n := range []string{"pooler.dense.weight", "pooler.dense.bias"} {
		if !paramByName(r.Params(), n).Trainable {
			t.Errorf("RoBERTa's %s is frozen", n)
		}
	}
	ri := mustApply(t, newTiny(t, "roberta"), DefaultConfig(IA3), nil)
	if p := paramByName(ri.Params(), "encoder.layer.0.intermediate.dense.ia3_l"); p == nil || p.Shape[0] != 1 {
		t.Errorf("RoBERTa IA3 intermediate.dense: %v", p)
	}
	if p := paramByName(ri.Params(), "encoder.layer.0.attention.self.query.ia3_l"); p == nil || p.Shape[1] != 1 {
		t.Errorf("RoBERTa IA3 query: %v", p)
	}
	a := mustApply(t, newTiny(t, "albert"), smallConfig(LoRA), nil)
	pre := "encoder.albert_layer_groups.0.albert_layers.0.attention."
	if got := names(a, ".lora_A.weight"); !slices.Equal(got, []string{pre + "key", pre + "value"}) {
		t.Errorf("ALBERT LoRA targets %v", got)
	}
	ai := mustApply(t, newTiny(t, "albert"), DefaultConfig(IA3), nil)
	if got := names(ai, ".ia3_l"); len(got) != 5 { // q, k, v, attention.dense, ffn_output
		t.Errorf("ALBERT IA3 targets %v", got)
	}
	u := mustApply(t, newTiny(t, "albert"), smallConfig(UniPELT), nil)
	if got := names(u, ".loras.unipelt.lora_A"); !slices.Equal(got, []string{pre + "query", pre + "value"}) {
		t.Errorf("ALBERT UniPELT LoRA %v", got)
	}
	if p := paramByName(u.Params(), "prefix_tuning.prefix_tunings.unipelt.control_trans.2.weight"); p == nil || p.Shape[0] != 2*16 {
		t.Errorf("ALBERT's shared layer has one prefix: %v", p)
	}
}

// fdCheck compares the analytic gradient of L = Σ logits⊙R (training mode,
// the same dropout masks in every pass) with central differences for the
// parameters named (every trainable one when names is empty).
func fdCheck(t *testing.T, m *Model, b nn.Batch, only func(string) bool) {
	t.Helper()
	g := tensor.NewGraph()
	forward := func() *tensor.Tensor {
		g.Reset()
		rng := seeds.New(11)
		return m.ClassifierHead().Forward(g, m.Pooled(g, b, true, rng), true, rng)
	}
	out := forward()
	r := rand.New(rand.NewPCG(3, 4))
	seed := make([]float32, len(out.Data))
	for i := range seed {
		seed[i] = float32(r.NormFloat64())
	}
	tensor.ZeroGrads(m.Params())
	g.BackwardFrom(out, seed)
	loss := func() float64 {
		o := forward()
		var s float64
		for i, v := range o.Data {
			s += float64(v) * float64(seed[i])
		}
		return s
	}
	// The float32 forward pass rounds L at about 1e-7 of Σ|logit·R|: below
	// that over 2h, a difference quotient is noise.
	var sumAbs float64
	for i, v := range out.Data {
		sumAbs += math.Abs(float64(v) * float64(seed[i]))
	}
	checked := 0
	for _, p := range m.Params() {
		if !p.Trainable || (only != nil && !only(p.Name)) {
			continue
		}
		checked++
		analytic := slices.Clone(p.Grad)
		const h = 3e-3
		var maxAbs float64
		numeric := make([]float64, len(p.Data))
		idx := make([]int, 0, 24)
		for i := 0; i < len(p.Data); i += max(1, len(p.Data)/24) {
			idx = append(idx, i)
		}
		for _, i := range idx {
			numeric[i] = tensor.CentralDifference(p.Data, i, h, loss)
			maxAbs = math.Max(maxAbs, math.Abs(numeric[i]))
		}
		for _, i := range idx {
			a, n := float64(analytic[i]), numeric[i]
			if math.Abs(a-n) > 2e-2*(maxAbs+math.Abs(n))+2e-7*sumAbs/h || math.IsNaN(a) {
				t.Errorf("%s[%d]: analytic %.6g numeric %.6g", p.Name, i, a, n)
			}
		}
		if maxAbs == 0 {
			t.Errorf("%s: zero gradient, the check is vacuous", p.Name)
		}
	}
	if checked == 0 {
		t.Fatal("no parameter checked")
	}
}

// moveAway shifts the adapters off their initial values, so that every
// path carries a gradient (LoRA B = 0 would zero A's).
func moveAway(m *Model, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 9))
	for _, p := range m.Adapters() {
		for i := range p.Data {
			p.Data[i] += float32(0.1 * r.NormFloat64())
		}
	}
}

// Finite differences through the LoRA, IA3, gated LoRA, prefix and adapter
// paths and their gates, on every family, with padding and dropout.
func TestGradientsFiniteDifferences(t *testing.T) {
	for _, mt := range families {
		for _, method := range []string{LoRA, IA3, UniPELT} {
			t.Run(mt+"/"+method, func(t *testing.T) {
				m := mustApply(t, newTiny(t, mt), smallConfig(method), seeds.New(5))
				moveAway(m, 1)
				b, _ := tinyBatch(int32(nn.TinyConfig(mt).PadTokenID))
				fdCheck(t, m, b, func(name string) bool {
					// The adapters, and one backbone bias (LoRA's bias='all').
					return paramByName(m.Adapters(), name) != nil || strings.HasSuffix(name, "layer.0.output.LayerNorm.bias") ||
						strings.HasSuffix(name, "albert_layers.0.attention.dense.bias")
				})
			})
		}
	}
}

// The custom ops alone, against central differences.
func TestGateOpsFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rt := func(shape ...int) *tensor.Tensor {
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
		x.Grad = make([]float32, len(x.Data))
		return x
	}
	mask := []int32{1, 1, 1, 0, 1, 1, 0, 0} // [2,4]
	st := &state{}
	cases := []struct {
		name string
		in   []*tensor.Tensor
		f    func(g *tensor.Graph, in []*tensor.Tensor) *tensor.Tensor
	}{
		{"gateMean", []*tensor.Tensor{rt(2, 4, 1)}, func(g *tensor.Graph, in []*tensor.Tensor) *tensor.Tensor {
			return st.cur.gate().forward(g, in[0], mask)
		}},
		{"gateMeanNoMask", []*tensor.Tensor{rt(2, 4, 1)}, func(g *tensor.Graph, in []*tensor.Tensor) *tensor.Tensor {
			return st.cur.gate().forward(g, in[0], nil)
		}},
		{"rowScale", []*tensor.Tensor{rt(2, 3, 5), rt(2)}, func(g *tensor.Graph, in []*tensor.Tensor) *tensor.Tensor {
			return st.cur.scale().forward(g, in[0], in[1])
		}},
		{"expand", []*tensor.Tensor{rt(3, 4), rt(2)}, func(g *tensor.Graph, in []*tensor.Tensor) *tensor.Tensor {
			return st.cur.expand().forward(g, in[0], in[1])
		}},
		{"gateScale", []*tensor.Tensor{rt(2, 4, 3), rt(1, 3), rt(1)}, func(g *tensor.Graph, in []*tensor.Tensor) *tensor.Tensor {
			gv := st.gateValue(g, gate{w: &tensor.Param{Tensor: in[1]}, b: &tensor.Param{Tensor: in[2]}}, in[0], mask)
			return st.scaleRows(g, in[0], gv)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := tensor.NewGraph()
			run := func() *tensor.Tensor { g.Reset(); st.begin(g); return c.f(g, c.in) }
			out := run()
			seed := make([]float32, len(out.Data))
			for i := range seed {
				seed[i] = float32(r.NormFloat64())
			}
			for _, x := range c.in {
				clear(x.Grad)
			}
			g.BackwardFrom(out, seed)
			for k, x := range c.in {
				an := slices.Clone(x.Grad)
				for i := range x.Data {
					orig := x.Data[i]
					eval := func(v float32) float64 {
						x.Data[i] = v
						o := run()
						var s float64
						for j, y := range o.Data {
							s += float64(y) * float64(seed[j])
						}
						return s
					}
					const h = 1e-2
					n := (eval(orig+h) - eval(orig-h)) / (float64(orig+h) - float64(orig-h))
					x.Data[i] = orig
					if math.Abs(float64(an[i])-n) > 1e-3*(1+math.Abs(n)) {
						t.Errorf("input %d elem %d: analytic %.6g numeric %.6g", k, i, an[i], n)
					}
				}
			}
		})
	}
}

// A clone keeps the method, shares the frozen tensors, copies the adapters.
func TestClone(t *testing.T) {
	for _, method := range []string{LoRA, IA3, UniPELT} {
		m := mustApply(t, newTiny(t, "bert"), smallConfig(method), seeds.New(5))
		moveAway(m, 2)
		c := m.Clone().(*Model)
		if err := tensor.CheckSameLayout(c.Params(), m.Params()); err != nil {
			t.Fatal(err)
		}
		b, _ := tinyBatch(0)
		want, _ := m.Logits(b, false, nil)
		w := slices.Clone(want.Data)
		got, _ := c.Logits(b, false, nil)
		if !slices.Equal(got.Data, w) {
			t.Fatalf("%s: clone's logits differ", method)
		}
		for i, p := range c.Params() {
			src := m.Params()[i]
			if p.Trainable != src.Trainable {
				t.Fatalf("%s: trainability of %s", method, p.Name)
			}
			if p.Trainable == (p.Tensor == src.Tensor) {
				t.Fatalf("%s: %s shared=%v, want frozen shared and trainable copied", method, p.Name, p.Tensor == src.Tensor)
			}
		}
		c.Adapters()[0].Data[0] += 1
		if m.Adapters()[0].Data[0] == c.Adapters()[0].Data[0] {
			t.Fatal("adapters are shared")
		}
	}
}

// Scaled noise on UniPELT's 1-element gate biases gives no NaN (bug 10 of
// the reference: torch.std of one element is NaN); a nonzero bias moves.
func TestNoiseOnOneElementGates(t *testing.T) {
	m := mustApply(t, newTiny(t, "bert"), smallConfig(UniPELT), seeds.New(5))
	ps := tensor.SelectParams(m.Params(), tensor.Trainable)
	var ones []*tensor.Param
	before := map[string]float32{}
	for _, p := range ps {
		if p.Len() == 1 {
			ones = append(ones, p)
			before[p.Name] = p.Data[0]
		}
	}
	if len(ones) != 2*3+2 { // per layer: 2 LoRA gates, the prefix gate, the adapter gate
		t.Fatalf("%d one-element parameters", len(ones))
	}
	strategy.Perturb(ps, math.Sqrt(0.15/375), true, seeds.New(3))
	strategy.Perturb(ps, math.Sqrt(0.15), true, seeds.New(4))
	moved := 0
	for _, p := range ps {
		for _, v := range p.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s is %v after noise", p.Name, v)
			}
		}
	}
	for _, p := range ones {
		if p.Data[0] != before[p.Name] {
			moved++
		} else if before[p.Name] != 0 {
			t.Errorf("%s = %v did not move", p.Name, p.Data[0])
		}
	}
	if moved != 6 { // LoRA and prefix gates start at U(±1/√in); adapter gates at 0 (std 0: no noise)
		t.Errorf("%d gate biases moved, want 6", moved)
	}
	b, labels := tinyBatch(0)
	if loss, err := m.LossAndGrad(b, labels, seeds.New(1)); err != nil || math.IsNaN(float64(loss)) {
		t.Fatalf("loss %v, %v", loss, err)
	}
}

// A training step leaves every frozen parameter without a gradient buffer
// (no gradient work) and gives every trainable one a gradient.
func TestFrozenCostsNoGradient(t *testing.T) {
	for _, method := range []string{LoRA, IA3, UniPELT} {
		m := mustApply(t, newTiny(t, "albert"), smallConfig(method), seeds.New(5))
		moveAway(m, 3)
		b, labels := tinyBatch(0)
		if _, err := m.LossAndGrad(b, labels, seeds.New(1)); err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			if !p.Trainable && p.Grad != nil {
				t.Fatalf("%s: frozen %s has a gradient", method, p.Name)
			}
			if p.Trainable && !slices.ContainsFunc(p.Grad, func(v float32) bool { return v != 0 }) &&
				!strings.Contains(p.Name, "token_type") && !strings.Contains(p.Name, "key.bias") {
				t.Errorf("%s: %s got no gradient", method, p.Name)
			}
		}
	}
}

func TestApplyErrors(t *testing.T) {
	m := mustApply(t, newTiny(t, "bert"), smallConfig(LoRA), nil)
	if _, err := Apply(m, smallConfig(IA3), nil); err == nil {
		t.Error("tuning a tuned model")
	}
	if _, err := Apply(newTiny(t, "bert"), Config{Method: "prompt"}, nil); err == nil {
		t.Error("unknown method")
	}
	if _, err := Apply(newTiny(t, "bert"), Config{Method: LoRA}, nil); err == nil {
		t.Error("rank 0")
	}
}

// TestTrainFLOPs: a tuned model's training pass costs 3 × its forward pass
// less one forward of every frozen weight matrix (no weight gradient):
// every dense weight of the layers (ALBERT's shared layer at each of its 2
// applications, and its embedding mapping) and the pooler except RoBERTa's.
func TestTrainFLOPs(t *testing.T) {
	const tokens = 10
	h, i, l := 16.0, 24.0, 2.0
	for _, family := range families {
		base := newTiny(t, family)
		if got, want := base.TrainFLOPs(tokens), 3*base.ForwardFLOPs(tokens); got != want {
			t.Fatalf("%s fully trained: %g, want %g", family, got, want)
		}
		frozen := 2 * tokens * l * (4*h*h + 2*h*i)
		switch family {
		case "bert":
			frozen += 2 * h * h
		case "albert":
			frozen += 2*tokens*8*h + 2*h*h
		}
		for _, method := range []string{LoRA, IA3, UniPELT} {
			m := mustApply(t, newTiny(t, family), smallConfig(method), seeds.New(2))
			if got, want := m.TrainFLOPs(tokens), 3*m.ForwardFLOPs(tokens)-frozen; got != want {
				t.Errorf("%s %s: %g, want %g", family, method, got, want)
			}
		}
	}
}
