package pretrain

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/deni-project/deni/train/nn"
)

// Config is a pre-training run (experiments/pretrain.yaml). Paths are
// relative to the working directory.
type Config struct {
	Corpus string `yaml:"corpus" json:"corpus"` // sentence-per-line text file
	GloVe  string `yaml:"glove" json:"glove"`   // GloVe text file (.txt or .txt.gz) for the word embeddings; "" for none
	Output string `yaml:"output" json:"output"` // the model folder to write
	Seed   uint64 `yaml:"seed" json:"seed"`     // root seed of every stream

	Vocab VocabConfig `yaml:"vocab" json:"vocab"`
	Model ModelConfig `yaml:"model" json:"model"`
	Train TrainConfig `yaml:"train" json:"train"`
}

// VocabConfig sets the WordPiece trainer.
type VocabConfig struct {
	Size         int `yaml:"size" json:"size"`
	MinFrequency int `yaml:"min_frequency" json:"min_frequency"`
	// GloVeWords adds, after the WordPiece tokens, every word among the
	// first GloVeWords lines of the glove file (GloVe files list words most
	// frequent first) that BERT's pre-tokenisation keeps whole and the
	// vocabulary lacks, as a whole-word token initialised from its vector.
	// A corpus-trained vocabulary alone splits common evaluation words the
	// corpus rarely uses (film, funny, boring) into pieces without vectors.
	GloVeWords int `yaml:"glove_words" json:"glove_words,omitempty"`
}

// ModelConfig is the BERT architecture.
type ModelConfig struct {
	HiddenSize       int     `yaml:"hidden_size" json:"hidden_size"`
	Layers           int     `yaml:"layers" json:"layers"`
	Heads            int     `yaml:"heads" json:"heads"`
	IntermediateSize int     `yaml:"intermediate_size" json:"intermediate_size"`
	MaxLen           int     `yaml:"max_len" json:"max_len"` // tokens per packed sequence, and max_position_embeddings
	Dropout          float64 `yaml:"dropout" json:"dropout"` // hidden and attention dropout
	// GloVeScale: the GloVe dims of a word embedding are scaled so that
	// their standard deviation is this (default initializer_range 0.02).
	GloVeStd float64 `yaml:"glove_std" json:"glove_std"`
	// FreezeGloVe keeps the GloVe-initialised word-embedding rows fixed
	// during pre-training (their gradient is zeroed; the word-embedding
	// matrix is exempt from weight decay). With the decoder tied to the
	// embeddings, every row gets a gradient at every step and Adam moves
	// even rare words by about lr per step: unfrozen, the GloVe geometry of
	// words the corpus rarely uses is lost (cos(charming, its GloVe) 0.10
	// after 4,000 steps). Frozen with the tied decoder, though, the output
	// layer learns too slowly (loss 8.77 against 6.93 at step 450): meant
	// for an untied decoder.
	FreezeGloVe bool `yaml:"freeze_glove" json:"freeze_glove,omitempty"`
	// UntiedDecoder gives the MLM decoder its own matrix (initialised as a
	// copy of the word embeddings; saved as cls.predictions.decoder.weight
	// with tie_word_embeddings false), so that input rows move only when
	// their word is in the input.
	UntiedDecoder bool `yaml:"untied_decoder" json:"untied_decoder,omitempty"`
}

// TrainConfig is the optimisation.
type TrainConfig struct {
	Steps           int     `yaml:"steps" json:"steps"`
	BatchSize       int     `yaml:"batch_size" json:"batch_size"`
	LR              float64 `yaml:"lr" json:"lr"`
	Schedule        string  `yaml:"schedule" json:"schedule"` // optim schedule name, default linear_warmup (10% warm-up)
	WeightDecay     float64 `yaml:"weight_decay" json:"weight_decay"`
	ClipNorm        float64 `yaml:"clip_norm" json:"clip_norm"`
	MaskProb        float64 `yaml:"mask_prob" json:"mask_prob"`
	LogEvery        int     `yaml:"log_every" json:"log_every"`
	CheckpointEvery int     `yaml:"checkpoint_every" json:"checkpoint_every"`
	HeldoutEvery    int     `yaml:"heldout_every" json:"heldout_every"` // every n-th packed sequence is held out for evaluation
}

// Defaults returns the default configuration (a tiny model; the committed
// experiments/pretrain.yaml sets the real one).
func Defaults() Config {
	return Config{
		Seed:  42,
		Vocab: VocabConfig{Size: 8000, MinFrequency: 2},
		Model: ModelConfig{HiddenSize: 128, Layers: 4, Heads: 4, IntermediateSize: 512, MaxLen: 128, Dropout: 0.1, GloVeStd: 0.02},
		Train: TrainConfig{Steps: 1000, BatchSize: 32, LR: 5e-4, Schedule: "linear_warmup", WeightDecay: 0.01,
			ClipNorm: 1, MaskProb: 0.15, LogEvery: 10, CheckpointEvery: 100, HeldoutEvery: 50},
	}
}

var unknownKey = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)

// LoadConfig reads a pretrain YAML file strictly: unknown keys are errors
// naming the key and its line; absent keys keep Defaults.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("pretrain config: %w", err)
	}
	return ParseConfig(path, b)
}

// ParseConfig parses the YAML in b (file names it in errors).
func ParseConfig(file string, b []byte) (Config, error) {
	c := Defaults()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			// One line per problem, e.g. `p.yaml:5: unknown key "layerz"`.
			msgs := make([]string, len(te.Errors))
			for i, e := range te.Errors {
				if m := unknownKey.FindStringSubmatch(e); m != nil {
					e = fmt.Sprintf("%s:%s: unknown key %q (allowed keys: see train/pretrain.Config)", file, m[1], m[2])
				} else {
					e = file + ": " + e
				}
				msgs[i] = e
			}
			return Config{}, errors.New(strings.Join(msgs, "; "))
		}
		return Config{}, fmt.Errorf("%s: %w", file, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

// Validate reports the first inconsistency.
func (c Config) Validate() error {
	t := c.Train
	switch {
	case c.Corpus == "":
		return fmt.Errorf("corpus: a text file is required")
	case c.Output == "":
		return fmt.Errorf("output: a folder is required")
	case c.Vocab.Size <= len(Specials):
		return fmt.Errorf("vocab.size %d is too small", c.Vocab.Size)
	case c.Vocab.GloVeWords < 0:
		return fmt.Errorf("vocab.glove_words %d must not be negative", c.Vocab.GloVeWords)
	case c.Vocab.GloVeWords > 0 && c.GloVe == "":
		return fmt.Errorf("vocab.glove_words needs a glove file")
	case c.Model.FreezeGloVe && c.GloVe == "":
		return fmt.Errorf("model.freeze_glove needs a glove file")
	case c.Model.MaxLen < 3:
		return fmt.Errorf("model.max_len %d must be at least 3", c.Model.MaxLen)
	case t.Steps <= 0 || t.BatchSize <= 0:
		return fmt.Errorf("train.steps and train.batch_size must be positive")
	case t.LR <= 0:
		return fmt.Errorf("train.lr must be positive")
	case t.MaskProb <= 0 || t.MaskProb >= 1:
		return fmt.Errorf("train.mask_prob %g must be in (0,1)", t.MaskProb)
	case t.LogEvery <= 0:
		return fmt.Errorf("train.log_every must be positive")
	case t.CheckpointEvery < 0 || (t.CheckpointEvery > 0 && t.CheckpointEvery%t.LogEvery != 0):
		return fmt.Errorf("train.checkpoint_every %d must be a multiple of train.log_every %d (or 0: none)", t.CheckpointEvery, t.LogEvery)
	case t.HeldoutEvery == 1:
		return fmt.Errorf("train.heldout_every 1 would hold out everything")
	}
	return c.BERTConfig(100).Validate()
}

// BERTConfig is the HF BERT configuration of the model for a vocabulary of
// vocabSize tokens.
func (c Config) BERTConfig(vocabSize int) nn.Config {
	m := c.Model
	return nn.Config{
		VocabSize: vocabSize, HiddenSize: m.HiddenSize, NumHiddenLayers: m.Layers, NumAttentionHeads: m.Heads,
		IntermediateSize: m.IntermediateSize, HiddenAct: "gelu", HiddenDropoutProb: m.Dropout,
		AttentionProbsDropoutProb: m.Dropout, MaxPositionEmbeddings: m.MaxLen, TypeVocabSize: 2,
		LayerNormEps: 1e-12, InitializerRange: 0.02, PadTokenID: int(PadID), ModelType: "bert",
		NumLabels: 1, HeadInit: "bert",
	}
}
