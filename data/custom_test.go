package data

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
)

func errorIs(err, target error) bool { return err != nil && errors.Is(err, target) }

func TestCustomDatasets(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	// The Parquet fixture is written by DuckDB from the CSV fixture.
	s, err := openDuck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(tmp, "reviews.parquet")
	_, err = s.Conn.ExecContext(ctx, "COPY (SELECT \"Review Body\" AS body, CAST(stars AS INTEGER) AS rating FROM read_csv("+
		sqlString(filepath.Join("testdata", "reviews.csv"))+", header=true)) TO "+sqlString(pq)+" (FORMAT parquet)")
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata")

	tests := []struct {
		c       Custom
		base    string
		classes []string
		texts   []string // the first texts
		labels  []string // their label names
		ids     []string
	}{
		{c: Custom{Name: "reviews", Files: []string{"reviews.csv"}, Format: "csv", Text: "Review Body", Label: "stars"}, base: "testdata",
			classes: []string{"1", "3", "5", "10"}, // numeric order
			texts:   []string{`Great, really "great" phone`, "Broke after\ntwo days", "Fine"},
			labels:  []string{"5", "1", "3"},
			ids:     []string{"reviews:reviews:0", "reviews:reviews:1", "reviews:reviews:2"}},
		{c: Custom{Name: "nli", Files: []string{filepath.Join(abs, "pairs.tsv")}, Format: "tsv", Text: "premise text", TextPair: "hypo", Label: "gold label"}, base: "/nonexistent",
			classes: []string{"maybe", "no", "yes"},
			texts:   []string{`Sentence 1: "A man" sleeps.; Sentence 2: Someone rests.`, `Sentence 1: The cat is black.; Sentence 2: The cat is "white.`},
			labels:  []string{"yes", "no"}},
		{c: Custom{Name: "intents", Files: []string{"intents.jsonl", "intents.jsonl"}, Format: "jsonl", Text: "utterance", Label: "intent"}, base: "testdata",
			classes: []string{"0", "1", "2"},
			texts:   []string{"play some jazz", "what is the weather", "book a table for two", `play "Yesterday"`},
			labels:  []string{"2", "0", "1", "2"},
			ids:     []string{"intents:intents:0", "intents:intents:1", "intents:intents:2", "intents:intents:3", "intents:intents:4", "intents:intents_2:0"}},
		{c: Custom{Name: "pq", Files: []string{"reviews.parquet"}, Text: "body", Label: "rating"}, base: tmp, // format from the extension
			classes: []string{"1", "3", "5", "10"},
			texts:   []string{`Great, really "great" phone`, "Broke after\ntwo days"},
			labels:  []string{"5", "1"}},
	}
	for _, tc := range tests {
		t.Run(tc.c.Name, func(t *testing.T) {
			d, err := LoadCustom(ctx, tc.c, tc.base)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Classes, tc.classes) {
				t.Errorf("classes %v, want %v", d.Classes, tc.classes)
			}
			for i, want := range tc.texts {
				if d.Texts[i] != want || d.Classes[d.Labels[i]] != tc.labels[i] {
					t.Errorf("row %d = %q/%s, want %q/%s", i, d.Texts[i], d.Classes[d.Labels[i]], want, tc.labels[i])
				}
			}
			for i, want := range tc.ids {
				if d.IDs[i] != want {
					t.Errorf("id %d = %s, want %s", i, d.IDs[i], want)
				}
			}
			if _, err := Prepare(d, seeds.Set{}, 4); err != nil {
				t.Errorf("split: %v", err)
			}
		})
	}
}

func TestCustomValidate(t *testing.T) {
	ok := Custom{Name: "x", Files: []string{"a.csv"}, Text: "t", Label: "l"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Custom{
		{Files: []string{"a.csv"}, Text: "t", Label: "l"},
		{Name: "trec", Files: []string{"a.csv"}, Text: "t", Label: "l"},
		{Name: "a:b", Files: []string{"a.csv"}, Text: "t", Label: "l"},
		{Name: "x", Text: "t", Label: "l"},
		{Name: "x", Files: []string{"a.txt"}, Text: "t", Label: "l"},
		{Name: "x", Files: []string{"*.csv"}, Text: "t", Label: "l"},
		{Name: "x", Files: []string{"a.csv"}, Format: "xlsx", Text: "t", Label: "l"},
		{Name: "x", Files: []string{"a.csv"}, Label: "l"},
		{Name: "x", Files: []string{"a.csv"}, Text: "t"},
		{Name: "x", Files: []string{"a.csv"}, Text: "t", Label: "t"},
	} {
		if err := c.Validate(); !errorIs(err, ErrBadSpec) {
			t.Errorf("%+v: %v, want ErrBadSpec", c, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	writeFile := func(t *testing.T, dir, rel, content string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// An rte folder with an unknown label on line 3.
	rteDir := t.TempDir()
	writeFile(t, rteDir, "rte/train.tsv", "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n1\tC.\tD.\tmaybe\n")
	writeFile(t, rteDir, "rte/dev.tsv", "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n")
	// A TREC folder with a malformed line 2 and a SNIPS folder with an empty utterance.
	trecDir := t.TempDir()
	writeFile(t, trecDir, "trec/train.txt", "DESC:manner How ?\nno tag here\n")
	writeFile(t, trecDir, "trec/test.txt", "NUM:dist How far ?")
	snipsDir := t.TempDir()
	for _, sp := range []string{"train", "valid", "test"} {
		writeFile(t, snipsDir, "snips/"+sp+".seq.in", "play jazz\n \nwill it rain\n")
		writeFile(t, snipsDir, "snips/"+sp+".label", "PlayMusic\nPlayMusic\nGetWeather\n")
	}
	shortDir := t.TempDir()
	for _, sp := range []string{"train", "valid", "test"} {
		writeFile(t, shortDir, "snips/"+sp+".seq.in", "play jazz\nwill it rain\n")
		writeFile(t, shortDir, "snips/"+sp+".label", "PlayMusic\n")
	}
	// An SST-2 file with an empty sentence on line 3, after a blank line 2.
	sstDir := t.TempDir()
	writeFile(t, sstDir, "sst2/alps_train.tsv", "sentence\tlabel\n\n \t1\ngood\t1\n")
	writeFile(t, sstDir, "sst2/alps_dev.tsv", "sentence\tlabel\nok\t1\n")
	writeFile(t, sstDir, "sst2/alps_test_is_glue_dev.tsv", "sentence\tlabel\nok\t1\n")

	tests := []struct {
		name string
		load func() error
		kind error
		want []string // substrings of the message
	}{
		{"missing registry file", func() error { _, err := Load(ctx, "sst2", t.TempDir()); return err },
			ErrMissingFile, []string{"sst2/alps_train.tsv", "missing file of dataset sst2", "sentence<TAB>label", DataDirEnv}},
		{"missing custom file", func() error {
			_, err := LoadCustom(ctx, Custom{Name: "c", Files: []string{"nope.csv"}, Text: "t", Label: "l"}, "testdata")
			return err
		}, ErrMissingFile, []string{filepath.Join("testdata", "nope.csv"), "relative paths are resolved against testdata"}},
		{"malformed tsv row", func() error {
			_, err := LoadCustom(ctx, Custom{Name: "c", Files: []string{"bad_row.tsv"}, Text: "text", Label: "label"}, "testdata")
			return err
		}, ErrMalformed, []string{filepath.Join("testdata", "bad_row.tsv") + ":4:", "expected 2 columns, found 3"}},
		{"malformed jsonl", func() error {
			_, err := LoadCustom(ctx, Custom{Name: "c", Files: []string{"bad.jsonl"}, Text: "text", Label: "label"}, "testdata")
			return err
		}, ErrMalformed, []string{filepath.Join("testdata", "bad.jsonl") + ":3:", "malformed JSON"}},
		{"malformed trec line", func() error { _, err := Load(ctx, "trec", trecDir); return err },
			ErrMalformed, []string{filepath.Join(trecDir, "trec", "train.txt") + ":2:", "COARSE:fine question"}},
		{"empty text csv", func() error {
			_, err := LoadCustom(ctx, Custom{Name: "c", Files: []string{"empty_text.csv"}, Text: "text", Label: "label"}, "testdata")
			return err
		}, ErrEmptyText, []string{filepath.Join("testdata", "empty_text.csv") + ":5:", `empty text (column "text")`}},
		{"empty text tsv", func() error { _, err := Load(ctx, "sst2", sstDir); return err },
			ErrEmptyText, []string{filepath.Join(sstDir, "sst2", "alps_train.tsv") + ":3:"}},
		{"empty text lines", func() error { _, err := Load(ctx, "snips", snipsDir); return err },
			ErrEmptyText, []string{filepath.Join(snipsDir, "snips", "train.seq.in") + ":2:"}},
		{"unparallel label file", func() error { _, err := Load(ctx, "snips", shortDir); return err },
			ErrMalformed, []string{"train.label", "has 1 lines but", "parallel"}},
		{"unknown label", func() error { _, err := Load(ctx, "rte", rteDir); return err },
			ErrUnknownLabel, []string{filepath.Join(rteDir, "rte", "train.tsv") + ":3:", `unknown label "maybe"`, `"entailment", "not_entailment"`}},
		{"missing column", func() error {
			_, err := LoadCustom(ctx, Custom{Name: "c", Files: []string{"reviews.csv"}, Text: "review", Label: "stars"}, "testdata")
			return err
		}, ErrBadSpec, []string{`no column "review"`, `"Review Body"`}},
		{"missing jsonl column", func() error {
			_, err := LoadCustom(ctx, Custom{Name: "c", Files: []string{"intents.jsonl"}, Text: "text", Label: "intent"}, "testdata")
			return err
		}, ErrBadSpec, []string{`no column "text"`, `"utterance"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.load()
			if !errorIs(err, tc.kind) {
				t.Fatalf("error %v, want kind %v", err, tc.kind)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
