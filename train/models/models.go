// Package models builds the encoders deni fine-tunes: it turns a model name
// and a dataset's texts into a tokenizer and a factory of fresh models that
// the strategies train.
package models

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"sync"

	"github.com/deni-project/deni/internal/registry"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/text"
)

// GloveMini is the embedded default model: a 2-layer BERT-layout encoder
// (hidden 100, 4 heads, FFN 400, GELU in its tanh form, which our engine
// vectorises) whose word embeddings start from GloVe 6B 100d vectors;
// everything else is drawn from the model_init stream.
const GloveMini = "glove-mini"

// GloveMean is the baseline the encoder must beat: the mean of the frozen
// GloVe vectors of a text's words, then a linear classifier.
const GloveMean = "glove-mean"

// Kind is a model that is part of the code, as it registers itself
// (Kinds): both are built on the GloVe vectors of the dataset's words (New);
// the kind says what sits on top and its default learning rates. Such
// models take no settings in the experiment file: the name alone enters
// run IDs.
type Kind struct {
	// Encoder reports whether the model has encoder layers: tuning methods
	// that adapt an encoder need them, and so do the strategies that act
	// on one (input noise, mixout).
	Encoder bool
	// Layers is the number of encoder layers (0 without an encoder).
	Layers int
	// LRs are the default learning rates per tuning method, LR the one of
	// methods without an entry.
	LRs map[string]float64
	LR  float64
	// build makes a fresh model of factory f, drawing from init.
	build func(f *Factory, init *rand.Rand) (strategy.Model, error)
}

// Kinds is the registry of the models that are part of the code. Model
// folders (Hugging Face BERT, RoBERTa, ALBERT) are the other kind of
// model: compiled in (RegisterEmbedded) or on disk (IsFolder).
var Kinds = func() *registry.Registry[Kind] {
	r := registry.New[Kind]("model")
	r.Register(GloveMini, Kind{Encoder: true, Layers: 2, LRs: GloveMiniLRs, LR: codeModelLR, build: newGloveBERT})
	r.Register(GloveMean, Kind{LR: gloveMeanLR,
		build: func(f *Factory, init *rand.Rand) (strategy.Model, error) { return newMean(f, init), nil }})
	return r
}()

// Names lists the models this build can construct by name: the code
// models (Kinds), then the embedded model folders (RegisterEmbedded).
var Names = Kinds.Names()

// Known reports whether name is a model of this build (embedded folders
// included) or a Hugging Face model folder (a directory with config.json;
// see IsFolder).
func Known(name string) bool { return slices.Contains(Names, name) || IsFolder(name) }

// HasEncoder reports whether model name has encoder layers: a model
// folder, or a code model whose Kind says so; false for an unknown name.
func HasEncoder(name string) bool {
	if _, ok := folderFS(name); ok {
		return true
	}
	k, err := Kinds.Lookup(name)
	return err == nil && k.Encoder
}

// Catalog is the models of this build as the experiment spec asks for
// them (pipeline.Registries): Known and Names.
var Catalog catalog

type catalog struct{}

func (catalog) Known(name string) bool { return Known(name) }
func (catalog) Names() []string        { return slices.Clone(Names) }

// embeddedFolder is a model folder compiled into the binary.
type embeddedFolder struct {
	fsys fs.FS
	lrs  map[string]float64 // default learning rates per tuning method; nil: the paper's (PaperLRs)
}

// embedded holds the model folders compiled into the binary, by name.
var embedded = map[string]embeddedFolder{}

// RegisterEmbedded makes name a model whose Hugging Face folder
// (config.json, model.safetensors, tokenizer files) is the root of fsys,
// typically a go:embed directory through fs.Sub. New, Known and Names then
// treat name as a model folder on disk; its files are read on first use
// (OpenFolderFS). Call it from an init function; it panics on an empty or
// already known name, as a programming error.
func RegisterEmbedded(name string, fsys fs.FS) { registerEmbedded(name, fsys, nil) }

// registerEmbedded is RegisterEmbedded with the folder's own default
// learning rates per tuning method (nil: the paper's for its family).
func registerEmbedded(name string, fsys fs.FS, lrs map[string]float64) {
	if name == "" || fsys == nil || slices.Contains(Names, name) {
		panic(fmt.Sprintf("models: RegisterEmbedded(%q): empty name, nil fs.FS or name already known", name))
	}
	embedded[name] = embeddedFolder{fsys: fsys, lrs: lrs}
	Names = append(Names, name)
}

// folderFS is the files of the model folder called name: an embedded
// folder, else a directory on disk with config.json; false for neither.
func folderFS(name string) (fs.FS, bool) {
	if e, ok := embedded[name]; ok {
		return e.fsys, true
	}
	if IsFolder(name) {
		return os.DirFS(name), true
	}
	return nil, false
}

// OpenModelFolder opens the model folder called name: an embedded folder
// (RegisterEmbedded) or else a directory on disk.
func OpenModelFolder(name string) (*Folder, error) {
	if e, ok := embedded[name]; ok {
		return OpenFolderFS(e.fsys, name)
	}
	return OpenFolder(name)
}

//go:embed embedded/glove-trec.100d.txt.gz
var embeddedGloVe []byte

var (
	embeddedOnce sync.Once
	embeddedVecs *text.Embeddings
	embeddedErr  error
)

// EmbeddedGloVe returns the GloVe subset compiled into the binary: every
// word of the embedded TREC dataset that GloVe knows (8,290 words).
func EmbeddedGloVe() (*text.Embeddings, error) {
	embeddedOnce.Do(func() {
		embeddedVecs, embeddedErr = text.ReadGloVe(bytes.NewReader(embeddedGloVe), nil)
	})
	return embeddedVecs, embeddedErr
}

// Options configure a model for one dataset.
type Options struct {
	Classes     int
	MaxLen      int     // longest encoded sequence (with [CLS] and [SEP])
	HeadDropout float64 // the paper's 0.3
	// Vectors are the pre-trained word vectors (nil: the embedded subset).
	Vectors *text.Embeddings
}

// vectors returns the word vectors to use: o.Vectors, or the embedded subset.
func (o Options) vectors() (*text.Embeddings, error) {
	if o.Vectors != nil {
		return o.Vectors, nil
	}
	vecs, err := EmbeddedGloVe()
	if err != nil {
		return nil, fmt.Errorf("embedded GloVe vectors: %w", err)
	}
	return vecs, nil
}

// Factory makes fresh models of one configuration and encodes text for them.
type Factory struct {
	Name      string
	Config    nn.Config
	Vocab     *text.Vocab
	DefaultLR float64
	Coverage  float64 // share of the corpus' tokens with a pre-trained vector
	// GloVeWords counts the dataset's words a glove_input model folder
	// took into its vocabulary (withGloVeWords).
	GloVeWords int

	table   []float32 // pre-trained rows of the word embeddings
	missing map[int32]bool
	folder  *Folder // a Hugging Face model folder (then Vocab is nil)
	kind    *Kind   // a code model (Kinds); nil for a folder
}

// New builds a factory for model name, with a vocabulary built from the
// dataset's texts (all rows, so every run of the dataset shares it). A name
// that is a Hugging Face model folder (config.json, model.safetensors and
// tokenizer files; BERT, RoBERTa or ALBERT), on disk or embedded
// (RegisterEmbedded), gives that pre-trained encoder with its own
// tokenizer, the paper's head and learning rate 1e-5.
func New(name string, texts []string, o Options) (*Factory, error) {
	// An embedded folder's name wins over a directory of that name in the
	// working directory, as the built-in names do; "./name" reaches the latter.
	if _, ok := embedded[name]; ok || IsFolder(name) {
		folder, err := OpenModelFolder(name)
		if err != nil {
			return nil, err
		}
		var added []string
		if folder.Config.GloVeInput != nil {
			vecs, err := o.vectors()
			if err != nil {
				return nil, err
			}
			if folder, added, err = withGloVeWords(folder, texts, vecs); err != nil {
				return nil, err
			}
		}
		f, err := newHF(name, folder, o)
		if err != nil {
			return nil, err
		}
		f.GloVeWords = len(added)
		return f, nil
	}
	kind, err := Kinds.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("unknown model %q (known: %v, or a folder with config.json)", name, Names)
	}
	vecs, err := o.vectors()
	if err != nil {
		return nil, err
	}
	if vecs.Dim != 100 {
		return nil, fmt.Errorf("%s needs 100-dimensional word vectors, got %d", name, vecs.Dim)
	}
	// Words GloVe lacks but the corpus uses twice or more get a random row
	// rather than [UNK] ("a", "'s" and single letters are not in the subset).
	vocab := text.BuildVocab(texts, text.VocabOptions{Known: vecs.Has, KeepUnknown: 2})
	table, missing := vecs.Table(vocab)
	f := &Factory{
		Name: name, Vocab: vocab, DefaultLR: kind.LR, kind: &kind, table: table, missing: map[int32]bool{},
		Config: nn.Config{
			VocabSize: vocab.Len(), HiddenSize: 100, NumHiddenLayers: kind.Layers, NumAttentionHeads: 4,
			IntermediateSize: 400, HiddenAct: "gelu_new", HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1,
			MaxPositionEmbeddings: max(64, o.MaxLen), TypeVocabSize: 2, LayerNormEps: 1e-12,
			InitializerRange: 0.02, PadTokenID: int(text.PadID),
			NumLabels: o.Classes, HeadDropout: o.HeadDropout, HeadInit: "torch",
		},
	}
	for _, id := range missing {
		f.missing[id] = true
	}
	known, total := 0, 0
	var toks []string
	for _, t := range texts {
		toks = text.AppendTokens(toks[:0], t)
		for _, tok := range toks {
			total++
			if vecs.Has(tok) {
				known++
			}
		}
	}
	if total > 0 {
		f.Coverage = float64(known) / float64(total)
	}
	return f, f.Config.Validate()
}

// Encode tokenizes text into ids with [CLS] … [SEP] (RoBERTa: <s> … </s>),
// truncated to maxLen.
func (f *Factory) Encode(s string, maxLen int) []int32 {
	if f.folder != nil {
		return f.folder.Tokenizer.Encode(s, maxLen)
	}
	return f.Vocab.Encode(s, maxLen)
}

// NewModel builds a fresh model: random weights from init, then the GloVe
// rows copied over the word embeddings (the draws happen for every row, so
// the stream's use does not depend on the vocabulary's coverage). For a
// model folder: the pre-trained weights, and what the checkpoint lacks (the
// head, RoBERTa's pooler) drawn from init.
func (f *Factory) NewModel(init *rand.Rand) (strategy.Model, error) {
	if f.folder != nil {
		return f.newFolderModel(init)
	}
	return f.kind.build(f, init)
}

// newGloveBERT is glove-mini's model: the encoder with random weights from
// init, then the GloVe rows copied over its word embeddings.
func newGloveBERT(f *Factory, init *rand.Rand) (strategy.Model, error) {
	m, err := nn.NewBERT(f.Config, init)
	if err != nil {
		return nil, err
	}
	w := m.Embeddings.Word.Weight.Data
	h := f.Config.HiddenSize
	for id := range int32(f.Vocab.Len()) {
		if !f.missing[id] {
			copy(w[int(id)*h:(int(id)+1)*h], f.table[int(id)*h:(int(id)+1)*h])
		}
	}
	return Wrap(m), nil
}

// weightsIDs caches WeightsID by model name.
var weightsIDs sync.Map

// WeightsID identifies the files of a model folder (embedded or on disk):
// the first 16 hex digits of a sha256 over the names and contents of its
// weights, configuration and tokenizer files (*.safetensors, *.json,
// *.txt, *.model), so that run IDs change when a folder's weights do.
// Built-in models (glove-mini) and unreadable folders give "".
func WeightsID(name string) string {
	if id, ok := weightsIDs.Load(name); ok {
		return id.(string)
	}
	fsys, ok := folderFS(name)
	if !ok {
		return ""
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, e := range entries { // sorted by name
		switch path.Ext(e.Name()) {
		case ".safetensors", ".json", ".txt", ".model":
		default:
			continue
		}
		if !e.Type().IsRegular() && e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		f, err := fsys.Open(e.Name())
		if err != nil {
			return ""
		}
		fmt.Fprintf(h, "%s\x00", e.Name())
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return ""
		}
	}
	id := hex.EncodeToString(h.Sum(nil))[:16]
	weightsIDs.Store(name, id)
	return id
}
