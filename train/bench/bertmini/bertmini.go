// Package bertmini is the benchmark of deni's real workload: full
// fine-tuning of the shipped deni-bert-mini on TREC, as a run of the
// default strategy does it, and a DENI member phase of ten models.
//
//   - "bertmini": deni-bert-mini loaded as fine-tuning loads it (models.New
//     with the dataset's texts, so its vocabulary takes the dataset's GloVe
//     words), the paper's head (6 classes, dropout 0.3), dropout on, Adam at
//     deni-bert-mini's full fine-tuning rate over every parameter, the
//     embedding table included. Batches of 8 from a labelled set of 1,000
//     TREC rows, reshuffled every epoch, encoded to at most 25 tokens and
//     padded to the longest in the batch, as the trainer does.
//   - "bertmini-population": the main model and 9 members (clones with a
//     perturbed head and fresh Adam, the reference's DENI spawn) each doing
//     a training step on the same batch, one after the other.
//
// The dataset comes from the caller (the CLI loads the embedded TREC), so
// that this package needs no data reader.
package bertmini

import (
	"fmt"
	"math/rand/v2"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/bench"
	"github.com/deni-project/deni/train/models"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/peft"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// Workload names.
const (
	Single     = "bertmini"
	Population = "bertmini-population"
)

// The shapes and settings of a TREC run (pipeline defaults, experiments).
const (
	BatchSize   = 8
	MaxLen      = 25 // the reference's max_len for TREC
	Labelled    = 1000
	HeadDropout = 0.3
	Members     = 9 // DENI's ensemble of 10 is the main model and 9 members
	MemberNoise = 0.15
)

// Names lists the workloads of this package.
func Names() []string { return []string{Single, Population} }

// Known reports whether name is a workload of this package.
func Known(name string) bool { return name == Single || name == Population }

// Data is the dataset the workloads train on: every row's text (the
// vocabulary takes the GloVe words of all of them, as the trainer's), its
// label in [0, Classes).
type Data struct {
	Texts   []string
	Labels  []int
	Classes int
}

// trainee is one model with its optimizer and dropout stream.
type trainee struct {
	m    strategy.Model
	opt  optim.Optimizer
	drop *rand.Rand
}

// Trainer runs the training steps of a workload.
type Trainer struct {
	Name    string
	Factory *models.Factory
	LR      float64

	samples []strategy.Sample // the labelled set, encoded
	order   *rand.Rand
	perm    []int
	next    int // position in perm of the next batch
	batch   strategy.Batch
	models  []*trainee // the main model first
	losses  []float32  // of the last step, per model
}

// New builds workload name (Single or Population) on d with fixed seeds.
func New(name string, d Data) (*Trainer, error) {
	if !Known(name) {
		return nil, fmt.Errorf("bertmini: unknown workload %q (known: %v)", name, Names())
	}
	if len(d.Texts) != len(d.Labels) || len(d.Texts) < Labelled {
		return nil, fmt.Errorf("bertmini: need at least %d texts with labels, got %d texts and %d labels", Labelled, len(d.Texts), len(d.Labels))
	}
	f, err := models.New(models.DeniBertMini, d.Texts, models.Options{Classes: d.Classes, MaxLen: MaxLen, HeadDropout: HeadDropout})
	if err != nil {
		return nil, err
	}
	t := &Trainer{Name: name, Factory: f, LR: f.LR(peft.Full), order: seeds.New(seeds.Derive(0, "bertmini_order", 0))}
	// The labelled set: Labelled rows in a seeded order, as a run selects them.
	for _, i := range seeds.New(seeds.Derive(0, "bertmini_labelled", 0)).Perm(len(d.Texts))[:Labelled] {
		t.samples = append(t.samples, strategy.Sample{IDs: f.Encode(d.Texts[i], MaxLen), Label: int32(d.Labels[i])})
	}
	ocfg, err := optim.Defaults(optim.KindAdam)
	if err != nil {
		return nil, err
	}
	m, err := f.NewTunedModel(peft.Full, seeds.New(seeds.Derive(0, "bertmini_init", 0)))
	if err != nil {
		return nil, err
	}
	opt, err := optim.New(ocfg, m.Params())
	if err != nil {
		return nil, err
	}
	dropSeed := seeds.Derive(0, "bertmini_dropout", 0)
	t.models = []*trainee{{m: m, opt: opt, drop: seeds.New(dropSeed)}}
	if name == Population {
		noise := seeds.New(seeds.Derive(0, "bertmini_noise", 0))
		for range Members {
			c := m.Clone()
			strategy.Perturb(tensor.SelectParams(c.Params(), tensor.HasPrefix("output.")), MemberNoise, true, noise)
			o, err := optim.New(ocfg, c.Params()) // member_optimizer: fresh (reference)
			if err != nil {
				return nil, err
			}
			// member_dropout: shared (reference): every member restarts the run's stream.
			t.models = append(t.models, &trainee{m: c, opt: o, drop: seeds.New(dropSeed)})
		}
	}
	return t, nil
}

// Models returns the models in training order, the main model first.
func (t *Trainer) Models() []strategy.Model {
	out := make([]strategy.Model, len(t.models))
	for i, tr := range t.models {
		out[i] = tr.m
	}
	return out
}

// NextBatch fills the trainer's batch with the next BatchSize samples of the
// epoch's order (a new permutation each epoch, the last batch of an epoch
// shorter), padded to the longest, and returns it. Step calls it.
func (t *Trainer) NextBatch() *strategy.Batch {
	if t.next >= len(t.perm) {
		t.perm, t.next = t.order.Perm(len(t.samples)), 0
	}
	idx := t.perm[t.next:min(t.next+BatchSize, len(t.perm))]
	t.next += len(idx)
	fill(&t.batch, t.samples, idx)
	return &t.batch
}

// fill pads the samples idx into b, as the trainer's fillBatch does with
// padding "longest".
func fill(b *strategy.Batch, samples []strategy.Sample, idx []int) {
	tl := 0
	for _, i := range idx {
		tl = max(tl, len(samples[i].IDs))
	}
	b.B, b.T = len(idx), tl
	n := b.B * tl
	if cap(b.IDs) < n {
		b.IDs, b.Mask = make([]int32, n), make([]int32, n)
	}
	b.IDs, b.Mask = b.IDs[:n], b.Mask[:n]
	clear(b.IDs)
	clear(b.Mask)
	if cap(b.Labels) < b.B {
		b.Labels = make([]int32, b.B)
	}
	b.Labels = b.Labels[:b.B]
	for row, i := range idx {
		ids := samples[i].IDs
		copy(b.IDs[row*tl:], ids)
		for j := range ids {
			b.Mask[row*tl+j] = 1
		}
		b.Labels[row] = samples[i].Label
	}
}

// Step trains every model on the next batch (zero gradients, forward,
// backward, Adam at the constant rate LR), one after the other, and returns
// the main model's loss.
func (t *Trainer) Step() float32 {
	b := t.NextBatch()
	t.losses = t.losses[:0]
	for _, tr := range t.models {
		tensor.ZeroGrads(tr.m.Params())
		t.losses = append(t.losses, tr.m.TrainStep(b, tr.drop, strategy.StepOptions{}))
		tr.opt.Step(t.LR)
	}
	return t.losses[0]
}

// Losses returns the losses of the last step, per model (valid until the
// next step).
func (t *Trainer) Losses() []float32 { return t.losses }

// Optimizers returns the models' optimizers, in Models order.
func (t *Trainer) Optimizers() []optim.Optimizer {
	out := make([]optim.Optimizer, len(t.models))
	for i, tr := range t.models {
		out[i] = tr.opt
	}
	return out
}

// StepFLOPs is the analytic cost of the last step: TrainFLOPs(T) × B per
// model, as a run's train_flops counts it.
func (t *Trainer) StepFLOPs() float64 {
	return float64(len(t.models)) * t.models[0].m.TrainFLOPs(t.batch.T) * float64(t.batch.B)
}

// Warmup is the number of untimed steps: 20, as the PyTorch reference,
// and 15 population steps, by when every model's workspace has grown to the
// longest batch (25 tokens first come in the 14th batch).
func (t *Trainer) Warmup() int {
	if len(t.models) > 1 {
		return 15
	}
	return bench.Warmup
}

// Workload wraps the trainer for bench.Measure.
func (t *Trainer) Workload() *bench.Workload {
	return bench.NewWorkload(t.Name, t.Step, t.StepFLOPs, tensor.NumValues(t.models[0].m.Params()), len(t.models), t.Warmup())
}

// Export is what the PyTorch side of the benchmark (scripts/torch_bertmini.py)
// reads: the model's shape and training settings and the workload's batches
// in the order Step uses them.
type Export struct {
	Workload          string    `json:"workload"`
	Models            int       `json:"models"`
	VocabSize         int       `json:"vocab_size"`
	HiddenSize        int       `json:"hidden_size"`
	Layers            int       `json:"num_hidden_layers"`
	Heads             int       `json:"num_attention_heads"`
	IntermediateSize  int       `json:"intermediate_size"`
	HiddenAct         string    `json:"hidden_act"`
	MaxPositions      int       `json:"max_position_embeddings"`
	TypeVocabSize     int       `json:"type_vocab_size"`
	LayerNormEps      float64   `json:"layer_norm_eps"`
	HiddenDropout     float64   `json:"hidden_dropout_prob"`
	AttentionDropout  float64   `json:"attention_probs_dropout_prob"`
	HeadDropout       float64   `json:"head_dropout"`
	Classes           int       `json:"classes"`
	LR                float64   `json:"lr"`
	TrainFLOPsPerStep []float64 `json:"train_flops"` // per batch, all models
	Batches           []Batch   `json:"batches"`
}

// Batch is one exported batch: ids and mask [B][T], labels [B].
type Batch struct {
	IDs    [][]int32 `json:"ids"`
	Mask   [][]int32 `json:"mask"`
	Labels []int32   `json:"labels"`
}

// Export returns the first n batches a fresh trainer of this workload
// trains on, without training (call it on a new Trainer).
func (t *Trainer) Export(n int) Export {
	c := t.Factory.Config
	e := Export{Workload: t.Name, Models: len(t.models), VocabSize: c.VocabSize, HiddenSize: c.HiddenSize,
		Layers: c.NumHiddenLayers, Heads: c.NumAttentionHeads, IntermediateSize: c.IntermediateSize,
		HiddenAct: c.HiddenAct, MaxPositions: c.MaxPositionEmbeddings, TypeVocabSize: c.TypeVocabSize,
		LayerNormEps: c.LayerNormEps, HiddenDropout: c.HiddenDropoutProb, AttentionDropout: c.AttentionProbsDropoutProb,
		HeadDropout: c.HeadDropout, Classes: c.NumLabels, LR: t.LR}
	for range n {
		b := t.NextBatch()
		var eb Batch
		for r := range b.B {
			eb.IDs = append(eb.IDs, append([]int32(nil), b.IDs[r*b.T:(r+1)*b.T]...))
			eb.Mask = append(eb.Mask, append([]int32(nil), b.Mask[r*b.T:(r+1)*b.T]...))
		}
		eb.Labels = append([]int32(nil), b.Labels...)
		e.Batches = append(e.Batches, eb)
		e.TrainFLOPsPerStep = append(e.TrainFLOPsPerStep, t.StepFLOPs())
	}
	return e
}
