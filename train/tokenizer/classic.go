package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
func ReadOptions(dir string) (Options, error) { return readOptions(source{dir: dir}) }

func readOptions(src source) (Options, error) {
	var o Options
	b, err := src.read("tokenizer_config.json")
	if errors.Is(err, fs.ErrNotExist) {
		return o, nil
	}
	if err != nil {
		return o, fmt.Errorf("tokenizer: %w", err)
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o, fmt.Errorf("tokenizer: %s: %w", src.path("tokenizer_config.json"), err)
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
func Load(dir string) (*Tokenizer, error) { return load(source{dir: dir}) }

// LoadFS is Load for the folder dir of fsys (e.g. "." of an embedded
// model folder).
func LoadFS(fsys fs.FS, dir string) (*Tokenizer, error) { return load(source{fsys, dir}) }

func load(src source) (*Tokenizer, error) {
	if src.exists("tokenizer.json") {
		return loadJSON(src, "tokenizer.json")
	}
	o, err := readOptions(src)
	if err != nil {
		return nil, err
	}
	switch {
	case src.exists("vocab.txt"):
		return loadWordPiece(src, "vocab.txt", o)
	case src.exists("vocab.json") && src.exists("merges.txt"):
		return loadBPE(src, "vocab.json", "merges.txt", o)
	case src.exists("spiece.model"):
		return loadSentencePiece(src, "spiece.model", o)
	}
	dir := src.dir
	if src.fsys != nil && dir == "." {
		dir = "the folder" // "." says nothing; the caller names the fs.FS
	}
	return nil, fmt.Errorf("tokenizer: %s has no tokenizer.json, vocab.txt, vocab.json + merges.txt or spiece.model", dir)
}

// LoadWordPiece reads a BERT vocab.txt (one token per line, the line number
// is the id) and builds BertTokenizerFast's pipeline: BertNormalizer,
// BertPreTokenizer, WordPiece with "##", [CLS] … [SEP].
func LoadWordPiece(path string, o Options) (*Tokenizer, error) {
	return loadWordPiece(source{}, path, o)
}

func loadWordPiece(src source, name string, o Options) (*Tokenizer, error) {
	path := src.path(name)
	b, err := src.read(name)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var tokens []string
	sc := bufio.NewScanner(bytes.NewReader(b))
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
	t.addSpecial("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
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
	return loadBPE(source{}, vocabPath, mergesPath, o)
}

func loadBPE(src source, vocabName, mergesName string, o Options) (*Tokenizer, error) {
	vocabPath, mergesPath := src.path(vocabName), src.path(mergesName)
	vb, err := src.read(vocabName)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var ids map[string]int32
	if err := json.Unmarshal(vb, &ids); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", vocabPath, err)
	}
	mb, err := src.read(mergesName)
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
	t.addSpecial("<s>", "<pad>", "</s>", "<unk>")
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
	return loadSentencePiece(source{}, path, o)
}

func loadSentencePiece(src source, name string, o Options) (*Tokenizer, error) {
	sp, err := parseFile(src, name, ParseSPModel)
	if err != nil {
		return nil, err
	}
	path := src.path(name)
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
	t.addSpecial("<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]")
	if err := t.bertTemplate("[CLS]", "[SEP]"); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.padID = t.ids["<pad>"]
	return t, nil
}

// addSpecial adds those of tokens the vocabulary has as special tokens,
// matched before normalization.
func (t *Tokenizer) addSpecial(tokens ...string) {
	for _, s := range tokens {
		if id, ok := t.ids[s]; ok {
			t.addAdded(addedToken{content: s, id: id, special: true, notNormalize: true})
		}
	}
}

// checkNumberComma is transformers' check_number_comma: false for a piece
// of two or more characters ending in a digit followed by ",".
func checkNumberComma(piece string) bool {
	rs := []rune(piece)
	n := len(rs)
	return n < 2 || rs[n-1] != ',' || !(rs[n-2] >= '0' && rs[n-2] <= '9')
}
