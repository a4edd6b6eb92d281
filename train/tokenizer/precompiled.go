package tokenizer

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// precompiled is SentencePiece's precompiled character map (the
// normalizer_spec.precompiled_charsmap of a .model file, e.g. nmt_nfkc:
// NFKC plus SentencePiece's whitespace and control-character rules). The
// blob is a uint32 trie size, a darts-clone double-array trie over UTF-8
// byte strings, then NUL-terminated replacement strings that the trie's
// values point into.
//
// It is applied as Hugging Face's Precompiled normalizer does: per extended
// grapheme cluster, the replacement of the cluster's shortest trie prefix
// replaces a whole cluster shorter than 6 bytes; otherwise each character
// is looked up alone and kept when it has no entry.
type precompiled struct {
	units  []uint32
	strs   []byte
	source []byte
}

func newPrecompiled(blob []byte) (*precompiled, error) {
	if len(blob) < 4 {
		return nil, fmt.Errorf("tokenizer: precompiled charsmap of %d bytes", len(blob))
	}
	n := int(binary.LittleEndian.Uint32(blob))
	if n%4 != 0 || 4+n > len(blob) {
		return nil, fmt.Errorf("tokenizer: precompiled charsmap: bad trie size %d of %d bytes", n, len(blob))
	}
	p := &precompiled{units: make([]uint32, n/4), strs: blob[4+n:], source: blob}
	for i := range p.units {
		p.units[i] = binary.LittleEndian.Uint32(blob[4+4*i:])
	}
	if len(p.units) == 0 {
		return nil, fmt.Errorf("tokenizer: precompiled charsmap has an empty trie")
	}
	return p, nil
}

// darts-clone unit layout.
func unitOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }
func unitLabel(u uint32) uint32  { return u & (1<<31 | 0xff) }
func unitHasLeaf(u uint32) bool  { return (u>>8)&1 == 1 }
func unitValue(u uint32) uint32  { return u & (1<<31 - 1) }

// transform returns the replacement of the shortest key that prefixes
// chunk, if any.
func (p *precompiled) transform(chunk string) (string, bool) {
	pos := unitOffset(p.units[0])
	for i := 0; i < len(chunk); i++ {
		c := chunk[i]
		if c == 0 {
			break
		}
		pos ^= uint32(c)
		if int(pos) >= len(p.units) {
			return "", false
		}
		u := p.units[pos]
		if unitLabel(u) != uint32(c) {
			return "", false
		}
		pos ^= unitOffset(u)
		if unitHasLeaf(u) {
			if int(pos) >= len(p.units) {
				return "", false
			}
			v := int(unitValue(p.units[pos]))
			if v >= len(p.strs) {
				return "", false
			}
			end := v
			for end < len(p.strs) && p.strs[end] != 0 {
				end++
			}
			return string(p.strs[v:end]), true
		}
	}
	return "", false
}

func (p *precompiled) normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		n := graphemeLen(s)
		g := s[:n]
		s = s[n:]
		if len(g) < 6 {
			if r, ok := p.transform(g); ok {
				b.WriteString(r)
				continue
			}
		}
		for i, r := range g {
			part := g[i : i+utf8.RuneLen(r)]
			if r == utf8.RuneError {
				part = string(r)
			}
			if rep, ok := p.transform(part); ok {
				b.WriteString(rep)
			} else {
				b.WriteString(part)
			}
		}
	}
	return b.String()
}

// Grapheme cluster break properties (Unicode UAX #29), enough for the rules
// below.
const (
	gbOther = iota
	gbCR
	gbLF
	gbControl
	gbExtend
	gbZWJ
	gbRI
	gbPrepend
	gbSpacingMark
	gbL
	gbV
	gbT
	gbLV
	gbLVT
)

func gbProp(r rune) int {
	switch {
	case r == '\r':
		return gbCR
	case r == '\n':
		return gbLF
	case r == 0x200D:
		return gbZWJ
	case r == 0x200C, r >= 0x1F3FB && r <= 0x1F3FF, r >= 0xE0020 && r <= 0xE007F, r >= 0xFE00 && r <= 0xFE0F:
		return gbExtend
	case r >= 0x1F1E6 && r <= 0x1F1FF:
		return gbRI
	case r >= 0x1100 && r <= 0x115F, r >= 0xA960 && r <= 0xA97C:
		return gbL
	case r >= 0x1160 && r <= 0x11A7, r >= 0xD7B0 && r <= 0xD7C6:
		return gbV
	case r >= 0x11A8 && r <= 0x11FF, r >= 0xD7CB && r <= 0xD7FB:
		return gbT
	case r >= 0xAC00 && r <= 0xD7A3:
		if (r-0xAC00)%28 == 0 {
			return gbLV
		}
		return gbLVT
	case r == 0x0600, r == 0x0601, r == 0x0602, r == 0x0603, r == 0x0604, r == 0x0605, r == 0x06DD, r == 0x070F, r == 0x08E2, r == 0x110BD:
		return gbPrepend
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
		return gbExtend
	case unicode.Is(unicode.Mc, r):
		return gbSpacingMark
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp):
		return gbControl
	}
	return gbOther
}

// extPict approximates Extended_Pictographic (emoji) for rule GB11.
func extPict(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r >= 0x2300 && r <= 0x23FF ||
		r == 0x00A9 || r == 0x00AE || r >= 0x2190 && r <= 0x21FF || r >= 0x2B00 && r <= 0x2BFF || r == 0x203C || r == 0x2049
}

// graphemeLen returns the byte length of the first extended grapheme
// cluster of s (non-empty).
func graphemeLen(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	prev := gbProp(r)
	pict := extPict(r) // an emoji, possibly followed by Extend*, seen
	ri := 0
	if prev == gbRI {
		ri = 1
	}
	for n < len(s) {
		r2, sz := utf8.DecodeRuneInString(s[n:])
		cur := gbProp(r2)
		brk := true
		switch {
		case prev == gbCR && cur == gbLF:
			brk = false // GB3
		case prev == gbControl || prev == gbCR || prev == gbLF:
			brk = true // GB4
		case cur == gbControl || cur == gbCR || cur == gbLF:
			brk = true // GB5
		case prev == gbL && (cur == gbL || cur == gbV || cur == gbLV || cur == gbLVT):
			brk = false // GB6
		case (prev == gbLV || prev == gbV) && (cur == gbV || cur == gbT):
			brk = false // GB7
		case (prev == gbLVT || prev == gbT) && cur == gbT:
			brk = false // GB8
		case cur == gbExtend || cur == gbZWJ:
			brk = false // GB9
		case cur == gbSpacingMark:
			brk = false // GB9a
		case prev == gbPrepend:
			brk = false // GB9b
		case prev == gbZWJ && pict && extPict(r2):
			brk = false // GB11
		case prev == gbRI && cur == gbRI && ri%2 == 1:
			brk = false // GB12/13
		}
		if brk {
			break
		}
		if cur == gbRI {
			ri++
		}
		if extPict(r2) {
			pict = true
		} else if cur != gbExtend && cur != gbZWJ {
			pict = false
		}
		prev = cur
		n += sz
	}
	return n
}
