// Package checkpoint reads and writes model weights in the safetensors format
// of Hugging Face (so checkpoints move between deni and PyTorch), and model
// configurations as JSON beside them.
//
// A safetensors file is: an 8-byte little-endian header length N, N bytes of
// JSON header, then the raw little-endian tensor data. The header maps each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// relative to the end of the header) and may hold "__metadata__", a map of
// strings. deni writes F32 only; it reads F32, F64, F16, BF16, I64, I32,
// I16, I8, U8 and BOOL, converting everything to float32 (the only element
// type of tensor.Tensor).
//
// The writer produces the bytes of the reference (Rust) implementation for
// F32 tensors: tensors in the header and in the data sorted by name,
// "__metadata__" first, compact JSON, the header padded with spaces to a
// multiple of 8 bytes. Metadata keys are sorted (the Rust writer uses hash
// order there, so its bytes are not reproducible anyway).
package checkpoint

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/deni-project/deni/internal/atomicfile"
	"github.com/deni-project/deni/train/tensor"
)

// Layout of a Hugging Face model directory: weights and config side by side.
const (
	WeightsFile = "model.safetensors"
	ConfigFile  = "config.json"
)

// maxHeader is the reference implementation's limit on the header size
// (100 MB); a larger length field means a corrupt or foreign file.
const maxHeader = 100_000_000

// metadataKey is the reserved header key of the free-form string map.
const metadataKey = "__metadata__"

// dtypeSize is the byte size of each element type deni can read.
var dtypeSize = map[string]int{
	"F64": 8, "F32": 4, "F16": 2, "BF16": 2,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
}

// tensorInfo is one header entry; field order is the reference writer's.
type tensorInfo struct {
	Dtype       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Write writes params to w in safetensors format, as F32, sorted by name,
// with metadata (nil or empty: no "__metadata__" entry). Gradients are not
// written. Names must be unique and non-empty.
func Write(w io.Writer, params []*tensor.Param, metadata map[string]string) error {
	sorted := slices.Clone(params)
	for i, p := range sorted {
		if p == nil || p.Tensor == nil {
			return fmt.Errorf("checkpoint: parameter %d is nil", i)
		}
		if p.Name == "" || p.Name == metadataKey {
			return fmt.Errorf("checkpoint: parameter %d has the invalid name %q", i, p.Name)
		}
		if n := numel(p.Shape); n != len(p.Data) {
			return fmt.Errorf("checkpoint: parameter %q has shape %v (%d values) but %d values", p.Name, p.Shape, n, len(p.Data))
		}
	}
	slices.SortFunc(sorted, func(a, b *tensor.Param) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Name == sorted[i-1].Name {
			return fmt.Errorf("checkpoint: parameter name %q appears twice", sorted[i].Name)
		}
	}

	// The header is written by hand to fix the key order; encoding/json
	// only encodes the strings (without HTML escaping, like serde_json).
	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		keys := slices.Sorted(maps.Keys(metadata))
		h.WriteString(`"` + metadataKey + `":{`)
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSONString(&h, k)
			h.WriteByte(':')
			writeJSONString(&h, metadata[k])
		}
		h.WriteByte('}')
	}
	var offset int64
	for i, p := range sorted {
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		writeJSONString(&h, p.Name)
		end := offset + 4*int64(len(p.Data))
		fmt.Fprintf(&h, `:{"dtype":"F32","shape":[%s],"data_offsets":[%d,%d]}`, joinInts(p.Shape), offset, end)
		offset = end
	}
	h.WriteByte('}')
	// Pad with spaces so that the data starts 8-byte aligned, as the
	// reference writer does (JSON ignores trailing whitespace).
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}

	bw := bufio.NewWriterSize(w, 1<<16)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(h.Len()))
	bw.Write(n[:])
	bw.Write(h.Bytes())
	var buf [4]byte
	for _, p := range sorted {
		for _, v := range p.Data {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			bw.Write(buf[:])
		}
	}
	// bufio keeps the first write error and returns it here.
	return bw.Flush()
}

// Save writes params to path (see Write) atomically: the data goes to a
// temporary file in the same directory that is renamed over path only when
// complete, so a crash never leaves a truncated checkpoint.
func Save(path string, params []*tensor.Param, metadata map[string]string) error {
	return writeAtomic(path, func(w io.Writer) error { return Write(w, params, metadata) })
}

// Read reads a whole safetensors stream, converting every tensor to
// float32. It checks what the reference reader checks: the header is
// valid JSON, every tensor's byte range matches its dtype and shape, the
// ranges tile the data section without gaps or overlaps, and the data ends
// exactly where the last range ends.
func Read(r io.Reader) (map[string]*tensor.Tensor, map[string]string, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var n [8]byte
	if _, err := io.ReadFull(br, n[:]); err != nil {
		return nil, nil, fmt.Errorf("safetensors: file too short for the header length (%w)", err)
	}
	size := binary.LittleEndian.Uint64(n[:])
	if size > maxHeader {
		return nil, nil, fmt.Errorf("safetensors: header length %d is larger than the 100 MB limit: not a safetensors file or corrupt", size)
	}
	header := make([]byte, size)
	if _, err := io.ReadFull(br, header); err != nil {
		return nil, nil, fmt.Errorf("safetensors: truncated header (%d bytes announced): %w", size, err)
	}
	infos, names, metadata, err := parseHeader(header)
	if err != nil {
		return nil, nil, err
	}

	// Read tensors in offset order so the stream is consumed sequentially.
	// An empty tensor shares its begin offset with the next one, so ties
	// go by end offset (empty first), then by name for a stable order.
	slices.SortFunc(names, func(a, b string) int {
		oa, ob := infos[a].DataOffsets, infos[b].DataOffsets
		return cmp.Or(cmp.Compare(oa[0], ob[0]), cmp.Compare(oa[1], ob[1]), strings.Compare(a, b))
	})
	out := make(map[string]*tensor.Tensor, len(names))
	var pos int64
	raw := make([]byte, 0, 1<<16)
	for _, name := range names {
		info := infos[name]
		if info.DataOffsets[0] != pos {
			return nil, nil, fmt.Errorf("safetensors: tensor %q starts at byte %d, expected %d: the data ranges have gaps or overlaps", name, info.DataOffsets[0], pos)
		}
		count := numel(info.Shape)
		t := &tensor.Tensor{Shape: slices.Clone(info.Shape), Data: make([]float32, count)}
		esize := dtypeSize[info.Dtype]
		// Convert in chunks to bound the scratch buffer.
		for done := 0; done < count; {
			k := min(count-done, max(1, cap(raw)/esize))
			raw = raw[:k*esize]
			if _, err := io.ReadFull(br, raw); err != nil {
				return nil, nil, fmt.Errorf("safetensors: truncated data in tensor %q: %w", name, err)
			}
			decode(t.Data[done:done+k], raw, info.Dtype)
			done += k
		}
		pos = info.DataOffsets[1]
		out[name] = t
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err == nil {
			return nil, nil, errors.New("safetensors: trailing bytes after the last tensor")
		}
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	return out, metadata, nil
}

// Load reads the safetensors file at path (see Read).
func Load(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	return readFile(f, path)
}

// LoadFS reads the safetensors file name of fsys (see Read). The file is
// streamed, so an embedded file's bytes are not copied whole before decoding.
func LoadFS(fsys fs.FS, name string) (map[string]*tensor.Tensor, map[string]string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	return readFile(f, name)
}

func readFile(f io.ReadCloser, name string) (map[string]*tensor.Tensor, map[string]string, error) {
	defer f.Close()
	ts, md, err := Read(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return ts, md, nil
}

// LoadInto reads the checkpoint at path into the Data of params. The
// checkpoint must hold exactly the parameters' names with the same shapes;
// otherwise nothing is modified and the error lists every missing,
// unexpected and mis-shaped tensor. (For the metadata too, use Load and
// Assign.)
func LoadInto(path string, params []*tensor.Param) error {
	ts, _, err := Load(path)
	if err != nil {
		return err
	}
	if err := Assign(ts, params); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Assign copies tensors into the Data of params by name, with the checks of
// LoadInto. Nothing is modified unless every name and shape matches.
func Assign(tensors map[string]*tensor.Tensor, params []*tensor.Param) error {
	var missing, wrong []string
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		seen[p.Name] = true
		t, ok := tensors[p.Name]
		switch {
		case !ok:
			missing = append(missing, p.Name)
		case !slices.Equal(t.Shape, p.Shape) || len(t.Data) != len(p.Data):
			wrong = append(wrong, fmt.Sprintf("%s (checkpoint %v, model %v)", p.Name, t.Shape, p.Shape))
		}
	}
	var unexpected []string
	for name := range tensors {
		if !seen[name] {
			unexpected = append(unexpected, name)
		}
	}
	if len(missing)+len(wrong)+len(unexpected) > 0 {
		slices.Sort(unexpected)
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, fmt.Sprintf("missing in checkpoint: %s", strings.Join(missing, ", ")))
		}
		if len(unexpected) > 0 {
			parts = append(parts, fmt.Sprintf("unexpected in checkpoint: %s", strings.Join(unexpected, ", ")))
		}
		if len(wrong) > 0 {
			parts = append(parts, fmt.Sprintf("wrong shape: %s", strings.Join(wrong, ", ")))
		}
		return fmt.Errorf("checkpoint does not match the model (is it for another model or config?): %s", strings.Join(parts, "; "))
	}
	for _, p := range params {
		copy(p.Data, tensors[p.Name].Data)
	}
	return nil
}

// parseHeader decodes and validates the JSON header. It returns the tensor
// entries, their names, and the metadata.
func parseHeader(header []byte) (map[string]tensorInfo, []string, map[string]string, error) {
	trimmed := bytes.TrimRight(header, " ")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, nil, errors.New("safetensors: header is not a JSON object: not a safetensors file or corrupt")
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &entries); err != nil {
		return nil, nil, nil, fmt.Errorf("safetensors: invalid JSON header: %w", err)
	}
	var metadata map[string]string
	infos := make(map[string]tensorInfo, len(entries))
	names := make([]string, 0, len(entries))
	for name, raw := range entries {
		if name == metadataKey {
			if err := json.Unmarshal(raw, &metadata); err != nil {
				return nil, nil, nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var info tensorInfo
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&info); err != nil {
			return nil, nil, nil, fmt.Errorf("safetensors: tensor %q: invalid entry: %w", name, err)
		}
		esize, ok := dtypeSize[info.Dtype]
		if !ok {
			return nil, nil, nil, fmt.Errorf("safetensors: tensor %q has unsupported dtype %q", name, info.Dtype)
		}
		if info.Shape == nil {
			return nil, nil, nil, fmt.Errorf("safetensors: tensor %q has no shape", name)
		}
		count := int64(1)
		for _, d := range info.Shape {
			if d < 0 {
				return nil, nil, nil, fmt.Errorf("safetensors: tensor %q has negative dimension in shape %v", name, info.Shape)
			}
			count *= int64(d)
			if count > math.MaxInt32*int64(64) {
				return nil, nil, nil, fmt.Errorf("safetensors: tensor %q shape %v is too large", name, info.Shape)
			}
		}
		b, e := info.DataOffsets[0], info.DataOffsets[1]
		if b < 0 || e < b || e-b != count*int64(esize) {
			return nil, nil, nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] do not match %s shape %v (%d bytes)", name, b, e, info.Dtype, info.Shape, count*int64(esize))
		}
		infos[name] = info
		names = append(names, name)
	}
	return infos, names, metadata, nil
}

// decode converts little-endian elements of dtype in raw to float32.
func decode(dst []float32, raw []byte, dtype string) {
	le := binary.LittleEndian
	switch dtype {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case "F64":
		for i := range dst {
			dst[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
	case "F16":
		for i := range dst {
			dst[i] = float16ToFloat32(le.Uint16(raw[2*i:]))
		}
	case "BF16":
		// bfloat16 is the top half of a float32.
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
		}
	case "I64":
		for i := range dst {
			dst[i] = float32(int64(le.Uint64(raw[8*i:])))
		}
	case "I32":
		for i := range dst {
			dst[i] = float32(int32(le.Uint32(raw[4*i:])))
		}
	case "I16":
		for i := range dst {
			dst[i] = float32(int16(le.Uint16(raw[2*i:])))
		}
	case "I8":
		for i := range dst {
			dst[i] = float32(int8(raw[i]))
		}
	case "U8", "BOOL":
		for i := range dst {
			dst[i] = float32(raw[i])
		}
	}
}

// float16ToFloat32 converts an IEEE 754 binary16 value exactly (every half
// is representable as a float32), including subnormals, infinities and NaN.
func float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN: keep the payload
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	case exp != 0: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	case mant == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// Subnormal half: mant·2⁻²⁴, exact in float32.
	v := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func joinInts(xs []int) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, x)
	}
	return b.String()
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // cannot fail for a string
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

// writeAtomic writes path through write, via a temporary file renamed over
// path only on success (see atomicfile).
func writeAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, 0o644, func(f *os.File) error { return write(f) })
}
