package models

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestEncodeLines(t *testing.T) {
	dir := writeTinyFolder(t, "bert")
	f, err := OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := "What is the capital of France?\nwho wrote hamlet\thow many feet\n\n"
	var out bytes.Buffer
	if err := f.EncodeLines(strings.NewReader(in), &out, EncodeOptions{MaxLen: 12, JSON: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d output lines for 3 input lines:\n%s", len(lines), out.String())
	}
	var recs []EncodeRecord
	for _, l := range lines {
		var r EncodeRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if got := recs[1].IDs; len(got) != 9 || got[0] != 2 || got[4] != 3 || got[8] != 3 { // [CLS] who wrote hamlet [SEP] how many feet [SEP]
		t.Fatalf("pair ids %v", got)
	}
	if len(recs[0].Pooled) != 16 || len(recs[0].Mask) != len(recs[0].IDs) || len(recs[2].IDs) != 2 {
		t.Fatalf("records %+v", recs)
	}
	// Padding to max-len changes ids and mask but not the pooled output.
	var padded bytes.Buffer
	if err := f.EncodeLines(strings.NewReader(in), &padded, EncodeOptions{MaxLen: 12, JSON: true, Pad: true}); err != nil {
		t.Fatal(err)
	}
	var p EncodeRecord
	json.Unmarshal([]byte(strings.SplitN(padded.String(), "\n", 2)[0]), &p)
	if len(p.IDs) != 12 || p.Mask[11] != 0 || p.IDs[11] != 0 {
		t.Fatalf("padded %+v", p)
	}
	for i, v := range p.Pooled {
		if d := v - recs[0].Pooled[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("padding changed pooled[%d]: %v vs %v", i, v, recs[0].Pooled[i])
		}
	}
	// Bad input: no partial output.
	var bad bytes.Buffer
	err = f.EncodeLines(strings.NewReader("ok\na\tb\tc\n"), &bad, EncodeOptions{MaxLen: 12, JSON: true})
	if err == nil || !strings.Contains(err.Error(), "line 2") || bad.Len() != 0 {
		t.Fatalf("three fields: %v, output %q", err, bad.String())
	}
	if err := f.EncodeLines(strings.NewReader("x"), &bad, EncodeOptions{MaxLen: 100}); err == nil {
		t.Fatal("max-len beyond the positions accepted")
	}
	var text bytes.Buffer
	if err := f.EncodeLines(strings.NewReader("who wrote hamlet"), &text, EncodeOptions{MaxLen: 12}); err != nil || !strings.Contains(text.String(), "[CLS] who wrote hamlet [SEP]") {
		t.Fatalf("text output %q (%v)", text.String(), err)
	}
}

// TestEncodeLinesGloVeWords: deni-bert-mini (glove_input) takes the input's
// GloVe words as whole tokens, as fine-tuning does with a dataset's words.
func TestEncodeLinesGloVeWords(t *testing.T) {
	f, err := OpenModelFolder(DeniBertMini)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := f.EncodeLines(strings.NewReader("When did Mussolini invade Ethiopia ?\n"), &out, EncodeOptions{MaxLen: 32}); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.HasPrefix(s, "# ") || strings.HasPrefix(s, "# 0 ") || !strings.Contains(s, " mussolini ") {
		t.Fatalf("output %q", s)
	}
	var js bytes.Buffer
	if err := f.EncodeLines(strings.NewReader("Mussolini\n"), &js, EncodeOptions{MaxLen: 32, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var r EncodeRecord
	if err := json.Unmarshal(js.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.IDs) != 3 || r.IDs[1] < int32(f.Config.VocabSize) {
		t.Fatalf("Mussolini -> %v (vocabulary %d)", r.IDs, f.Config.VocabSize)
	}
}
