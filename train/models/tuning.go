package models

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"sync"

	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/peft"
	"github.com/deni-project/deni/train/strategy"
)

// Tunings is the registry of the tuning methods of the experiment file's
// `tuning:` key: full fine-tuning and the parameter-efficient methods of
// package peft (peft.Tunings).
var Tunings = peft.Tunings

// PaperLRs are the reference run script's learning rates per tuning method
// and model family (section 2.3 of the paper reference), the defaults for
// Hugging Face model folders. RoBERTa's LoRA rate is 1e-5 in the script.
var PaperLRs = map[string]map[string]float64{
	peft.Full:    {"bert": 1e-5, "roberta": 1e-5, "albert": 1e-5},
	peft.LoRA:    {"bert": 1e-4, "roberta": 1e-5, "albert": 1e-4},
	peft.IA3:     {"bert": 7.5e-3, "roberta": 7.5e-3, "albert": 7.5e-3},
	peft.UniPELT: {"bert": 1e-4, "roberta": 2.5e-4, "albert": 6e-5},
}

// GloveMiniLRs are glove-mini's default learning rates per tuning method,
// the best of a short sweep (default strategy, 500 labelled, 10 epochs, 2
// runs each) on TREC and SST-2; the README lists the runs. Its backbone is
// frozen at random initialisation (only the word vectors are pre-trained),
// so the methods need larger steps than on a pre-trained encoder.
var GloveMiniLRs = map[string]float64{
	peft.Full:    1e-3,
	peft.LoRA:    3e-3,
	peft.IA3:     3e-1,
	peft.UniPELT: 3e-3,
}

// ApplyTuning tunes a freshly built classifier with method: full returns c
// unchanged; lora, ia3 and unipelt freeze its backbone and add the method's
// modules in the paper's configuration (package peft), drawing their
// initial values from init after c's own parameters.
func ApplyTuning(c nn.Classifier, method string, init *rand.Rand) (nn.Classifier, error) {
	t, err := Tunings.Lookup(method)
	if err != nil {
		return nil, err
	}
	return t.Apply(c, init)
}

// NewTunedModel builds a fresh model (NewModel) and applies the tuning
// method to it; the method's parameters are drawn from init after the
// model's, so a run's backbone and head start the same under every method.
func (f *Factory) NewTunedModel(tuning string, init *rand.Rand) (strategy.Model, error) {
	t, err := Tunings.Lookup(tuning)
	if err != nil {
		return nil, err
	}
	m, err := f.NewModel(init)
	if err != nil || !t.Adapts {
		return m, err
	}
	c, ok := Unwrap(m)
	if !ok {
		return nil, fmt.Errorf("%s has no encoder to tune with %s: use tuning full", f.Name, tuning)
	}
	a, err := t.Apply(c, init)
	if err != nil {
		return nil, err
	}
	return Wrap(a), nil
}

// ModelMaker returns the constructor of fresh models for runs with the
// tuning method (what strategy.Train takes).
func (f *Factory) ModelMaker(tuning string) strategy.NewModel {
	return func(init *rand.Rand) (strategy.Model, error) { return f.NewTunedModel(tuning, init) }
}

// LR is the default learning rate of the tuning method for this model: for
// a model folder its own table (deni-bert-mini: DeniBertMiniLRs) or the
// paper's (PaperLRs, by its model_type), for a code model its Kind's
// (GloveMiniLRs for glove-mini); DefaultLR otherwise.
func (f *Factory) LR(tuning string) float64 {
	if f.folder != nil {
		return folderLR(f.Name, f.Config.ModelType, tuning, f.DefaultLR)
	}
	if lr, ok := f.kind.LRs[tuning]; ok {
		return lr
	}
	return f.DefaultLR
}

// DefaultLR is the learning rate runs of model name with the tuning method
// use when train.lr is unset (Factory.LR), found without loading the model
// (a folder's config.json only): the plan puts it into the run's
// configuration, so a changed default makes new runs. 0 when name is
// neither a built-in model nor a readable model folder.
func DefaultLR(name, tuning string) float64 {
	key := name + "\x00" + tuning
	if lr, ok := defaultLRs.Load(key); ok {
		return lr.(float64)
	}
	lr := 0.0
	if fsys, ok := folderFS(name); ok {
		if b, err := fs.ReadFile(fsys, checkpoint.ConfigFile); err == nil {
			if cfg, err := nn.ParseConfig(b, 2, 0); err == nil {
				lr = folderLR(name, cfg.ModelType, tuning, PaperLR)
			}
		}
	} else if k, err := Kinds.Lookup(name); err == nil {
		lr = codeLR(k, tuning)
	}
	defaultLRs.Store(key, lr)
	return lr
}

var defaultLRs sync.Map // name + "\x00" + tuning → float64

// Learning rates of the models that are part of the code, for tuning
// methods without an entry in their table.
const (
	codeModelLR = 1e-3
	gloveMeanLR = 1e-2 // a linear classifier on fixed features takes larger steps
)

// codeLR is the default learning rate of a code model of kind k.
func codeLR(k Kind, tuning string) float64 {
	if lr, ok := k.LRs[tuning]; ok {
		return lr
	}
	return k.LR
}

// folderLR is the default learning rate of model folder name (of
// model_type modelType) with the tuning method: the folder's own table when
// it was compiled in with one, else the paper's for its family; fallback
// for a method without an entry.
func folderLR(name, modelType, tuning string, fallback float64) float64 {
	if e, ok := embedded[name]; ok && e.lrs != nil {
		if lr, ok := e.lrs[tuning]; ok {
			return lr
		}
		return fallback
	}
	family := modelType
	if family != "roberta" && family != "albert" {
		family = "bert"
	}
	if lr, ok := PaperLRs[tuning][family]; ok {
		return lr
	}
	return fallback
}
