package pretrain

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/deni-project/deni/pipeline/atomicfile"
	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/nn"
)

// HFConfig is the config.json of the written folder: a transformers
// BertConfig for BertForMaskedLM (word embeddings and decoder tied).
type HFConfig struct {
	Architectures             []string `json:"architectures"`
	ModelType                 string   `json:"model_type"`
	VocabSize                 int      `json:"vocab_size"`
	HiddenSize                int      `json:"hidden_size"`
	NumHiddenLayers           int      `json:"num_hidden_layers"`
	NumAttentionHeads         int      `json:"num_attention_heads"`
	IntermediateSize          int      `json:"intermediate_size"`
	HiddenAct                 string   `json:"hidden_act"`
	HiddenDropoutProb         float64  `json:"hidden_dropout_prob"`
	AttentionProbsDropoutProb float64  `json:"attention_probs_dropout_prob"`
	MaxPositionEmbeddings     int      `json:"max_position_embeddings"`
	TypeVocabSize             int      `json:"type_vocab_size"`
	InitializerRange          float64  `json:"initializer_range"`
	LayerNormEps              float64  `json:"layer_norm_eps"`
	PadTokenID                int      `json:"pad_token_id"`
	PositionEmbeddingType     string   `json:"position_embedding_type"`
	TieWordEmbeddings         bool     `json:"tie_word_embeddings"`
	TorchDtype                string   `json:"torch_dtype"`
}

func hfConfig(c nn.Config) HFConfig {
	return HFConfig{
		Architectures: []string{"BertForMaskedLM"}, ModelType: "bert", VocabSize: c.VocabSize,
		HiddenSize: c.HiddenSize, NumHiddenLayers: c.NumHiddenLayers, NumAttentionHeads: c.NumAttentionHeads,
		IntermediateSize: c.IntermediateSize, HiddenAct: c.HiddenAct, HiddenDropoutProb: c.HiddenDropoutProb,
		AttentionProbsDropoutProb: c.AttentionProbsDropoutProb, MaxPositionEmbeddings: c.MaxPositionEmbeddings,
		TypeVocabSize: c.TypeVocabSize, InitializerRange: c.InitializerRange, LayerNormEps: c.LayerNormEps,
		PadTokenID: c.PadTokenID, PositionEmbeddingType: "absolute", TieWordEmbeddings: true, TorchDtype: "float32",
	}
}

// WriteFolder writes the Hugging Face model folder: model.safetensors
// (BertForMaskedLM names, metadata format pt), vocab.txt,
// tokenizer_config.json, special_tokens_map.json, log.csv, pretrain.json
// (the run summary and held-out evaluation) and, last, config.json, whose
// presence marks the folder complete.
func WriteFolder(dir string, m *Model, vocab []string, rows []LogRow, res *Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := checkpoint.Save(filepath.Join(dir, checkpoint.WeightsFile), m.HFParams(), map[string]string{"format": "pt"}); err != nil {
		return err
	}
	sha, err := fileSHA(filepath.Join(dir, checkpoint.WeightsFile))
	if err != nil {
		return err
	}
	if res != nil {
		res.WeightsSHA = sha
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(vocab, "\n")+"\n")); err != nil {
		return err
	}
	tc := map[string]any{
		"tokenizer_class": "BertTokenizer", "do_lower_case": true, "strip_accents": nil,
		"tokenize_chinese_chars": true, "model_max_length": m.Cfg.MaxPositionEmbeddings,
		"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]",
	}
	if err := checkpoint.SaveJSON(filepath.Join(dir, "tokenizer_config.json"), tc); err != nil {
		return err
	}
	sm := map[string]string{"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}
	if err := checkpoint.SaveJSON(filepath.Join(dir, "special_tokens_map.json"), sm); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("step,loss,masked_acc,lr,grad_norm\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%d,%s,%s,%s,%s\n", r.Step, ff(r.Loss), ff(r.MaskedAcc), ff(r.LR), ff(r.GradNorm))
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, "log.csv"), []byte(b.String())); err != nil {
		return err
	}
	if res != nil {
		if err := checkpoint.SaveJSON(filepath.Join(dir, "pretrain.json"), res); err != nil {
			return err
		}
	}
	if err := checkpoint.SaveJSON(filepath.Join(dir, checkpoint.ConfigFile), hfConfig(m.Cfg)); err != nil {
		return err
	}
	// The atomic writers create 0600 files; a model folder is for sharing.
	for _, f := range []string{checkpoint.WeightsFile, "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
		"log.csv", "pretrain.json", checkpoint.ConfigFile} {
		if err := os.Chmod(filepath.Join(dir, f), 0o644); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

func ff(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }

// OpenModel loads a folder written by WriteFolder (or any BERT folder whose
// model.safetensors holds the BertForMaskedLM tensors) as a Model, with its
// vocabulary.
func OpenModel(dir string) (*Model, []string, error) {
	b, err := os.ReadFile(filepath.Join(dir, checkpoint.ConfigFile))
	if err != nil {
		return nil, nil, err
	}
	var hc HFConfig
	if err := json.Unmarshal(b, &hc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, checkpoint.ConfigFile), err)
	}
	cfg := nn.Config{VocabSize: hc.VocabSize, HiddenSize: hc.HiddenSize, NumHiddenLayers: hc.NumHiddenLayers,
		NumAttentionHeads: hc.NumAttentionHeads, IntermediateSize: hc.IntermediateSize, HiddenAct: hc.HiddenAct,
		HiddenDropoutProb: hc.HiddenDropoutProb, AttentionProbsDropoutProb: hc.AttentionProbsDropoutProb,
		MaxPositionEmbeddings: hc.MaxPositionEmbeddings, TypeVocabSize: hc.TypeVocabSize, LayerNormEps: hc.LayerNormEps,
		InitializerRange: hc.InitializerRange, PadTokenID: hc.PadTokenID, ModelType: "bert", NumLabels: 1}
	m, err := NewModel(cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	ts, _, err := checkpoint.Load(filepath.Join(dir, checkpoint.WeightsFile))
	if err != nil {
		return nil, nil, err
	}
	if err := m.Assign(ts); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	vb, err := os.ReadFile(filepath.Join(dir, "vocab.txt"))
	if err != nil {
		return nil, nil, err
	}
	return m, strings.Split(strings.TrimSuffix(string(vb), "\n"), "\n"), nil
}
