package tokenizer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// LoadJSON reads a Hugging Face tokenizer.json file.
func LoadJSON(path string) (*Tokenizer, error) { return loadJSON(source{}, path) }

func loadJSON(src source, name string) (*Tokenizer, error) { return parseFile(src, name, ParseJSON) }

type jsonAdded struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type jsonTokenizer struct {
	AddedTokens   []jsonAdded     `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         json.RawMessage `json:"model"`
	Padding       *struct {
		PadID    int32  `json:"pad_id"`
		PadToken string `json:"pad_token"`
	} `json:"padding"`
}

// ParseJSON builds a tokenizer from the contents of a tokenizer.json file:
// models WordPiece, BPE and Unigram; the normalizers, pre-tokenizers and
// post-processors that BERT-, RoBERTa-, GPT-2- and SentencePiece-style
// files use. An unsupported component is an error, never silently skipped.
func ParseJSON(b []byte) (*Tokenizer, error) {
	var j jsonTokenizer
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t := &Tokenizer{unkID: -1}
	if err := t.parseModel(j.Model); err != nil {
		return nil, err
	}
	for _, a := range j.AddedTokens {
		if err := t.addAdded(addedToken{content: a.Content, id: a.ID, lstrip: a.LStrip, rstrip: a.RStrip,
			special: a.Special, singleWord: a.SingleWord, notNormalize: !a.Normalized}); err != nil {
			return nil, err
		}
	}
	var err error
	if t.norm, err = parseNormalizer(j.Normalizer); err != nil {
		return nil, err
	}
	if t.pre, err = parsePreTokenizer(j.PreTokenizer); err != nil {
		return nil, err
	}
	t.single = []templatePiece{{seq: 0}}
	t.pair = []templatePiece{{seq: 0}, {seq: 1, typeID: 1}}
	if err := t.parsePost(j.PostProcessor); err != nil {
		return nil, err
	}
	t.padID = 0
	if j.Padding != nil {
		t.padID = j.Padding.PadID
	} else {
		for _, tok := range []string{"[PAD]", "<pad>", "<PAD>"} {
			if id, ok := t.ids[tok]; ok {
				t.padID = id
				break
			}
		}
	}
	return t, nil
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

func (t *Tokenizer) parseModel(raw json.RawMessage) error {
	var m struct {
		Type             string          `json:"type"`
		UnkToken         *string         `json:"unk_token"`
		UnkID            *int32          `json:"unk_id"`
		ContinuingPrefix *string         `json:"continuing_subword_prefix"`
		EndOfWordSuffix  *string         `json:"end_of_word_suffix"`
		MaxInputChars    *int            `json:"max_input_chars_per_word"`
		Vocab            json.RawMessage `json:"vocab"`
		Merges           json.RawMessage `json:"merges"`
		FuseUnk          bool            `json:"fuse_unk"`
		ByteFallback     bool            `json:"byte_fallback"`
		IgnoreMerges     bool            `json:"ignore_merges"`
		Dropout          *float64        `json:"dropout"`
	}
	if isNull(raw) {
		return fmt.Errorf("tokenizer: no model")
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("tokenizer: model: %w", err)
	}
	if m.Type == "" { // old files omit it
		switch {
		case len(m.Merges) > 0:
			m.Type = "BPE"
		case bytes.HasPrefix(bytes.TrimSpace(m.Vocab), []byte("[")):
			m.Type = "Unigram"
		case m.MaxInputChars != nil:
			m.Type = "WordPiece"
		}
	}
	if m.ByteFallback {
		return fmt.Errorf("tokenizer: byte_fallback models are not supported")
	}
	switch m.Type {
	case "WordPiece":
		var ids map[string]int32
		if err := json.Unmarshal(m.Vocab, &ids); err != nil {
			return fmt.Errorf("tokenizer: WordPiece vocab: %w", err)
		}
		wp := &wordPiece{ids: ids, prefix: "##", maxWordChars: 100}
		if m.ContinuingPrefix != nil {
			wp.prefix = *m.ContinuingPrefix
		}
		if m.MaxInputChars != nil {
			wp.maxWordChars = *m.MaxInputChars
		}
		unk := "[UNK]"
		if m.UnkToken != nil {
			unk = *m.UnkToken
		}
		id, ok := ids[unk]
		if !ok {
			return fmt.Errorf("tokenizer: WordPiece unk token %q is not in the vocabulary", unk)
		}
		wp.unk, t.unkID = id, id
		t.Kind, t.model = "wordpiece", wp
		return t.setVocab(vocabFromMap(ids))
	case "BPE":
		if m.Dropout != nil && *m.Dropout > 0 {
			return fmt.Errorf("tokenizer: BPE dropout is not supported")
		}
		var ids map[string]int32
		if err := json.Unmarshal(m.Vocab, &ids); err != nil {
			return fmt.Errorf("tokenizer: BPE vocab: %w", err)
		}
		pairs, err := parseMerges(m.Merges)
		if err != nil {
			return err
		}
		b := &bpe{ids: ids, unk: -1, fuse: m.FuseUnk, ignore: m.IgnoreMerges}
		if m.ContinuingPrefix != nil {
			b.prefix = *m.ContinuingPrefix
		}
		if m.EndOfWordSuffix != nil {
			b.suffix = *m.EndOfWordSuffix
		}
		if m.UnkToken != nil {
			id, ok := ids[*m.UnkToken]
			if !ok {
				return fmt.Errorf("tokenizer: BPE unk token %q is not in the vocabulary", *m.UnkToken)
			}
			b.unk, t.unkID = id, id
		}
		if b.merges, err = mergeTable(ids, pairs, b.prefix); err != nil {
			return err
		}
		t.Kind, t.model = "bpe", b
		return t.setVocab(vocabFromMap(ids))
	case "Unigram":
		var vocab [][2]json.RawMessage
		if err := json.Unmarshal(m.Vocab, &vocab); err != nil {
			return fmt.Errorf("tokenizer: Unigram vocab: %w", err)
		}
		pieces := make([]string, len(vocab))
		scores := make([]float64, len(vocab))
		for i, e := range vocab {
			if err := json.Unmarshal(e[0], &pieces[i]); err != nil {
				return fmt.Errorf("tokenizer: Unigram piece %d: %w", i, err)
			}
			if err := json.Unmarshal(e[1], &scores[i]); err != nil {
				return fmt.Errorf("tokenizer: Unigram score %d: %w", i, err)
			}
		}
		if m.UnkID == nil || *m.UnkID < 0 || int(*m.UnkID) >= len(pieces) {
			return fmt.Errorf("tokenizer: Unigram model needs an unk_id inside the vocabulary")
		}
		t.Kind, t.model, t.unkID = "unigram", newUnigram(pieces, scores, *m.UnkID), *m.UnkID
		return t.setVocab(pieces)
	}
	return fmt.Errorf("tokenizer: unsupported model type %q", m.Type)
}

// parseMerges reads merges as "a b" strings or ["a", "b"] arrays.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		out := make([][2]string, 0, len(strs))
		for i, s := range strs {
			a, b, ok := strings.Cut(s, " ")
			if !ok {
				return nil, fmt.Errorf("tokenizer: merge %d (%q) is not two tokens", i, s)
			}
			out = append(out, [2]string{a, b})
		}
		return out, nil
	}
	var arrs [][2]string
	if err := json.Unmarshal(raw, &arrs); err != nil {
		return nil, fmt.Errorf("tokenizer: BPE merges: %w", err)
	}
	return arrs, nil
}

// mergeTable maps each mergeable id pair to its rank and result.
func mergeTable(ids map[string]int32, pairs [][2]string, prefix string) (map[[2]int32]merge, error) {
	out := make(map[[2]int32]merge, len(pairs))
	for rank, p := range pairs {
		a, ok1 := ids[p[0]]
		b, ok2 := ids[p[1]]
		second := p[1]
		if prefix != "" {
			second = strings.TrimPrefix(second, prefix)
		}
		id, ok3 := ids[p[0]+second]
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("tokenizer: merge %d (%q %q) uses a token outside the vocabulary", rank, p[0], p[1])
		}
		k := [2]int32{a, b}
		if _, dup := out[k]; !dup {
			out[k] = merge{rank: int32(rank), id: id}
		}
	}
	return out, nil
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var n struct {
		Type          string            `json:"type"`
		Normalizers   []json.RawMessage `json:"normalizers"`
		CleanText     *bool             `json:"clean_text"`
		Chinese       *bool             `json:"handle_chinese_chars"`
		StripAccents  *bool             `json:"strip_accents"`
		Lowercase     *bool             `json:"lowercase"`
		StripLeft     bool              `json:"strip_left"`
		StripRight    bool              `json:"strip_right"`
		Pattern       map[string]string `json:"pattern"`
		Content       string            `json:"content"`
		Charsmap      string            `json:"precompiled_charsmap"`
		PrependString string            `json:"prepend"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("tokenizer: normalizer: %w", err)
	}
	or := func(p *bool, d bool) bool {
		if p == nil {
			return d
		}
		return *p
	}
	switch n.Type {
	case "Sequence":
		seq, err := parseSequence(n.Normalizers, parseNormalizer)
		return seqNormalizer(seq), err
	case "BertNormalizer":
		lc := or(n.Lowercase, true)
		return bertNormalizer{cleanText: or(n.CleanText, true), chinese: or(n.Chinese, true),
			stripAccents: or(n.StripAccents, lc), lowercase: lc}, nil
	case "NFC":
		return unicodeNorm{norm.NFC}, nil
	case "NFD":
		return unicodeNorm{norm.NFD}, nil
	case "NFKC":
		return unicodeNorm{norm.NFKC}, nil
	case "NFKD":
		return unicodeNorm{norm.NFKD}, nil
	case "Lowercase":
		return lowercase{}, nil
	case "StripAccents":
		return stripAccents{}, nil
	case "Strip":
		return strip{n.StripLeft, n.StripRight}, nil
	case "Prepend":
		return prepend{n.PrependString}, nil
	case "Replace":
		if s, ok := n.Pattern["String"]; ok {
			return replace{literal: s, content: n.Content}, nil
		}
		if s, ok := n.Pattern["Regex"]; ok {
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, fmt.Errorf("tokenizer: Replace pattern %q: %w", s, err)
			}
			return replace{re: re, content: n.Content}, nil
		}
		return nil, fmt.Errorf("tokenizer: Replace normalizer without a pattern")
	case "Precompiled":
		blob, err := base64.StdEncoding.DecodeString(n.Charsmap)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: precompiled_charsmap: %w", err)
		}
		if len(blob) == 0 {
			return nil, nil
		}
		return newPrecompiled(blob)
	}
	return nil, fmt.Errorf("tokenizer: unsupported normalizer %q", n.Type)
}

// parseSequence parses the steps of a Sequence normalizer or pre-tokenizer,
// leaving out the null ones (parse returns nil for them).
func parseSequence[T comparable](raws []json.RawMessage, parse func(json.RawMessage) (T, error)) ([]T, error) {
	var seq []T
	var none T
	for _, r := range raws {
		x, err := parse(r)
		if err != nil {
			return nil, err
		}
		if x != none {
			seq = append(seq, x)
		}
	}
	return seq, nil
}

func parsePreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var p struct {
		Type           string            `json:"type"`
		PreTokenizers  []json.RawMessage `json:"pretokenizers"`
		AddPrefixSpace *bool             `json:"add_prefix_space"`
		UseRegex       *bool             `json:"use_regex"`
		Replacement    string            `json:"replacement"`
		PrependScheme  string            `json:"prepend_scheme"`
		Split          *bool             `json:"split"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("tokenizer: pre_tokenizer: %w", err)
	}
	switch p.Type {
	case "Sequence":
		seq, err := parseSequence(p.PreTokenizers, parsePreTokenizer)
		return seqPreTokenizer(seq), err
	case "BertPreTokenizer":
		return bertPreTokenizer{}, nil
	case "Whitespace":
		return whitespacePre{}, nil
	case "WhitespaceSplit":
		return whitespaceSplit{}, nil
	case "ByteLevel":
		b := byteLevel{addPrefixSpace: true, useRegex: true}
		if p.AddPrefixSpace != nil {
			b.addPrefixSpace = *p.AddPrefixSpace
		}
		if p.UseRegex != nil {
			b.useRegex = *p.UseRegex
		}
		return b, nil
	case "Metaspace":
		m := metaspace{replacement: p.Replacement, prepend: p.PrependScheme, split_: true}
		if m.replacement == "" {
			m.replacement = "▁"
		}
		if m.prepend == "" { // older files: add_prefix_space
			m.prepend = "always"
			if p.AddPrefixSpace != nil && !*p.AddPrefixSpace {
				m.prepend = "never"
			}
		}
		if p.Split != nil {
			m.split_ = *p.Split
		}
		if m.prepend == "first" {
			return nil, fmt.Errorf("tokenizer: Metaspace prepend_scheme \"first\" is not supported")
		}
		return m, nil
	}
	return nil, fmt.Errorf("tokenizer: unsupported pre_tokenizer %q", p.Type)
}

func (t *Tokenizer) parsePost(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var p struct {
		Type       string            `json:"type"`
		Processors []json.RawMessage `json:"processors"`
		Sep        [2]json.RawMessage
		Cls        [2]json.RawMessage
		Single     []map[string]struct {
			ID     string `json:"id"`
			TypeID int32  `json:"type_id"`
		} `json:"single"`
		Pair []map[string]struct {
			ID     string `json:"id"`
			TypeID int32  `json:"type_id"`
		} `json:"pair"`
		SpecialTokens map[string]struct {
			IDs []int32 `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("tokenizer: post_processor: %w", err)
	}
	tokenOf := func(r [2]json.RawMessage) (string, error) {
		var s string
		if err := json.Unmarshal(r[0], &s); err != nil {
			return "", fmt.Errorf("tokenizer: post_processor %s: %w", p.Type, err)
		}
		return s, nil
	}
	switch p.Type {
	case "ByteLevel":
		return nil // offsets only
	case "Sequence":
		for _, r := range p.Processors {
			if err := t.parsePost(r); err != nil {
				return err
			}
		}
		return nil
	case "BertProcessing", "RobertaProcessing":
		cls, err := tokenOf(p.Cls)
		if err != nil {
			return err
		}
		sep, err := tokenOf(p.Sep)
		if err != nil {
			return err
		}
		if p.Type == "BertProcessing" {
			return t.bertTemplate(cls, sep)
		}
		return t.robertaTemplate(cls, sep)
	case "TemplateProcessing":
		conv := func(tpl []map[string]struct {
			ID     string `json:"id"`
			TypeID int32  `json:"type_id"`
		}) ([]templatePiece, error) {
			var out []templatePiece
			for _, e := range tpl {
				if s, ok := e["SpecialToken"]; ok {
					st, ok := p.SpecialTokens[s.ID]
					if !ok {
						return nil, fmt.Errorf("tokenizer: template special token %q is not defined", s.ID)
					}
					out = append(out, templatePiece{special: st.IDs, seq: -1, typeID: s.TypeID})
				} else if s, ok := e["Sequence"]; ok {
					seq := 0
					if s.ID == "B" {
						seq = 1
					}
					out = append(out, templatePiece{seq: seq, typeID: s.TypeID})
				}
			}
			return out, nil
		}
		var err error
		if t.single, err = conv(p.Single); err != nil {
			return err
		}
		t.pair, err = conv(p.Pair)
		return err
	}
	return fmt.Errorf("tokenizer: unsupported post_processor %q", p.Type)
}
