package pretrain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/deni-project/deni/internal/atomicfile"
	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/nn"
)

// HFConfig is the config.json of the written folder: a transformers
// BertConfig for BertForMaskedLM (word embeddings and decoder tied unless
// the model was untied: then cls.predictions.decoder.weight is saved).
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
	TieWordEmbeddings         *bool    `json:"tie_word_embeddings"` // nil (absent): tied, as transformers' default
	TorchDtype                string   `json:"torch_dtype"`
	// GloVeInput (model.freeze_glove): fine-tuning may add GloVe words.
	GloVeInput *nn.GloVeInput `json:"glove_input,omitempty"`
}

func hfConfig(c nn.Config, tied bool) HFConfig {
	return HFConfig{
		Architectures: []string{"BertForMaskedLM"}, ModelType: "bert", VocabSize: c.VocabSize,
		HiddenSize: c.HiddenSize, NumHiddenLayers: c.NumHiddenLayers, NumAttentionHeads: c.NumAttentionHeads,
		IntermediateSize: c.IntermediateSize, HiddenAct: c.HiddenAct, HiddenDropoutProb: c.HiddenDropoutProb,
		AttentionProbsDropoutProb: c.AttentionProbsDropoutProb, MaxPositionEmbeddings: c.MaxPositionEmbeddings,
		TypeVocabSize: c.TypeVocabSize, InitializerRange: c.InitializerRange, LayerNormEps: c.LayerNormEps,
		PadTokenID: c.PadTokenID, PositionEmbeddingType: "absolute", TieWordEmbeddings: &tied, TorchDtype: "float32",
		GloVeInput: c.GloVeInput,
	}
}

// WriteFolder writes the Hugging Face model folder: model.safetensors
// (BertForMaskedLM names, metadata format pt), vocab.txt, tokenizer.json
// (the same tokenizer for the tokenizers library, so that transformers'
// AutoTokenizer loads a fast tokenizer; see TokenizerJSON),
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
	tj, err := TokenizerJSON(vocab)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, "tokenizer.json"), tj); err != nil {
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
	if err := checkpoint.SaveJSON(filepath.Join(dir, checkpoint.ConfigFile), hfConfig(m.Cfg, m.Decoder == nil)); err != nil {
		return err
	}
	// The atomic writers create 0600 files; a model folder is for sharing.
	for _, f := range []string{checkpoint.WeightsFile, "vocab.txt", "tokenizer.json", "tokenizer_config.json",
		"special_tokens_map.json", "log.csv", "pretrain.json", checkpoint.ConfigFile} {
		if err := os.Chmod(filepath.Join(dir, f), 0o644); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// The tokenizer.json of the folder mirrors, key for key and in the same
// order, the tokenizer.json of bert-base-uncased on the Hugging Face Hub:
// BertNormalizer (lower-case; strip_accents null, which follows lowercase),
// BertPreTokenizer, WordPiece with "##" and 100 characters a word at most,
// [CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1, the WordPiece decoder, and
// the five special tokens as added tokens. As in that file, the model has no
// "type" key (the tokenizers library recognises WordPiece by its fields).
type hfTokenizerJSON struct {
	Version       string          `json:"version"`
	Truncation    *struct{}       `json:"truncation"`
	Padding       *struct{}       `json:"padding"`
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Normalizer    hfNormalizer    `json:"normalizer"`
	PreTokenizer  hfType          `json:"pre_tokenizer"`
	PostProcessor hfTemplate      `json:"post_processor"`
	Decoder       hfDecoder       `json:"decoder"`
	Model         hfWordPieceJSON `json:"model"`
}

type hfAddedToken struct {
	ID         int32  `json:"id"`
	Special    bool   `json:"special"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
}

type hfNormalizer struct {
	Type               string `json:"type"`
	CleanText          bool   `json:"clean_text"`
	HandleChineseChars bool   `json:"handle_chinese_chars"`
	StripAccents       *bool  `json:"strip_accents"`
	Lowercase          bool   `json:"lowercase"`
}

type hfType struct {
	Type string `json:"type"`
}

type hfPiece struct {
	SpecialToken *hfPieceID `json:"SpecialToken,omitempty"`
	Sequence     *hfPieceID `json:"Sequence,omitempty"`
}

type hfPieceID struct {
	ID     string `json:"id"`
	TypeID int    `json:"type_id"`
}

type hfSpecial struct {
	ID     string   `json:"id"`
	IDs    []int32  `json:"ids"`
	Tokens []string `json:"tokens"`
}

type hfTemplate struct {
	Type          string               `json:"type"`
	Single        []hfPiece            `json:"single"`
	Pair          []hfPiece            `json:"pair"`
	SpecialTokens map[string]hfSpecial `json:"special_tokens"` // keys sorted: [CLS], [SEP]
}

type hfDecoder struct {
	Type    string `json:"type"`
	Prefix  string `json:"prefix"`
	Cleanup bool   `json:"cleanup"`
}

type hfWordPieceJSON struct {
	UnkToken                string       `json:"unk_token"`
	ContinuingSubwordPrefix string       `json:"continuing_subword_prefix"`
	MaxInputCharsPerWord    int          `json:"max_input_chars_per_word"`
	Vocab                   orderedVocab `json:"vocab"`
}

// orderedVocab marshals as a JSON object token → id in id order, as the
// tokenizers library writes a vocabulary.
type orderedVocab []string

func (v orderedVocab) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, tok := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(tok); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		fmt.Fprintf(&b, ":%d", i)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// TokenizerJSON is the Hugging Face tokenizer.json of a BERT uncased
// WordPiece vocabulary (one token per id, as vocab.txt): the pipeline that
// tokenizer.LoadWordPiece builds from vocab.txt, and transformers'
// BertTokenizerFast from vocab.txt with do_lower_case. The vocabulary must
// hold the five special tokens, and no token twice (a JSON object cannot).
func TokenizerJSON(vocab []string) ([]byte, error) {
	ids := make(map[string]int32, len(vocab))
	for i, tok := range vocab {
		if _, dup := ids[tok]; dup {
			return nil, fmt.Errorf("pretrain: token %q is twice in the vocabulary", tok)
		}
		if tok == "" || strings.ContainsAny(tok, "\r\n") {
			return nil, fmt.Errorf("pretrain: vocabulary token %d (%q) cannot be a vocab.txt line", i, tok)
		}
		ids[tok] = int32(i)
	}
	j := hfTokenizerJSON{
		Version:      "1.0",
		Normalizer:   hfNormalizer{Type: "BertNormalizer", CleanText: true, HandleChineseChars: true, Lowercase: true},
		PreTokenizer: hfType{Type: "BertPreTokenizer"},
		Decoder:      hfDecoder{Type: "WordPiece", Prefix: "##", Cleanup: true},
		Model: hfWordPieceJSON{UnkToken: "[UNK]", ContinuingSubwordPrefix: "##", MaxInputCharsPerWord: 100,
			Vocab: orderedVocab(vocab)},
	}
	for _, s := range Specials {
		id, ok := ids[s]
		if !ok {
			return nil, fmt.Errorf("pretrain: the vocabulary has no %s token", s)
		}
		j.AddedTokens = append(j.AddedTokens, hfAddedToken{ID: id, Special: true, Content: s})
	}
	slices.SortStableFunc(j.AddedTokens, func(a, b hfAddedToken) int { return int(a.ID - b.ID) })
	special := func(s string, typeID int) hfPiece { return hfPiece{SpecialToken: &hfPieceID{ID: s, TypeID: typeID}} }
	seq := func(s string, typeID int) hfPiece { return hfPiece{Sequence: &hfPieceID{ID: s, TypeID: typeID}} }
	j.PostProcessor = hfTemplate{
		Type:   "TemplateProcessing",
		Single: []hfPiece{special("[CLS]", 0), seq("A", 0), special("[SEP]", 0)},
		Pair:   []hfPiece{special("[CLS]", 0), seq("A", 0), special("[SEP]", 0), seq("B", 1), special("[SEP]", 1)},
		SpecialTokens: map[string]hfSpecial{
			"[CLS]": {ID: "[CLS]", IDs: []int32{ids["[CLS]"]}, Tokens: []string{"[CLS]"}},
			"[SEP]": {ID: "[SEP]", IDs: []int32{ids["[SEP]"]}, Tokens: []string{"[SEP]"}},
		},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(j); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
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
	if hc.TieWordEmbeddings != nil && !*hc.TieWordEmbeddings {
		m.Untie()
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
