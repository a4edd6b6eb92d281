package models

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/peft"
	"github.com/deni-project/deni/train/strategy"
)

// Tunings lists the tuning methods of the experiment file's `tuning:` key:
// full fine-tuning and the parameter-efficient methods of package peft.
var Tunings = peft.Methods

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
	if method == peft.Full {
		return c, nil
	}
	if !slices.Contains(Tunings, method) {
		return nil, fmt.Errorf("unknown tuning method %q (known: %v)", method, Tunings)
	}
	m, err := peft.Apply(c, peft.DefaultConfig(method), init)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// NewTunedModel builds a fresh model (NewModel) and applies the tuning
// method to it; the method's parameters are drawn from init after the
// model's, so a run's backbone and head start the same under every method.
func (f *Factory) NewTunedModel(tuning string, init *rand.Rand) (strategy.Model, error) {
	m, err := f.NewModel(init)
	if err != nil || tuning == peft.Full {
		return m, err
	}
	c, ok := Unwrap(m)
	if !ok {
		return nil, fmt.Errorf("%s has no encoder to tune with %s: use tuning full", f.Name, tuning)
	}
	t, err := ApplyTuning(c, tuning, init)
	if err != nil {
		return nil, err
	}
	return Wrap(t), nil
}

// ModelMaker returns the constructor of fresh models for runs with the
// tuning method (what strategy.Train takes).
func (f *Factory) ModelMaker(tuning string) strategy.NewModel {
	return func(init *rand.Rand) (strategy.Model, error) { return f.NewTunedModel(tuning, init) }
}

// LR is the default learning rate of the tuning method for this model: the
// paper's for a model folder (by its model_type), GloveMiniLRs for
// glove-mini, DefaultLR otherwise.
func (f *Factory) LR(tuning string) float64 {
	modelType := ""
	if f.folder != nil {
		modelType = f.Config.ModelType
	}
	return lrFor(f.Name, f.folder != nil, modelType, tuning, f.DefaultLR)
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
				lr = lrFor(name, true, cfg.ModelType, tuning, PaperLR)
			}
		}
	} else if Known(name) {
		fallback := codeModelLR
		if name == GloveMean {
			fallback = gloveMeanLR
		}
		lr = lrFor(name, false, "", tuning, fallback)
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

// lrFor is Factory.LR's rule, shared with DefaultLR.
func lrFor(name string, folder bool, modelType, tuning string, fallback float64) float64 {
	switch {
	case name == DeniBertMini:
		if lr, ok := DeniBertMiniLRs[tuning]; ok {
			return lr
		}
	case folder:
		family := modelType
		if family != "roberta" && family != "albert" {
			family = "bert"
		}
		if lr, ok := PaperLRs[tuning][family]; ok {
			return lr
		}
	case name == GloveMini:
		if lr, ok := GloveMiniLRs[tuning]; ok {
			return lr
		}
	}
	return fallback
}
