package models

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
	"github.com/deni-project/deni/train/tokenizer"
)

// ConvertHint is the command that turns a PyTorch pickle checkpoint into
// the safetensors file deni reads.
const ConvertHint = `python -c "import torch; from safetensors.torch import save_file; ` +
	`save_file({k: v.contiguous() for k, v in torch.load('pytorch_model.bin', map_location='cpu').items()}, 'model.safetensors')"`

// PaperLR is the paper's learning rate for full fine-tuning of BERT,
// RoBERTa and ALBERT.
const PaperLR = 1e-5

// IsFolder reports whether name is a Hugging Face model folder: a
// directory holding config.json.
func IsFolder(name string) bool {
	st, err := os.Stat(filepath.Join(name, checkpoint.ConfigFile))
	return err == nil && st.Mode().IsRegular()
}

// Folder is an opened Hugging Face model folder: config.json, the
// tokenizer files and the pre-trained weights (model.safetensors, or the
// shards listed by model.safetensors.index.json), loaded once and shared
// read-only by every model built from it.
type Folder struct {
	Dir       string    // absolute path, or "embedded:NAME" for OpenFolderFS
	Config    nn.Config // as config.json says; NumLabels and HeadDropout are set per model
	Tokenizer *tokenizer.Tokenizer
	weights   map[string]*tensor.Tensor // checkpoint tensors the classifier uses, by HF name
	ignored   []string
}

var (
	folderMu    sync.Mutex
	folderCache = map[string]*folderEntry{} // by Folder.Dir
)

type folderEntry struct {
	once sync.Once
	f    *Folder
	err  error
}

// OpenFolder reads a model folder, once per process and absolute path.
func OpenFolder(dir string) (*Folder, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// Through os.DirFS, so that folders on disk and embedded ones are read
	// by the same code.
	return cachedFolder(abs, func() (*Folder, error) { return openFolder(os.DirFS(abs), abs) })
}

// EmbeddedPrefix starts the Dir of a folder opened by OpenFolderFS.
const EmbeddedPrefix = "embedded:"

// OpenFolderFS reads the model folder at the root of fsys (e.g. a go:embed
// directory through fs.Sub), once per process and name: a second call with
// the same name returns the first result. Its Dir is "embedded:" + name.
func OpenFolderFS(fsys fs.FS, name string) (*Folder, error) {
	dir := EmbeddedPrefix + name
	return cachedFolder(dir, func() (*Folder, error) { return openFolder(fsys, dir) })
}

func cachedFolder(dir string, open func() (*Folder, error)) (*Folder, error) {
	folderMu.Lock()
	e, ok := folderCache[dir]
	if !ok {
		e = &folderEntry{}
		folderCache[dir] = e
	}
	folderMu.Unlock()
	e.once.Do(func() { e.f, e.err = open() })
	return e.f, e.err
}

// openFolder reads the folder at the root of fsys; dir names it in messages.
func openFolder(fsys fs.FS, dir string) (*Folder, error) {
	if st, err := fs.Stat(fsys, checkpoint.ConfigFile); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a model folder: it has no %s", dir, checkpoint.ConfigFile)
	}
	b, err := fs.ReadFile(fsys, checkpoint.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	cfg, err := nn.ParseConfig(b, 2, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", dir, checkpoint.ConfigFile, err)
	}
	f := &Folder{Dir: dir, Config: cfg}
	if f.Tokenizer, err = tokenizer.LoadFS(fsys, "."); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if f.Tokenizer.VocabSize() > cfg.VocabSize {
		return nil, fmt.Errorf("%s: the tokenizer has %d ids but config.json vocab_size is %d", dir, f.Tokenizer.VocabSize(), cfg.VocabSize)
	}
	ts, err := loadWeights(fsys, dir)
	if err != nil {
		return nil, err
	}
	f.weights = map[string]*tensor.Tensor{}
	for name, t := range ts {
		if _, ok := nn.HFName(name); ok {
			f.weights[name] = t
		} else {
			f.ignored = append(f.ignored, name)
		}
	}
	sort.Strings(f.ignored)
	// Check names and shapes now, so that a wrong folder fails before training.
	if _, _, err := f.NewClassifier(2, 0, nil); err != nil {
		return nil, err
	}
	return f, nil
}

// loadWeights reads model.safetensors or its shards from the root of fsys.
func loadWeights(fsys fs.FS, dir string) (map[string]*tensor.Tensor, error) {
	exists := func(n string) bool { _, err := fs.Stat(fsys, n); return err == nil }
	const index = "model.safetensors.index.json"
	switch {
	case exists(checkpoint.WeightsFile):
		ts, _, err := checkpoint.LoadFS(fsys, checkpoint.WeightsFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		return ts, nil
	case exists(index):
		b, err := fs.ReadFile(fsys, index)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(b, &idx); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", dir, index, err)
		}
		var shards []string
		for _, s := range idx.WeightMap {
			if !slices.Contains(shards, s) {
				shards = append(shards, s)
			}
		}
		sort.Strings(shards)
		all := map[string]*tensor.Tensor{}
		for _, s := range shards {
			if strings.Contains(s, "/") || strings.Contains(s, `\`) {
				return nil, fmt.Errorf("%s: shard name %q is not a file name", dir, s)
			}
			ts, _, err := checkpoint.LoadFS(fsys, s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", dir, err)
			}
			for n, t := range ts {
				all[n] = t
			}
		}
		return all, nil
	case exists("pytorch_model.bin"):
		return nil, fmt.Errorf("%s has pytorch_model.bin but no model.safetensors; convert it there with: %s", dir, ConvertHint)
	}
	return nil, fmt.Errorf("%s has no %s: %w", dir, checkpoint.WeightsFile, fs.ErrNotExist)
}

// NewClassifier builds the folder's architecture (config.json model_type:
// bert, roberta or albert) with the paper's head for numLabels classes,
// loads the pre-trained weights and initialises what the checkpoint lacks
// (the head, and RoBERTa's pooler) from init, in parameter order. With a
// nil init those stay zero (for checks only).
func (f *Folder) NewClassifier(numLabels int, headDropout float64, init *rand.Rand) (nn.Classifier, nn.LoadReport, error) {
	cfg := f.Config
	cfg.NumLabels, cfg.HeadDropout = numLabels, headDropout
	m, err := nn.New(cfg, nil)
	if err != nil {
		return nil, nn.LoadReport{}, fmt.Errorf("%s: %w", f.Dir, err)
	}
	rep, err := nn.LoadHF(m, f.weights)
	if err != nil {
		return nil, rep, fmt.Errorf("%s: %w", f.Dir, err)
	}
	rep.Ignored = append(rep.Ignored, f.ignored...)
	if init != nil && len(rep.Missing) > 0 {
		m.InitParams(init, func(p *tensor.Param) bool { return slices.Contains(rep.Missing, p.Name) })
	}
	return m, rep, nil
}

// newHF makes the factory of an opened model folder; name is the model
// name the user gave (a path, or an embedded folder's name).
func newHF(name string, f *Folder, o Options) (*Factory, error) {
	cfg := f.Config
	cfg.NumLabels, cfg.HeadDropout = o.Classes, o.HeadDropout
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if limit := maxSeqLen(cfg); o.MaxLen > limit {
		return nil, fmt.Errorf("max_len %d exceeds the %d positions of %s", o.MaxLen, limit, name)
	}
	return &Factory{Name: name, Config: cfg, DefaultLR: PaperLR, folder: f}, nil
}

func maxSeqLen(c nn.Config) int {
	if c.ModelType == "roberta" {
		return c.MaxPositionEmbeddings - c.PadTokenID - 1
	}
	return c.MaxPositionEmbeddings
}

func (f *Factory) newFolderModel(init *rand.Rand) (strategy.Model, error) {
	m, _, err := f.folder.NewClassifier(f.Config.NumLabels, f.Config.HeadDropout, init)
	if err != nil {
		return nil, err
	}
	return Wrap(m), nil
}

// Pooled returns the pooler output [H] of one encoded sequence in
// evaluation mode (no dropout), before the head: what `deni model encode`
// prints.
func Pooled(m nn.Classifier, ids, mask []int32) ([]float32, error) {
	b := nn.Batch{IDs: ids, Mask: mask, B: 1, T: len(ids)}
	if err := m.Check(b); err != nil {
		return nil, err
	}
	g := tensor.NewGraph()
	g.SetNoGrad(true)
	return append([]float32(nil), m.Pooled(g, b, false, nil).Data...), nil
}
