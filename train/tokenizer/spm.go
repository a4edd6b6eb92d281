package tokenizer

import (
	"encoding/binary"
	"fmt"
	"math"
)

// SentencePiece piece types (ModelProto.SentencePiece.Type).
const (
	PieceNormal      = 1
	PieceUnknown     = 2
	PieceControl     = 3
	PieceUserDefined = 4
	PieceUnused      = 5
	PieceByte        = 6
)

// SPModel is the part of a SentencePiece ModelProto (a .model file) that
// tokenisation needs, parsed from the protobuf wire format by hand.
type SPModel struct {
	Pieces []string
	Scores []float32
	Types  []int32

	ModelType     int32 // 1 unigram, 2 BPE, 3 word, 4 char
	UnkID         int32
	ByteFallback  bool
	NormalizerRec string // normalizer_spec.name, e.g. "nmt_nfkc"
	Charsmap      []byte // normalizer_spec.precompiled_charsmap
	// AddDummyPrefix adds "▁" in front of the text; RemoveExtraWhitespaces
	// strips it and collapses runs of spaces (both default true).
	AddDummyPrefix, RemoveExtraWhitespaces, EscapeWhitespaces bool
}

// ParseSPModel decodes a SentencePiece ModelProto.
func ParseSPModel(b []byte) (*SPModel, error) {
	m := &SPModel{ModelType: 1, UnkID: 0, AddDummyPrefix: true, RemoveExtraWhitespaces: true, EscapeWhitespaces: true}
	err := protoFields(b, func(f int, wt int, v uint64, data []byte) error {
		switch f {
		case 1: // pieces
			if wt != 2 {
				return fmt.Errorf("piece has wire type %d", wt)
			}
			piece, score, typ := "", float32(0), int32(PieceNormal)
			err := protoFields(data, func(f, wt int, v uint64, data []byte) error {
				switch {
				case f == 1 && wt == 2:
					piece = string(data)
				case f == 2 && wt == 5:
					score = math.Float32frombits(uint32(v))
				case f == 3 && wt == 0:
					typ = int32(v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			m.Pieces = append(m.Pieces, piece)
			m.Scores = append(m.Scores, score)
			m.Types = append(m.Types, typ)
		case 2: // trainer_spec
			return protoFields(data, func(f, wt int, v uint64, _ []byte) error {
				switch {
				case f == 3 && wt == 0:
					m.ModelType = int32(v)
				case f == 40 && wt == 0:
					m.UnkID = int32(v)
				case f == 35 && wt == 0:
					m.ByteFallback = v != 0
				}
				return nil
			})
		case 3: // normalizer_spec
			return protoFields(data, func(f, wt int, v uint64, data []byte) error {
				switch {
				case f == 1 && wt == 2:
					m.NormalizerRec = string(data)
				case f == 2 && wt == 2:
					m.Charsmap = append([]byte(nil), data...)
				case f == 3 && wt == 0:
					m.AddDummyPrefix = v != 0
				case f == 4 && wt == 0:
					m.RemoveExtraWhitespaces = v != 0
				case f == 5 && wt == 0:
					m.EscapeWhitespaces = v != 0
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tokenizer: sentencepiece model: %w", err)
	}
	if len(m.Pieces) == 0 {
		return nil, fmt.Errorf("tokenizer: sentencepiece model has no pieces (not a .model file?)")
	}
	for i, t := range m.Types {
		if t == PieceUnknown {
			m.UnkID = int32(i)
		}
	}
	return m, nil
}

// protoFields calls fn for every field of a protobuf message: varints and
// fixed-size values in v, length-delimited bytes in data.
func protoFields(b []byte, fn func(field, wireType int, v uint64, data []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("bad field key")
		}
		b = b[n:]
		f, wt := int(key>>3), int(key&7)
		var v uint64
		var data []byte
		switch wt {
		case 0:
			v, n = binary.Uvarint(b)
			if n <= 0 {
				return fmt.Errorf("bad varint in field %d", f)
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return fmt.Errorf("truncated field %d", f)
			}
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return fmt.Errorf("truncated field %d", f)
			}
			data, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return fmt.Errorf("truncated field %d", f)
			}
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return fmt.Errorf("unsupported wire type %d in field %d", wt, f)
		}
		if err := fn(f, wt, v, data); err != nil {
			return err
		}
	}
	return nil
}
