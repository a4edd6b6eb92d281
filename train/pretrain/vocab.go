package pretrain

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/deni-project/deni/train/text"
	"github.com/deni-project/deni/train/tokenizer"
)

// Specials are the special tokens of the vocabulary, at ids 0…4 in this
// order: [PAD] is id 0 (config.json pad_token_id 0, as bert-base-uncased).
var Specials = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}

// Special token ids.
const (
	PadID  int32 = 0
	UnkID  int32 = 1
	ClsID  int32 = 2
	SepID  int32 = 3
	MaskID int32 = 4
)

// VocabOptions configure TrainWordPiece.
type VocabOptions struct {
	Size         int // target vocabulary size, specials included
	MinFrequency int // a merge must occur at least this often (HF min_frequency)
}

// splitWords splits a text into the pre-tokenised words of bert-base-uncased's
// tokenizer (see tokenizer.BertUncasedWords), so that the vocabulary is
// trained on exactly what the tokenizer will see at fine-tuning.
func splitWords(s string, dst []string) []string { return tokenizer.BertUncasedWords(s, dst) }

// WordCounts counts the pre-tokenised words of every line of r.
func WordCounts(r io.Reader) (map[string]int, error) {
	counts := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	var words []string
	for sc.Scan() {
		words = splitWords(sc.Text(), words[:0])
		for _, w := range words {
			counts[w]++
		}
	}
	return counts, sc.Err()
}

// TrainWordPiece learns a WordPiece vocabulary from word counts with the
// algorithm of Hugging Face's WordPieceTrainer: byte-pair-encoding merges
// over characters, where a symbol that does not start a word carries the
// "##" continuation prefix; the most frequent adjacent pair is merged until
// the vocabulary has o.Size tokens or no pair occurs o.MinFrequency times.
// Ties are broken by the pair's strings, so the result does not depend on
// map order. The vocabulary is Specials, then the alphabet (characters
// sorted by frequency, then code point), then the merged symbols in merge
// order.
func TrainWordPiece(counts map[string]int, o VocabOptions) ([]string, error) {
	if o.Size <= len(Specials) {
		return nil, fmt.Errorf("pretrain: vocabulary size %d must exceed the %d special tokens", o.Size, len(Specials))
	}
	if len(counts) == 0 {
		return nil, fmt.Errorf("pretrain: no words to train a vocabulary on (empty corpus?)")
	}
	minFreq := max(o.MinFrequency, 1)
	t := splitIntoSymbols(counts)
	t.addAlphabet(o.Size)
	t.countPairs()
	for len(t.vocab) < o.Size && t.heap.Len() > 0 {
		top := heap.Pop(t.heap).(pairItem)
		p := symPair{top.a, top.b}
		if t.pairCount[p] != top.count || top.count == 0 {
			continue // stale entry
		}
		if top.count < minFreq {
			break
		}
		t.merge(p)
	}
	return t.vocab, nil
}

// symPair is two adjacent symbols (ids).
type symPair [2]int32

// wpWord is a word of the corpus as symbols, with its count.
type wpWord struct {
	syms  []int32
	count int
}

// wordPieceTrainer is the state of TrainWordPiece: the symbols, the words
// split into them, the counts of adjacent pairs in a heap, and the
// vocabulary so far.
type wordPieceTrainer struct {
	syms     []string // symbol id → string ("##" prefix inside a word)
	symID    map[string]int32
	symCount map[int32]int // occurrences of each initial symbol
	words    []wpWord      // sorted by word

	pairCount map[symPair]int
	where     map[symPair][]int // the words that held a pair when it was counted, ascending
	heap      *pairHeap         // may hold stale counts: pairCount is the truth
	changed   map[symPair]bool  // pairs whose count the current merge changed

	vocab   []string
	inVocab map[string]bool
}

// splitIntoSymbols splits every word of at most maxWordChars characters into
// its characters, all but the first with the "##" prefix.
func splitIntoSymbols(counts map[string]int) *wordPieceTrainer {
	wordList := make([]string, 0, len(counts))
	for w := range counts {
		if utf8.RuneCountInString(w) <= maxWordChars {
			wordList = append(wordList, w)
		}
	}
	slices.Sort(wordList)
	t := &wordPieceTrainer{symID: map[string]int32{}, symCount: map[int32]int{}, words: make([]wpWord, len(wordList))}
	for i, w := range wordList {
		c := counts[w]
		var ss []int32
		first := true
		for _, r := range w {
			s := string(r)
			if !first {
				s = "##" + s
			}
			first = false
			id := t.intern(s)
			ss = append(ss, id)
			t.symCount[id] += c
		}
		t.words[i] = wpWord{ss, c}
	}
	return t
}

// intern returns the id of symbol s, adding it when it is new.
func (t *wordPieceTrainer) intern(s string) int32 {
	if id, ok := t.symID[s]; ok {
		return id
	}
	id := int32(len(t.syms))
	t.syms = append(t.syms, s)
	t.symID[s] = id
	return id
}

// addAlphabet starts the vocabulary: Specials, then the initial symbols,
// most frequent first, as far as size allows.
func (t *wordPieceTrainer) addAlphabet(size int) {
	alpha := make([]int32, 0, len(t.syms))
	for id := range t.syms {
		alpha = append(alpha, int32(id))
	}
	slices.SortFunc(alpha, func(a, b int32) int {
		if t.symCount[a] != t.symCount[b] {
			return t.symCount[b] - t.symCount[a]
		}
		return strings.Compare(t.syms[a], t.syms[b])
	})
	t.vocab = append([]string(nil), Specials...)
	t.inVocab = map[string]bool{}
	for _, s := range Specials {
		t.inVocab[s] = true
	}
	for _, id := range alpha {
		if len(t.vocab) >= size {
			break
		}
		t.addToVocab(t.syms[id])
	}
}

// addToVocab appends s to the vocabulary unless it is there already.
func (t *wordPieceTrainer) addToVocab(s string) {
	if !t.inVocab[s] {
		t.vocab = append(t.vocab, s)
		t.inVocab[s] = true
	}
}

// countPairs counts the adjacent pairs of every word, notes which words
// hold them, and heaps them.
func (t *wordPieceTrainer) countPairs() {
	t.pairCount = map[symPair]int{}
	t.where = map[symPair][]int{}
	t.changed = map[symPair]bool{}
	for i, w := range t.words {
		for j := 0; j+1 < len(w.syms); j++ {
			p := symPair{w.syms[j], w.syms[j+1]}
			t.pairCount[p] += w.count
			t.where[p] = append(t.where[p], i)
		}
	}
	t.heap = &pairHeap{syms: &t.syms}
	for p, c := range t.pairCount {
		t.heap.items = append(t.heap.items, pairItem{p[0], p[1], c})
	}
	heap.Init(t.heap)
}

// merge makes pair p one symbol: adds it to the vocabulary, replaces p by
// it in every word that holds p, and heaps the pairs whose counts changed.
func (t *wordPieceTrainer) merge(p symPair) {
	merged := t.syms[p[0]] + strings.TrimPrefix(t.syms[p[1]], "##")
	nid := t.intern(merged)
	t.addToVocab(merged)
	clear(t.changed)
	idx := t.where[p]
	delete(t.where, p)
	last := -1
	for _, wi := range idx {
		if wi == last {
			continue
		}
		last = wi
		t.mergeInWord(wi, p, nid)
	}
	t.heapChangedPairs()
}

// mergeInWord replaces every occurrence of p in word wi by symbol nid and
// moves the word's pair counts from its old pairs to its new ones.
func (t *wordPieceTrainer) mergeInWord(wi int, p symPair, nid int32) {
	w := &t.words[wi]
	if !slices.ContainsFunc(pairsOf(w.syms), func(q [2]int32) bool { return q == p }) {
		return
	}
	for j := 0; j+1 < len(w.syms); j++ {
		q := symPair{w.syms[j], w.syms[j+1]}
		t.pairCount[q] -= w.count
		t.changed[q] = true
	}
	out := w.syms[:0:0]
	for j := 0; j < len(w.syms); j++ {
		if j+1 < len(w.syms) && w.syms[j] == p[0] && w.syms[j+1] == p[1] {
			out = append(out, nid)
			j++
		} else {
			out = append(out, w.syms[j])
		}
	}
	w.syms = out
	for j := 0; j+1 < len(w.syms); j++ {
		q := symPair{w.syms[j], w.syms[j+1]}
		t.pairCount[q] += w.count
		t.changed[q] = true
		if q[0] == nid || q[1] == nid {
			t.where[q] = append(t.where[q], wi)
		}
	}
}

// heapChangedPairs pushes the new counts of the changed pairs, in id order,
// and forgets the pairs that no longer occur.
func (t *wordPieceTrainer) heapChangedPairs() {
	keys := make([]symPair, 0, len(t.changed))
	for q := range t.changed {
		keys = append(keys, q)
	}
	slices.SortFunc(keys, func(x, y symPair) int {
		if x[0] != y[0] {
			return int(x[0] - y[0])
		}
		return int(x[1] - y[1])
	})
	for _, q := range keys {
		if c := t.pairCount[q]; c > 0 {
			heap.Push(t.heap, pairItem{q[0], q[1], c})
		} else {
			delete(t.pairCount, q)
		}
	}
}

func pairsOf(s []int32) [][2]int32 {
	out := make([][2]int32, 0, len(s))
	for j := 0; j+1 < len(s); j++ {
		out = append(out, [2]int32{s[j], s[j+1]})
	}
	return out
}

// maxWordChars: longer words become [UNK] in BERT's WordPiece.
const maxWordChars = 100

type pairItem struct {
	a, b  int32
	count int
}

type pairHeap struct {
	items []pairItem
	syms  *[]string
}

func (h *pairHeap) Len() int { return len(h.items) }
func (h *pairHeap) Less(i, j int) bool {
	x, y := h.items[i], h.items[j]
	if x.count != y.count {
		return x.count > y.count
	}
	s := *h.syms
	if c := strings.Compare(s[x.a], s[y.a]); c != 0 {
		return c < 0
	}
	return s[x.b] < s[y.b]
}
func (h *pairHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *pairHeap) Push(x any)    { h.items = append(h.items, x.(pairItem)) }
func (h *pairHeap) Pop() any {
	n := len(h.items) - 1
	it := h.items[n]
	h.items = h.items[:n]
	return it
}

// GloVeWords returns, in file order, the words among the first n lines of
// the GloVe file at path (its n most frequent words) that BERT's uncased
// pre-tokenisation keeps as one word of at most maxWordChars characters.
func GloVeWords(path string, n int) ([]string, error) {
	line := 0
	var split []string
	e, err := text.LoadGloVe(path, func(w string) bool {
		line++
		if line > n || utf8.RuneCountInString(w) > maxWordChars {
			return false
		}
		split = splitWords(w, split[:0])
		return len(split) == 1 && split[0] == w
	})
	if err != nil {
		return nil, err
	}
	return e.Words, nil
}

// AddWholeWords appends to vocab, in order, the words it does not have yet.
func AddWholeWords(vocab, words []string) []string {
	have := make(map[string]bool, len(vocab)+len(words))
	for _, t := range vocab {
		have[t] = true
	}
	for _, w := range words {
		if !have[w] {
			vocab = append(vocab, w)
			have[w] = true
		}
	}
	return vocab
}

// WriteVocab writes vocab as a BERT vocab.txt (one token a line).
func WriteVocab(w io.Writer, vocab []string) error {
	bw := bufio.NewWriter(w)
	for _, t := range vocab {
		bw.WriteString(t)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
