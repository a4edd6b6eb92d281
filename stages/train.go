package stages

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/pipeline"
	"github.com/deni-project/deni/train/metrics"
	"github.com/deni-project/deni/train/models"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/schedule"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
	"github.com/deni-project/deni/train/text"
)

// Trainer is the runner of an experiment: for each run it prepares the data
// (split, labelled selection), encodes it, trains under the run's strategy
// and turns the outcome into result rows. Datasets, vocabularies and
// encodings are built once per process and shared by the runs.
type Trainer struct {
	e       *pipeline.Experiment
	baseDir string // custom datasets' relative files are resolved against it

	mu       sync.Mutex
	prepared map[string]*preparedData

	vecsOnce sync.Once
	vecs     *text.Embeddings // the experiment's word vectors (nil: embedded)
	vecsErr  error

	aug *AugmentStage // augmented sets, cached (see augment.go)

	cores *strategy.Cores // nil: each run trains up to GOMAXPROCS models at once
}

// WithCores bounds the cores the runner's runs use together to n (`deni run
// --workers n`): each run holds one while it runs and trains its other models
// concurrently only on free ones.
func WithCores(n int) RunnerOption {
	return func(t *Trainer) { t.cores = strategy.NewCores(n) }
}

// preparedData is a dataset with its model factory and encoded rows.
type preparedData struct {
	once    sync.Once
	err     error
	ds      *data.Dataset
	factory *models.Factory
	encoded [][]int32 // every row, encoded to maxLen
	maxLen  int
}

// NewRunner returns the runner that trains and evaluates the runs of e.
func NewRunner(e *pipeline.Experiment, opts ...RunnerOption) pipeline.Runner {
	t := &Trainer{e: e, baseDir: specDir(e), prepared: map[string]*preparedData{},
		aug: NewAugmentStage(DefaultAugmentDir(e), e.DataDir)}
	for _, o := range opts {
		o(t)
	}
	return t
}

func (t *Trainer) dataset(ctx context.Context, r pipeline.Run) (*preparedData, error) {
	key := fmt.Sprintf("%s|%s|%d", r.Dataset.Name, r.Model, r.MaxLen)
	t.mu.Lock()
	p, ok := t.prepared[key]
	if !ok {
		p = &preparedData{maxLen: r.MaxLen}
		t.prepared[key] = p
	}
	t.mu.Unlock()
	p.once.Do(func() {
		p.ds, p.err = loadDataset(ctx, r.Dataset, t.e.DataDir, t.baseDir)
		if p.err != nil {
			return
		}
		t.vecsOnce.Do(func() {
			if t.e.Embeddings != "" {
				t.vecs, t.vecsErr = text.LoadGloVe(t.e.Embeddings, nil)
			}
		})
		if p.err = t.vecsErr; p.err != nil {
			return
		}
		p.factory, p.err = models.New(r.Model, p.ds.Texts, models.Options{
			Classes: p.ds.NumClasses(), MaxLen: r.MaxLen, HeadDropout: t.e.Train.HeadDropout, Vectors: t.vecs})
		if p.err != nil {
			return
		}
		p.encoded = make([][]int32, p.ds.Len())
		for i, s := range p.ds.Texts {
			p.encoded[i] = p.factory.Encode(s, r.MaxLen)
		}
	})
	return p, p.err
}

func seedSet(s pipeline.RunSeeds) seeds.Set {
	set := seeds.Set{}
	for _, f := range seeds.Factors {
		set[f] = s.Of(f)
	}
	return set
}

// runInputs are a run's data as the trainer encodes it.
type runInputs struct {
	p                       *preparedData
	rd                      *RunData
	train, test, validation []strategy.Sample
}

// inputs prepares run r's data (PrepareRun: the very samples `deni data
// export` writes) and encodes it for the model, in the order trained on.
func (t *Trainer) inputs(ctx context.Context, r pipeline.Run) (*runInputs, error) {
	p, err := t.dataset(ctx, r)
	if err != nil {
		return nil, err
	}
	rd, err := PrepareRun(ctx, p.ds, r, t.aug)
	if err != nil {
		return nil, err
	}
	samples := func(ss []Sample) []strategy.Sample {
		out := make([]strategy.Sample, len(ss))
		for i, s := range ss {
			var ids []int32
			if s.Augmented() {
				ids = p.factory.Encode(s.Text, r.MaxLen)
			} else {
				ids = p.encoded[s.Row] // dataset rows are encoded once per process
			}
			out[i] = strategy.Sample{IDs: ids, Label: int32(s.Label)}
		}
		return out
	}
	return &runInputs{p: p, rd: rd, train: samples(rd.Train), test: samples(rd.Test), validation: samples(rd.Validation)}, nil
}

// Run trains and evaluates one run.
func (t *Trainer) Run(ctx context.Context, r pipeline.Run) (*pipeline.Result, error) {
	in, err := t.inputs(ctx, r)
	if err != nil {
		return nil, err
	}
	p, rd, train, test, validation := in.p, in.rd, in.train, in.test, in.validation
	tr := r.Train
	lr := tr.LR
	if lr == 0 {
		lr = p.factory.LR(r.Tuning) // per tuning method (models.PaperLRs, models.GloveMiniLRs)
	}
	ocfg, err := optim.Defaults(optim.Kind(tr.Optimizer))
	if err != nil {
		return nil, err
	}
	if tr.WeightDecay != 0 { // 0 keeps the optimizer's default (AdamW's 0.01; 0 for the others)
		ocfg.WeightDecay = tr.WeightDecay
	}
	tuning, err := models.Tunings.Lookup(r.Tuning)
	if err != nil {
		return nil, err
	}
	noiseLayer := noiseLayerOf(r.Strategy.NoiseLayer, tuning.Adapts)
	padTo := 0
	if tr.Padding == "max_length" {
		padTo = r.MaxLen
	}
	setup := strategy.Setup{
		Strategy: r.Strategy, Epochs: tr.Epochs, BatchSize: tr.BatchSize, EvalBatch: tr.EvalBatchSize,
		LR: lr, Optimizer: ocfg, Schedule: tr.Schedule, NoiseLayer: noiseLayer, PadTo: padTo,
		EvalByLength: tr.EvalOrder == pipeline.EvalOrderLength,
		Seeds: strategy.Seeds{SampleOrder: r.Seeds.SampleOrder, ModelInit: r.Seeds.ModelInit,
			ModelRandomness: r.Seeds.ModelRandomness, Noise: r.Seeds.Noise},
		Parallel:   runtime.GOMAXPROCS(0),
		Validation: validation,
		Progress:   pipeline.StepReporter(ctx), // the executor's observer follows the steps (nil: none)
	}
	if t.cores != nil {
		release := t.cores.Hold()
		defer release()
		setup.Cores = t.cores
	}
	out, err := strategy.Train(ctx, setup, p.factory.ModelMaker(r.Tuning), train, test)
	if err != nil {
		return nil, err
	}
	return result(r, rd, out, setup), nil
}

// noiseLayerOf resolves noise_layer: auto is the reference's choice, the
// head (output.*) under full fine-tuning and every trainable parameter under
// a PEFT method (adapts).
func noiseLayerOf(layer string, adapts bool) string {
	if layer != "auto" {
		return layer
	}
	if adapts {
		return "trainable"
	}
	return "head"
}

func result(r pipeline.Run, rd *RunData, o *strategy.Outcome, s strategy.Setup) *pipeline.Result {
	labels := make([]int32, len(rd.Test))
	for i, x := range rd.Test {
		labels[i] = int32(x.Label)
	}
	res := &pipeline.Result{Run: results.RunRow{
		MacroF1:          metrics.MacroF1(labels, o.Preds, o.Classes),
		Accuracy:         metrics.Accuracy(labels, o.Preds),
		MainMacroF1:      metrics.MacroF1(labels, o.MainPreds(), o.Classes),
		MajorityMacroF1:  metrics.MacroF1(labels, o.VotePreds(schedule.VoteMajority), o.Classes),
		MeanProbsMacroF1: metrics.MacroF1(labels, o.VotePreds(schedule.VoteMeanProbs), o.Classes),
		Classes:          int32(o.Classes), NTrain: int32(len(rd.Train)), NTest: int32(len(rd.Test)),
		Members: int32(len(o.MemberPreds[0])), Epochs: int32(s.Epochs), BatchSize: int32(s.BatchSize),
		MaxLen: int32(r.MaxLen), LR: s.LR, Optimizer: string(s.Optimizer.Kind),
		Steps: o.Cost.Steps, OptimizerSteps: o.Cost.OptimizerSteps, ForwardSamples: o.Cost.ForwardSamples,
		BackwardSamples: o.Cost.BackwardSamples, TrainFLOPs: o.Cost.TrainFLOPs,
		InferencePasses: o.Cost.InferencePasses, ModelBytes: o.Cost.ModelBytes, FinalLoss: o.FinalLoss, BLAS: tensor.BLASName() + "/" + tensor.SIMD(),
	}}
	for i, x := range rd.Test {
		res.Predictions = append(res.Predictions, results.PredictionRow{
			RunID: r.ID, Sample: int32(i), SampleID: x.ID, Label: labels[i], Pred: o.Preds[i],
			Logits: o.Logits[i], MemberPreds: o.MemberPreds[i], MemberLogits: o.MemberLogits[i]})
	}
	res.Steps = make([]results.StepRow, len(o.Steps))
	for i, st := range o.Steps {
		res.Steps[i] = results.StepRow{RunID: r.ID, Model: int32(st.Model), Step: int32(st.Step),
			Epoch: int32(st.Epoch), Loss: st.Loss, LR: st.LR, Phase: st.Phase}
	}
	for _, ev := range o.Events {
		res.Events = append(res.Events, results.EventRow{RunID: r.ID, Step: int32(ev.Step), Kind: ev.Kind,
			Models: int32(ev.Models), Scale: ev.Scale})
	}
	return res
}
