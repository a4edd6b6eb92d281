// Package nn holds deni's layers and encoder classifiers, built from the
// coarse ops of package tensor.
package nn

import (
	"encoding/json"
	"fmt"
	"os"
)

// Config describes a BERT-style encoder classifier. The JSON names are those
// of a Hugging Face BERT config.json, so a checkpoint's config file loads
// directly; NumLabels, HeadDropout and HeadInit describe the paper's head.
type Config struct {
	VocabSize                 int     `json:"vocab_size"`
	HiddenSize                int     `json:"hidden_size"`
	NumHiddenLayers           int     `json:"num_hidden_layers"`
	NumAttentionHeads         int     `json:"num_attention_heads"`
	IntermediateSize          int     `json:"intermediate_size"`
	HiddenAct                 string  `json:"hidden_act"` // "gelu" (erf), "gelu_new"/"gelu_pytorch_tanh" (tanh), "relu"
	HiddenDropoutProb         float64 `json:"hidden_dropout_prob"`
	AttentionProbsDropoutProb float64 `json:"attention_probs_dropout_prob"`
	MaxPositionEmbeddings     int     `json:"max_position_embeddings"`
	TypeVocabSize             int     `json:"type_vocab_size"` // 0: no token-type embeddings
	LayerNormEps              float64 `json:"layer_norm_eps"`
	InitializerRange          float64 `json:"initializer_range"`
	PadTokenID                int     `json:"pad_token_id"` // its word embedding starts at 0 and gets no gradient; -1: none

	// ModelType is HF's model_type: "bert" (or ""), "roberta" or "albert".
	ModelType string `json:"model_type"`
	// ALBERT: the width of the factorised embeddings (mapped to
	// hidden_size by encoder.embedding_hidden_mapping_in), and the layer
	// groups shared across the num_hidden_layers applications.
	EmbeddingSize   int `json:"embedding_size"`
	NumHiddenGroups int `json:"num_hidden_groups"`
	InnerGroupNum   int `json:"inner_group_num"`

	NumLabels   int     `json:"num_labels"`   // classes of the head
	HeadDropout float64 `json:"head_dropout"` // dropout before the head; the paper uses 0.3
	// HeadInit is "torch" (PyTorch nn.Linear default, U(±1/√in) for weight
	// and bias, as the paper's code creates the head) or "bert" (normal
	// weight, zero bias, as the backbone).
	HeadInit string `json:"head_init"`

	// GloVeInput is set when the word embeddings read GloVe's space.
	GloVeInput *GloVeInput `json:"glove_input,omitempty"`
}

// GloVeInput is config.json's "glove_input", written by deni pretrain with
// model.freeze_glove: the whole-word rows of the word embeddings stayed at
// their GloVe vector × Scale in dims [0, Dims) throughout pre-training, so
// the encoder reads that space, and a word GloVe knows can join the
// vocabulary at fine-tuning with its vector as its row.
type GloVeInput struct {
	Dims  int     `json:"dims"`
	Scale float64 `json:"scale"`
}

// BertBaseUncased is the bert-base-uncased configuration with the paper's
// head (Dropout 0.3 → Linear) for numLabels classes.
func BertBaseUncased(numLabels int) Config {
	return Config{
		VocabSize: 30522, HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12,
		IntermediateSize: 3072, HiddenAct: "gelu", HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1,
		MaxPositionEmbeddings: 512, TypeVocabSize: 2, LayerNormEps: 1e-12, InitializerRange: 0.02,
		NumLabels: numLabels, HeadDropout: 0.3, HeadInit: "torch",
	}
}

// TinyConfig is a tiny encoder of family modelType ("" or "bert",
// "roberta", "albert") for tests: vocabulary 23, hidden 16, 2 heads, 2
// layers (ALBERT: one shared layer applied twice, embeddings of width 8),
// GELU, dropout on, initializer range 0.2 and the paper's head for 3 labels.
func TinyConfig(modelType string) Config {
	c := Config{
		VocabSize: 23, HiddenSize: 16, NumHiddenLayers: 2, NumAttentionHeads: 2, IntermediateSize: 24,
		HiddenAct: "gelu", HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1,
		MaxPositionEmbeddings: 16, TypeVocabSize: 2, LayerNormEps: 1e-12, InitializerRange: 0.2,
		PadTokenID: 0, NumLabels: 3, HeadDropout: 0.3, HeadInit: "torch", ModelType: modelType,
	}
	switch modelType {
	case "roberta":
		c.PadTokenID, c.TypeVocabSize, c.LayerNormEps = 1, 1, 1e-5
	case "albert":
		c.EmbeddingSize, c.NumHiddenGroups, c.InnerGroupNum, c.HiddenAct = 8, 1, 1, "gelu_new"
	}
	return c
}

// LoadConfig reads a Hugging Face config.json and sets the head fields.
// Fields absent from the file keep BERT's defaults; for ALBERT,
// embedding_size defaults to 128 and the group counts to 1.
func LoadConfig(path string, numLabels int, headDropout float64) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(data, numLabels, headDropout)
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig is LoadConfig for the contents of a config.json (e.g. one
// compiled into the binary).
func ParseConfig(data []byte, numLabels int, headDropout float64) (Config, error) {
	c := BertBaseUncased(numLabels)
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, fmt.Errorf("nn: %w", err)
	}
	c.NumLabels, c.HeadDropout = numLabels, headDropout
	if c.ModelType == "albert" {
		var a struct {
			EmbeddingSize   *int `json:"embedding_size"`
			NumHiddenGroups *int `json:"num_hidden_groups"`
			InnerGroupNum   *int `json:"inner_group_num"`
		}
		_ = json.Unmarshal(data, &a) // it parsed above
		if a.EmbeddingSize == nil {
			c.EmbeddingSize = 128
		}
		if a.NumHiddenGroups == nil {
			c.NumHiddenGroups = 1
		}
		if a.InnerGroupNum == nil {
			c.InnerGroupNum = 1
		}
	}
	return c, c.Validate()
}

// Activation is the activation function of the feed-forward block.
type Activation int

// The supported feed-forward activations.
const (
	GELU     Activation = iota // exact erf form
	GELUTanh                   // tanh approximation
	ReLU
)

// Activation maps HiddenAct to an Activation.
func (c Config) Activation() (Activation, error) {
	switch c.HiddenAct {
	case "gelu", "gelu_python":
		return GELU, nil
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
		return GELUTanh, nil
	case "relu":
		return ReLU, nil
	}
	return 0, fmt.Errorf("nn: unsupported hidden_act %q", c.HiddenAct)
}

// Validate reports the first inconsistency of c.
func (c Config) Validate() error {
	switch {
	case c.VocabSize <= 0, c.HiddenSize <= 0, c.NumHiddenLayers < 0, c.IntermediateSize <= 0,
		c.MaxPositionEmbeddings <= 0, c.TypeVocabSize < 0:
		return fmt.Errorf("nn: config sizes must be positive: %+v", c)
	case c.NumAttentionHeads <= 0 || c.HiddenSize%c.NumAttentionHeads != 0:
		return fmt.Errorf("nn: hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	case c.NumLabels < 1:
		return fmt.Errorf("nn: num_labels must be at least 1, got %d", c.NumLabels)
	case !prob(c.HiddenDropoutProb) || !prob(c.AttentionProbsDropoutProb) || !prob(c.HeadDropout):
		return fmt.Errorf("nn: dropout probabilities must be in [0,1)")
	case c.LayerNormEps <= 0:
		return fmt.Errorf("nn: layer_norm_eps must be positive")
	case c.InitializerRange < 0:
		return fmt.Errorf("nn: initializer_range must be non-negative")
	case c.PadTokenID >= c.VocabSize:
		return fmt.Errorf("nn: pad_token_id %d outside the vocabulary", c.PadTokenID)
	case c.HeadInit != "" && c.HeadInit != "torch" && c.HeadInit != "bert":
		return fmt.Errorf("nn: head_init must be \"torch\" or \"bert\", got %q", c.HeadInit)
	case c.ModelType != "" && c.ModelType != "bert" && c.ModelType != "roberta" && c.ModelType != "albert":
		return fmt.Errorf("nn: unsupported model_type %q (bert, roberta, albert)", c.ModelType)
	case c.ModelType == "roberta" && (c.PadTokenID < 0 || c.MaxPositionEmbeddings <= c.PadTokenID+1):
		return fmt.Errorf("nn: roberta needs a pad_token_id below max_position_embeddings - 1")
	case c.ModelType == "albert" && (c.EmbeddingSize <= 0 || c.NumHiddenGroups <= 0 || c.InnerGroupNum <= 0 ||
		c.NumHiddenLayers%c.NumHiddenGroups != 0):
		return fmt.Errorf("nn: albert needs positive embedding_size, num_hidden_groups and inner_group_num, with num_hidden_layers a multiple of num_hidden_groups")
	case c.GloVeInput != nil && (c.GloVeInput.Dims <= 0 || c.GloVeInput.Dims > c.HiddenSize || !(c.GloVeInput.Scale > 0) ||
		c.ModelType == "albert"):
		return fmt.Errorf("nn: glove_input needs dims in [1, hidden_size] and a positive scale (BERT and RoBERTa only)")
	}
	_, err := c.Activation()
	return err
}

// maxSeqLen is the longest sequence the position table serves (RoBERTa's
// positions start after pad_token_id).
func (c Config) maxSeqLen() int {
	if c.ModelType == "roberta" {
		return c.MaxPositionEmbeddings - c.PadTokenID - 1
	}
	return c.MaxPositionEmbeddings
}

func prob(p float64) bool { return p >= 0 && p < 1 }
