package corpus

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSentences(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Call me Ishmael. Some years ago, I sailed.", []string{"Call me Ishmael.", "Some years ago, I sailed."}},
		{"Mr. Smith went to Washington. He spoke!  \"Yes,\" she said? No.", []string{"Mr. Smith went to Washington.", "He spoke!", "\"Yes,\" she said?", "No."}},
		{"The U.S. Congress met on March 1. 1848 was a year.", []string{"The U.S. Congress met on March 1.", "1848 was a year."}},
		{"J. Q. Adams spoke. it continued.", []string{"J. Q. Adams spoke. it continued."}},
		{"He said \"stop.\" Then he left.", []string{"He said \"stop.\"", "Then he left."}},
	} {
		if got := Sentences(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Sentences(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestKeyAssemble(t *testing.T) {
	if k := Key("  It's a GREAT film!! "); k != "it s a great film" {
		t.Errorf("key %q", k)
	}
	eval := EvalKeys([]string{"It's a great film! The acting is superb and moving."}, 4)
	in := []string{"it's a great film", "Too short.", "The acting is superb and moving.", "A new sentence here.", "A NEW sentence here!"}
	got, st := Assemble(in, eval, 3, 1000)
	if !slices.Equal(got, []string{"A new sentence here."}) || st.DroppedEval != 2 || st.DroppedDup != 1 || st.DroppedShort != 1 {
		t.Errorf("got %q stats %+v", got, st)
	}
	long := strings.Repeat("word ", 300)
	got, _ = Assemble([]string{long}, nil, 3, 100)
	if len(got[0]) > 100 || strings.HasSuffix(got[0], " ") {
		t.Errorf("cut %q", got[0])
	}
}

const wnFixture = `  1 This software and database is being provided to you, the LICENSEE, by
  2 Princeton University under the following license.
00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | that which is perceived or known or inferred to have its own distinct existence (living or nonliving)
00002137 03 n 02 abstraction 0 abstract_entity 0 010 | a general concept formed by extracting common features from specific examples; "the dog barked all night"; "a new one"
`

func TestWordNet(t *testing.T) {
	dir := t.TempDir()
	for _, f := range WordNetFiles {
		body := ""
		if f == "data.noun" {
			body = wnFixture
		}
		os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644)
	}
	got, src, err := WordNet(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"entity: that which is perceived or known or inferred to have its own distinct existence (living or nonliving).",
		"abstraction: a general concept formed by extracting common features from specific examples.",
		"The dog barked all night.", "A new one.",
	}
	if !slices.Equal(got, want) || src.Lines != 4 || len(src.Files) != 4 {
		t.Errorf("got %q (%+v)", got, src)
	}
	if _, _, err := WordNet(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "wordnet-base") {
		t.Errorf("missing WordNet: %v", err)
	}
}

func TestTarballTexts(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct{ name, body string }{
		{"package/data/chapter_10.json", `{"chapter":"10","text":"Ten."}`},
		{"package/data/chapter_2.json", `{"chapter":"2","text":"Two."}`},
		{"package/data/file_list.json", `["a"]`},
		{"package/README.md", `# x`},
	} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.body))
	}
	tw.Close()
	zw.Close()
	p := filepath.Join(t.TempDir(), "x.tgz")
	os.WriteFile(p, buf.Bytes(), 0o644)
	got, err := TarballTexts(p, mobyFile.MatchString)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"Two.", "Ten."}) {
		t.Errorf("got %q", got)
	}
}
