package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/train/tensor"
)

func newParam(name string, shape []int, data []float32) *tensor.Param {
	return &tensor.Param{Tensor: &tensor.Tensor{Shape: shape, Data: data}, Name: name, Trainable: true}
}

// fixtures mirrors testdata/fixtures.json (written by gen_fixtures.py with
// torch's dtype conversions). Values are float64 or "+Inf"/"-Inf".
type fixture struct {
	Metadata map[string]string `json:"metadata"`
	Tensors  map[string]struct {
		Shape  []int `json:"shape"`
		Values []any `json:"values"`
	} `json:"tensors"`
}

func loadFixtures(t *testing.T) map[string]fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatalf("fixtures missing (regenerate with testdata/gen_fixtures.py): %v", err)
	}
	var f map[string]fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func fixtureValue(v any) float32 {
	switch x := v.(type) {
	case string:
		if x == "+Inf" {
			return float32(math.Inf(1))
		}
		return float32(math.Inf(-1))
	default:
		return float32(x.(float64))
	}
}

// TestReadReferenceFiles reads files written like the reference
// implementation, including F16/BF16/F64/int tensors, and compares every
// value with torch's float32 conversion.
func TestReadReferenceFiles(t *testing.T) {
	for file, want := range loadFixtures(t) {
		t.Run(file, func(t *testing.T) {
			ts, md, err := Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			if len(md) != len(want.Metadata) {
				t.Errorf("metadata %v, want %v", md, want.Metadata)
			}
			for k, v := range want.Metadata {
				if md[k] != v {
					t.Errorf("metadata[%q] = %q, want %q", k, md[k], v)
				}
			}
			if len(ts) != len(want.Tensors) {
				t.Errorf("%d tensors, want %d", len(ts), len(want.Tensors))
			}
			for name, w := range want.Tensors {
				got, ok := ts[name]
				if !ok {
					t.Errorf("tensor %q missing", name)
					continue
				}
				if !slices.Equal(got.Shape, w.Shape) {
					t.Errorf("%s: shape %v, want %v", name, got.Shape, w.Shape)
				}
				if len(got.Data) != len(w.Values) {
					t.Fatalf("%s: %d values, want %d", name, len(got.Data), len(w.Values))
				}
				for i, v := range w.Values {
					// Exact: every conversion to float32 is exactly rounded.
					if wv := fixtureValue(v); got.Data[i] != wv || math.Signbit(float64(got.Data[i])) != math.Signbit(float64(wv)) {
						t.Errorf("%s[%d] = %v, want %v", name, i, got.Data[i], wv)
					}
				}
			}
		})
	}
}

// TestWriteByteExact: for F32 tensors the writer must produce the reference
// bytes, header order and padding included.
func TestWriteByteExact(t *testing.T) {
	for _, file := range []string{"f32_metadata.safetensors", "f32_plain.safetensors"} {
		t.Run(file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			ts, md, err := Read(bytes.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			// Hand the writer the tensors in an unsorted order.
			var params []*tensor.Param
			for name, tn := range ts {
				params = append(params, &tensor.Param{Tensor: tn, Name: name})
			}
			slices.SortFunc(params, func(a, b *tensor.Param) int { return -strings.Compare(a.Name, b.Name) })
			var got bytes.Buffer
			if err := Write(&got, params, md); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("bytes differ from the reference file:\n got %q\nwant %q", got.Bytes(), want)
			}
		})
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, WeightsFile)
	params := []*tensor.Param{
		newParam("pooler.dense.weight", []int{2, 2}, []float32{1, -2, float32(math.Inf(1)), 1e-45}),
		newParam("embeddings.word_embeddings.weight", []int{3, 1}, []float32{0.25, -0, 3.4028235e38}),
		newParam("output.bias", []int{}, []float32{-7}),
	}
	params[0].Grad = []float32{9, 9, 9, 9} // gradients are not saved
	md := map[string]string{"model": "glove-mini", "step": "1250"}
	if err := Save(path, params, md); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	ts, gotMD, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if gotMD["model"] != "glove-mini" || gotMD["step"] != "1250" || len(gotMD) != 2 {
		t.Errorf("metadata %v", gotMD)
	}
	for _, p := range params {
		got := ts[p.Name]
		if got == nil || !slices.Equal(got.Shape, p.Shape) || !slices.Equal(got.Data, p.Data) || got.Grad != nil {
			t.Errorf("%s: got %+v, want shape %v data %v", p.Name, got, p.Shape, p.Data)
		}
	}

	// LoadInto a model with the same layout (in another order).
	fresh := []*tensor.Param{
		newParam("output.bias", []int{}, make([]float32, 1)),
		newParam("pooler.dense.weight", []int{2, 2}, make([]float32, 4)),
		newParam("embeddings.word_embeddings.weight", []int{3, 1}, make([]float32, 3)),
	}
	if err := LoadInto(path, fresh); err != nil {
		t.Fatal(err)
	}
	if fresh[0].Data[0] != -7 || !slices.Equal(fresh[1].Data, params[0].Data) || !slices.Equal(fresh[2].Data, params[1].Data) {
		t.Errorf("LoadInto copied wrong values: %v %v %v", fresh[0].Data, fresh[1].Data, fresh[2].Data)
	}

	// Overwriting an existing checkpoint replaces it.
	params[2].Data[0] = 8
	if err := Save(path, params, nil); err != nil {
		t.Fatal(err)
	}
	ts, gotMD, err = Load(path)
	if err != nil || ts["output.bias"].Data[0] != 8 || gotMD != nil {
		t.Errorf("after overwrite: %v, %v, %v", err, ts["output.bias"], gotMD)
	}
}

func TestLoadIntoMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Save(path, []*tensor.Param{
		newParam("a", []int{2}, []float32{1, 2}),
		newParam("b", []int{2, 2}, []float32{1, 2, 3, 4}),
		newParam("extra", []int{1}, []float32{5}),
	}, nil); err != nil {
		t.Fatal(err)
	}
	model := []*tensor.Param{
		newParam("a", []int{2}, []float32{0, 0}),
		newParam("b", []int{4}, []float32{0, 0, 0, 0}),
		newParam("c", []int{1}, []float32{0}),
	}
	err := LoadInto(path, model)
	if err == nil {
		t.Fatal("mismatch accepted")
	}
	for _, want := range []string{"missing in checkpoint: c", "unexpected in checkpoint: extra", "wrong shape: b (checkpoint [2 2], model [4])"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if model[0].Data[0] != 0 {
		t.Error("LoadInto modified the model although it failed")
	}
}

func TestWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params []*tensor.Param
		msg    string
	}{
		{"duplicate", []*tensor.Param{newParam("a", []int{1}, []float32{1}), newParam("a", []int{1}, []float32{2})}, "appears twice"},
		{"shape", []*tensor.Param{newParam("a", []int{2}, []float32{1})}, "shape [2] (2 values) but 1 values"},
		{"empty name", []*tensor.Param{newParam("", []int{1}, []float32{1})}, "invalid name"},
		{"reserved name", []*tensor.Param{newParam("__metadata__", []int{1}, []float32{1})}, "invalid name"},
		{"nil", []*tensor.Param{nil}, "is nil"},
	} {
		err := Write(&bytes.Buffer{}, tc.params, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.msg)
		}
	}
	// A failed Save leaves nothing behind, not even a temporary file.
	dir := t.TempDir()
	if err := Save(filepath.Join(dir, "x.safetensors"), []*tensor.Param{nil}, nil); err == nil {
		t.Error("Save of a nil parameter succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed Save left %v", entries)
	}
	// A folder that cannot be created (its parent is a file) is an error.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(filepath.Join(file, "x.safetensors"), nil, nil); err == nil {
		t.Error("Save under a file succeeded")
	}
}

// rawFile assembles a safetensors file from a header string and data.
func rawFile(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestReadErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/f32_metadata.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	eight := make([]byte, 8)
	for _, tc := range []struct {
		name string
		file []byte
		msg  string
	}{
		{"empty", nil, "too short for the header length"},
		{"short length", good[:5], "too short for the header length"},
		{"huge header", huge, "larger than the 100 MB limit"},
		{"truncated header", good[:100], "truncated header"},
		{"truncated data", good[:len(good)-3], "truncated data"},
		{"trailing bytes", append(slices.Clone(good), 0), "trailing bytes"},
		{"not json", rawFile("[1,2,3] ", nil), "not a JSON object"},
		{"bad json", rawFile(`{"a":{"dtype":"F32",`, nil), "invalid JSON header"},
		{"bad dtype", rawFile(`{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), `unsupported dtype "F8_E4M3"`},
		{"unknown field", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, eight[:4]), "invalid entry"},
		{"no shape", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, eight[:4]), "no shape"},
		{"negative dim", rawFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, eight[:4]), "negative dimension"},
		{"size mismatch", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, eight[:4]), "do not match F32 shape [2]"},
		{"gap", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "gaps or overlaps"},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight), "gaps or overlaps"},
		{"bad metadata", rawFile(`{"__metadata__":{"a":1}}`, nil), "__metadata__ must map strings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(bytes.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want %q", err, tc.msg)
			}
		})
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing.safetensors")); err == nil || !strings.Contains(err.Error(), "open checkpoint") {
		t.Errorf("missing file: %v", err)
	}
}

func TestFloat16AllValues(t *testing.T) {
	// Every finite half value must convert exactly; check against the
	// definition (-1)^s · 2^(e-15) · (1 + m/1024), or 2^-14 · m/1024 for
	// subnormals.
	for h := 0; h < 1<<16; h++ {
		s, e, m := h>>15, (h>>10)&0x1f, h&0x3ff
		got := float64(float16ToFloat32(uint16(h)))
		var want float64
		switch {
		case e == 0x1f && m == 0:
			want = math.Inf(1)
		case e == 0x1f:
			if !math.IsNaN(got) {
				t.Fatalf("%#04x: %v, want NaN", h, got)
			}
			continue
		case e == 0:
			want = math.Ldexp(float64(m)/1024, -14)
		default:
			want = math.Ldexp(1+float64(m)/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		if got != want || math.Signbit(got) != (s == 1) {
			t.Fatalf("%#04x: %v, want %v", h, got, want)
		}
	}
}

type testConfig struct {
	Model  string  `json:"model"`
	Hidden int     `json:"hidden_size"`
	Drop   float64 `json:"dropout"`
}

func TestJSONConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ConfigFile)
	want := testConfig{Model: "glove-mini", Hidden: 100, Drop: 0.3}
	if err := SaveJSON(path, want); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "{\n  \"model\": \"glove-mini\",\n  \"hidden_size\": 100,\n  \"dropout\": 0.3\n}\n" {
		t.Errorf("file content %q", b)
	}
	var got testConfig
	if err := LoadJSON(path, &got); err != nil || got != want {
		t.Errorf("LoadJSON = %+v, %v", got, err)
	}
	for name, content := range map[string]string{
		"unknown field": `{"model":"x","layers":3}`,
		"trailing":      `{"model":"x"} {}`,
		"trailing }":    `{"model":"x"}}`,
		"not json":      `model: x`,
	} {
		p := filepath.Join(dir, "bad.json")
		os.WriteFile(p, []byte(content), 0o644)
		if err := LoadJSON(p, &got); err == nil {
			t.Errorf("%s: accepted %q", name, content)
		}
	}
	if err := LoadJSON(filepath.Join(dir, "none.json"), &got); err == nil {
		t.Error("missing file accepted")
	}
	if err := SaveJSON(filepath.Join(dir, "f.json"), func() {}); err == nil {
		t.Error("unencodable value accepted")
	}
}

// TestLoadFS reads the reference files through an fs.FS, as an embedded
// model folder is read, and gets what Load gets.
func TestLoadFS(t *testing.T) {
	fsys := os.DirFS("testdata")
	for _, file := range []string{"f32_metadata.safetensors", "mixed_dtypes.safetensors"} {
		want, wantMD, err := Load(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		got, md, err := LoadFS(fsys, file)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(md, wantMD) || len(got) != len(want) {
			t.Fatalf("%s: %d tensors, metadata %v; want %d, %v", file, len(got), md, len(want), wantMD)
		}
		for n, w := range want {
			g := got[n]
			if g == nil || !slices.Equal(g.Shape, w.Shape) ||
				!slices.EqualFunc(g.Data, w.Data, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
				t.Fatalf("%s: tensor %s differs", file, n)
			}
		}
	}
	if _, _, err := LoadFS(fsys, "missing.safetensors"); err == nil || !strings.Contains(err.Error(), "open checkpoint") {
		t.Errorf("missing file: %v", err)
	}
}
