package tokenizer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Options are the settings of transformers' tokenizer_config.json that the
// classic (non-JSON) files need. Nil fields take the model family's
// defaults (BERT: lower-case, strip accents with lower-casing, split CJK;
// RoBERTa: no prefix space; ALBERT: lower-case, strip accents).
type Options struct {
	DoLowerCase          *bool `json:"do_lower_case"`
	StripAccents         *bool `json:"strip_accents"`
	KeepAccents          *bool `json:"keep_accents"`
	TokenizeChineseChars *bool `json:"tokenize_chinese_chars"`
	AddPrefixSpace       *bool `json:"add_prefix_space"`
}

func orDefault(p *bool, d bool) bool {
	if p == nil {
		return d
	}
	return *p
}

// ReadOptions reads tokenizer_config.json in dir; a missing file gives the
// defaults.
func ReadOptions(dir string) (Options, error) {
	var o Options
	b, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return o, nil
	}
	if err != nil {
		return o, fmt.Errorf("tokenizer: %w", err)
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o, fmt.Errorf("tokenizer: %s: %w", filepath.Join(dir, "tokenizer_config.json"), err)
	}
	return o, nil
}

// Files in a Hugging Face model folder that hold a tokenizer, in the order
// Load tries them.
var Files = []string{"tokenizer.json", "vocab.txt", "vocab.json", "merges.txt", "spiece.model"}

// Load reads the tokenizer of a model folder: tokenizer.json if present,
// else vocab.txt (WordPiece, BERT), vocab.json + merges.txt (byte-level BPE,
// RoBERTa) or spiece.model (SentencePiece Unigram, ALBERT), with the
// settings of tokenizer_config.json when the folder has one.
func Load(dir string) (*Tokenizer, error) {
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}
	switch {
	case exists("tokenizer.json"):
		return LoadJSON(filepath.Join(dir, "tokenizer.json"))
	}
	o, err := ReadOptions(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case exists("vocab.txt"):
		return LoadWordPiece(filepath.Join(dir, "vocab.txt"), o)
	case exists("vocab.json") && exists("merges.txt"):
		return LoadBPE(filepath.Join(dir, "vocab.json"), filepath.Join(dir, "merges.txt"), o)
	case exists("spiece.model"):
		return LoadSentencePiece(filepath.Join(dir, "spiece.model"), o)
	}
	return nil, fmt.Errorf("tokenizer: %s has no tokenizer.json, vocab.txt, vocab.json + merges.txt or spiece.model", dir)
}

// LoadWordPiece reads a BERT vocab.txt (one token per line, the line number
// is the id) and builds BertTokenizerFast's pipeline: BertNormalizer,
// BertPreTokenizer, WordPiece with "##", [CLS] … [SEP].
func LoadWordPiece(path string, o Options) (*Tokenizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	var tokens []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		tokens = append(tokens, strings.TrimRight(sc.Text(), "\r\n"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("tokenizer: %s is empty", path)
	}
	t := &Tokenizer{Kind: "wordpiece", unkID: -1}
	t.setVocab(tokens)
	unk, ok := t.ids["[UNK]"]
	if !ok {
		return nil, fmt.Errorf("tokenizer: %s has no [UNK] token", path)
	}
	t.unkID = unk
	t.model = &wordPiece{ids: t.ids, unk: unk, prefix: "##", maxWordChars: 100}
	lc := orDefault(o.DoLowerCase, true)
	t.norm = bertNormalizer{cleanText: true, chinese: orDefault(o.TokenizeChineseChars, true),
		stripAccents: orDefault(o.StripAccents, lc), lowercase: lc}
	t.pre = bertPreTokenizer{}
	for _, s := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		if id, ok := t.ids[s]; ok {
			t.addAdded(addedToken{content: s, id: id, special: true, notNormalize: true})
		}
	}
	if err := t.bertTemplate("[CLS]", "[SEP]"); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.padID = t.ids["[PAD]"]
	return t, nil
}

// LoadBPE reads a GPT-2/RoBERTa vocab.json and merges.txt and builds
// RobertaTokenizerFast's pipeline: ByteLevel pre-tokenizer (prefix space as
// add_prefix_space says, default off), byte-level BPE, <s> … </s> and
// <s> a </s></s> b </s> for pairs.
func LoadBPE(vocabPath, mergesPath string, o Options) (*Tokenizer, error) {
	vb, err := os.ReadFile(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var ids map[string]int32
	if err := json.Unmarshal(vb, &ids); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", vocabPath, err)
	}
	mb, err := os.ReadFile(mergesPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var pairs [][2]string
	for i, line := range strings.Split(string(mb), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || (i == 0 && strings.HasPrefix(line, "#version")) {
			continue
		}
		a, b, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("tokenizer: %s line %d: %q is not two tokens", mergesPath, i+1, line)
		}
		pairs = append(pairs, [2]string{a, b})
	}
	t := &Tokenizer{Kind: "bpe", unkID: -1}
	t.setVocab(vocabFromMap(ids))
	b := &bpe{ids: ids, unk: -1}
	if b.merges, err = mergeTable(ids, pairs, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", mergesPath, err)
	}
	t.model = b
	t.pre = byteLevel{addPrefixSpace: orDefault(o.AddPrefixSpace, false), useRegex: true}
	for _, s := range []string{"<s>", "<pad>", "</s>", "<unk>"} {
		if id, ok := ids[s]; ok {
			t.addAdded(addedToken{content: s, id: id, special: true, notNormalize: true})
		}
	}
	if id, ok := ids["<mask>"]; ok {
		t.addAdded(addedToken{content: "<mask>", id: id, special: true, lstrip: true, notNormalize: true})
	}
	if id, ok := ids["<unk>"]; ok {
		t.unkID = id
	}
	if err := t.robertaTemplate("<s>", "</s>"); err != nil {
		return nil, fmt.Errorf("%s: %w", vocabPath, err)
	}
	t.padID = ids["<pad>"]
	return t, nil
}

// LoadSentencePiece reads an ALBERT spiece.model (a SentencePiece Unigram
// ModelProto) and builds AlbertTokenizerFast's pipeline, as transformers'
// AlbertConverter does: Replace “ and ” by ", NFKD and StripAccents
// (unless keep_accents), Lowercase (do_lower_case), the model's precompiled
// charsmap (nmt_nfkc), runs of spaces collapsed; Metaspace (▁, prefixed);
// Unigram with pieces ending in digit + "," penalised by 100 (so that
// "1,000," splits as the slow tokenizer does); [CLS] … [SEP].
func LoadSentencePiece(path string, o Options) (*Tokenizer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	sp, err := ParseSPModel(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sp.ModelType != 1 {
		return nil, fmt.Errorf("tokenizer: %s: sentencepiece model type %d; only unigram (1) is supported", path, sp.ModelType)
	}
	if sp.ByteFallback {
		return nil, fmt.Errorf("tokenizer: %s: byte_fallback sentencepiece models are not supported", path)
	}
	scores := make([]float64, len(sp.Pieces))
	for i, p := range sp.Pieces {
		scores[i] = float64(sp.Scores[i])
		if !checkNumberComma(p) {
			scores[i] -= 100
		}
	}
	t := &Tokenizer{Kind: "unigram", unkID: sp.UnkID}
	t.setVocab(sp.Pieces)
	t.model = newUnigram(sp.Pieces, scores, sp.UnkID)
	seq := seqNormalizer{replace{literal: "``", content: `"`}, replace{literal: "''", content: `"`}}
	if !orDefault(o.KeepAccents, false) {
		seq = append(seq, unicodeNorm{norm.NFKD}, stripAccents{})
	}
	if orDefault(o.DoLowerCase, true) {
		seq = append(seq, lowercase{})
	}
	if len(sp.Charsmap) > 0 {
		pc, err := newPrecompiled(sp.Charsmap)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		seq = append(seq, pc)
	}
	seq = append(seq, replace{re: regexp.MustCompile(" {2,}"), content: " "})
	t.norm = seq
	t.pre = metaspace{replacement: "▁", prepend: "always", split_: true}
	for _, s := range []string{"<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"} {
		if id, ok := t.ids[s]; ok {
			t.addAdded(addedToken{content: s, id: id, special: true, notNormalize: true})
		}
	}
	if err := t.bertTemplate("[CLS]", "[SEP]"); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.padID = t.ids["<pad>"]
	return t, nil
}

// checkNumberComma is transformers' check_number_comma: false for a piece
// of two or more characters ending in a digit followed by ",".
func checkNumberComma(piece string) bool {
	rs := []rune(piece)
	n := len(rs)
	return n < 2 || rs[n-1] != ',' || !(rs[n-2] >= '0' && rs[n-2] <= '9')
}
