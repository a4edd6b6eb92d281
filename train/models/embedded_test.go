package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/peft"
)

// readFolder reads the files of a model folder on disk into memory, by name.
func readFolder(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// mapFolder copies the files of a model folder on disk into memory, as an
// embedded file system would hold them.
func mapFolder(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	for name, b := range readFolder(t, dir) {
		m[name] = &fstest.MapFile{Data: b, Mode: 0o444}
	}
	return m
}

// registerTest registers an embedded folder for one test and forgets it
// (embedded folders, Names, folder cache) afterwards, so that -count=N works.
func registerTest(t *testing.T, name string, fsys fs.FS) {
	t.Helper()
	RegisterEmbedded(name, fsys)
	t.Cleanup(func() {
		delete(embedded, name)
		Names = slices.DeleteFunc(Names, func(n string) bool { return n == name })
		folderMu.Lock()
		delete(folderCache, EmbeddedPrefix+name)
		folderMu.Unlock()
	})
}

// TestEmbeddedFolderMatchesDisk checks that a folder registered from an
// fs.FS gives the model the same folder on disk gives, bit for bit.
func TestEmbeddedFolderMatchesDisk(t *testing.T) {
	dir := writeTinyFolder(t, "bert")
	const name = "test-embedded-bert"
	registerTest(t, name, mapFolder(t, dir))
	if !Known(name) || !slices.Contains(Names, name) {
		t.Fatalf("%s not known (Names %v)", name, Names)
	}
	o := Options{Classes: 3, MaxLen: 16, HeadDropout: 0.3}
	disk, err := New(dir, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := New(name, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if emb.Name != name || emb.folder == nil || emb.folder.Dir != "embedded:"+name || emb.Vocab != nil {
		t.Fatalf("factory: name %q, folder %v", emb.Name, emb.folder)
	}
	if emb.DefaultLR != PaperLR || emb.LR(peft.Full) != disk.LR(peft.Full) || emb.LR(peft.LoRA) != disk.LR(peft.LoRA) {
		t.Fatalf("learning rates: %g %g, disk %g %g", emb.LR(peft.Full), emb.LR(peft.LoRA), disk.LR(peft.Full), disk.LR(peft.LoRA))
	}
	if !reflect.DeepEqual(emb.Config, disk.Config) {
		t.Fatalf("config %+v\ndisk %+v", emb.Config, disk.Config)
	}
	if f, err := OpenFolderFS(nil, name); err != nil || f != emb.folder {
		t.Fatalf("OpenFolderFS is not cached per name: %v", err)
	}
	for _, s := range corpus {
		if a, b := emb.Encode(s, 16), disk.Encode(s, 16); !slices.Equal(a, b) {
			t.Fatalf("Encode(%q) = %v, disk %v", s, a, b)
		}
	}
	for _, tuning := range []string{peft.Full, peft.LoRA} {
		me, err := emb.NewTunedModel(tuning, seeds.New(5))
		if err != nil {
			t.Fatal(err)
		}
		md, err := disk.NewTunedModel(tuning, seeds.New(5))
		if err != nil {
			t.Fatal(err)
		}
		pe, pd := me.Params(), md.Params()
		if len(pe) != len(pd) {
			t.Fatalf("%s: %d parameters, disk %d", tuning, len(pe), len(pd))
		}
		for i := range pe {
			if pe[i].Name != pd[i].Name || !slices.Equal(pe[i].Shape, pd[i].Shape) || !sameBits(pe[i].Data, pd[i].Data) {
				t.Fatalf("%s: parameter %s differs from disk's %s", tuning, pe[i].Name, pd[i].Name)
			}
		}
		b := tinyBatch(emb)
		le, ld := make([]float32, b.B*3), make([]float32, b.B*3)
		me.Logits(b, le)
		md.Logits(b, ld)
		if !sameBits(le, ld) || le[0] == 0 {
			t.Fatalf("%s: logits %v, disk %v", tuning, le, ld)
		}
	}
	ce, _, _ := emb.folder.NewClassifier(3, 0, seeds.New(1))
	cd, _, _ := disk.folder.NewClassifier(3, 0, seeds.New(1))
	ids := emb.Encode(corpus[3], 16)
	pe, err := Pooled(ce, ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	pd, _ := Pooled(cd, ids, nil)
	if !sameBits(pe, pd) {
		t.Fatalf("pooled %v, disk %v", pe, pd)
	}
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestEmbeddedFolderErrors checks that a broken embedded folder fails with
// one line naming it and the file at fault.
func TestEmbeddedFolderErrors(t *testing.T) {
	full := mapFolder(t, writeTinyFolder(t, "bert"))
	without := func(names ...string) fstest.MapFS {
		m := fstest.MapFS{}
		for n, f := range full {
			if !slices.Contains(names, n) {
				m[n] = f
			}
		}
		return m
	}
	truncated := without()
	w := *full["model.safetensors"]
	w.Data = w.Data[:len(w.Data)-10]
	truncated["model.safetensors"] = &w
	badConfig := without()
	badConfig["config.json"] = &fstest.MapFile{Data: []byte(`{"hidden_size": 15}`)}
	for _, c := range []struct {
		name string
		fsys fs.FS
		want string
	}{
		{"test-no-config", without("config.json"), "config.json"},
		{"test-bad-config", badConfig, "config.json"},
		{"test-no-weights", without("model.safetensors"), "model.safetensors"},
		{"test-truncated-weights", truncated, "model.safetensors"},
		{"test-no-tokenizer", without("vocab.txt"), "vocab.txt"},
	} {
		registerTest(t, c.name, c.fsys)
		_, err := New(c.name, nil, Options{Classes: 2, MaxLen: 16})
		if err == nil || !strings.Contains(err.Error(), "embedded:"+c.name) || !strings.Contains(err.Error(), c.want) ||
			strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v", c.name, err)
		}
		t.Logf("%s: %v", c.name, err)
		if !Known(c.name) {
			t.Errorf("%s: a registered name is known even when broken", c.name)
		}
	}
	for _, name := range []string{"", GloveMini} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterEmbedded(%q) did not panic", name)
				}
			}()
			RegisterEmbedded(name, full)
		}()
	}
}

// The compiled-in pre-trained default is the folder `make model` wrote: its
// weights hash to pretrain.json's weights_sha256, the architecture is the
// config's, and every tuning method has a measured learning rate.
func TestDeniBertMiniEmbedded(t *testing.T) {
	f, err := OpenModelFolder(DeniBertMini)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Config
	if c.ModelType != "bert" || c.NumHiddenLayers != 4 || c.HiddenSize != 128 || c.VocabSize != 25224 || f.Tokenizer.VocabSize() != 25224 {
		t.Fatalf("config %+v, tokenizer %d ids", c, f.Tokenizer.VocabSize())
	}
	w, err := fs.ReadFile(deniBertMiniFiles, "embedded/deni-bert-mini/model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		WeightsSHA string `json:"weights_sha256"`
		Eval       struct {
			MaskedAcc  float64 `json:"masked_acc"`
			UnigramAcc float64 `json:"unigram_top1_acc"`
		} `json:"eval"`
	}
	b, err := fs.ReadFile(deniBertMiniFiles, "embedded/deni-bert-mini/pretrain.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(w); hex.EncodeToString(sum[:]) != info.WeightsSHA {
		t.Fatalf("embedded weights %x, pretrain.json says %s", sum, info.WeightsSHA)
	}
	if info.Eval.MaskedAcc < 2.5*info.Eval.UnigramAcc {
		t.Errorf("held-out masked-token accuracy %.3f is not far above the unigram baseline %.3f", info.Eval.MaskedAcc, info.Eval.UnigramAcc)
	}
	fac, err := New(DeniBertMini, nil, Options{Classes: 2, MaxLen: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, tuning := range Tunings.Names() {
		if lr := fac.LR(tuning); lr != DeniBertMiniLRs[tuning] || lr == 0 {
			t.Errorf("%s: lr %g, want the measured %g", tuning, lr, DeniBertMiniLRs[tuning])
		}
	}
	checkDefaultLR(t, fac, DeniBertMini)
	if got := fac.Encode("What is the capital of Peru?", 16); len(got) != 9 || slices.Contains(got, 1) {
		t.Errorf("encode: %v (want [CLS] what is the capital of peru ? [SEP], no [UNK])", got)
	}
	// Pre-trained with frozen GloVe rows: fine-tuning takes the dataset's
	// GloVe words it lacks ("mussolini" is beyond GloVe's top 20,000).
	if in := c.GloVeInput; in == nil || in.Dims != 100 || in.Scale < 0.5 || in.Scale > 1.5 {
		t.Fatalf("glove_input %+v", in)
	}
	if n := len(f.Tokenizer.Encode("mussolini", 0)); n < 4 {
		t.Fatalf("mussolini is %d tokens", n-2)
	}
	trec, err := New(DeniBertMini, []string{"When did Mussolini invade Ethiopia ?"}, Options{Classes: 6, MaxLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	if got := trec.Encode("Mussolini", 0); trec.GloVeWords == 0 || len(got) != 3 || got[1] < int32(c.VocabSize) {
		t.Errorf("with the dataset's GloVe words: %d added, Mussolini -> %v", trec.GloVeWords, got)
	}
}

// TestWeightsID: a model folder's ID is the same embedded and copied to
// disk, changes with one byte of its weights, ignores logs, and is empty
// for built-in models.
func TestWeightsID(t *testing.T) {
	emb := WeightsID(DeniBertMini)
	if len(emb) != 16 || WeightsID(GloveMini) != "" || WeightsID(t.TempDir()) != "" {
		t.Fatalf("ids %q %q", emb, WeightsID(GloveMini))
	}
	sub, err := fs.Sub(deniBertMiniFiles, "embedded/deni-bert-mini")
	if err != nil {
		t.Fatal(err)
	}
	copyTo := func(dir string) {
		if err := os.CopyFS(dir, sub); err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	copyTo(a)
	copyTo(b)
	if err := os.WriteFile(filepath.Join(a, "log.csv"), []byte("step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := WeightsID(a); got != emb {
		t.Errorf("copied folder %s, embedded %s", got, emb)
	}
	w, err := os.ReadFile(filepath.Join(b, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	w[len(w)-1] ^= 1
	if err := os.WriteFile(filepath.Join(b, "model.safetensors"), w, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := WeightsID(b); got == emb || len(got) != 16 {
		t.Errorf("changed weights keep the id %s", got)
	}
}
