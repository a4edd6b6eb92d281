package bertmini

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"os"
	"testing"

	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/tensor"
)

// goldenSteps are the steps TestGoldenTrajectory trains: single-model steps
// (more than an epoch of the labelled set, so embedding rows become used,
// stay in use and new ones appear), then population steps of 10 models.
const (
	goldenSingleSteps     = 200
	goldenPopulationSteps = 12
)

// goldenHashes are the SHA-256 digests of TestGoldenTrajectory's losses,
// weights and Adam moments, per backend (BLAS/SIMD), computed by the engine
// before the speed work of issue 20 (commit e50d15d): every later change
// must reproduce them bit for bit. Regenerate only for an intended change
// of the arithmetic: DENI_GOLDEN_PRINT=1 go test -run GoldenTrajectory -v.
var goldenHashes = map[string]trajectoryHashes{
	"gonum/avx2 bertmini":                       {"f18a4a7f8098393d7f75422a5cefac034c6f17eca03374c4acd1a4ac403b9c60", "b4cde78d1054707c5ae5469d05f7b2b5ff16387929d9d5d8b5250e3dfe6b5162", "f33990590ad7225881d35b9435b9ca5e2174948df004ad955408d4d6c042b180"},
	"gonum/avx2 bertmini-population":            {"83034216e6484abf09a945149c114e17ebba393576e23f52346ab54c32063c20", "2f8d7bda070dedbd8bcca691bf7b01edcf42f5fccc1146d346b3434dd62807c8", "a058e1259888ab279f335be5085b72973beb2ade08a0b33937f2e6bb1168b155"},
	"gonum/go bertmini":                         {"86ca40a8b0df5090e2b26d88b20185eb70d2e1d3ec2011a9cfd78fd6f745947e", "ebeb2e26dea5bfaf70b7b2fbc3ff19557911c86498707b52a95b395636aa00de", "754cf0ae2c3b98276d35c9bb26daaa7b6ba467cf5a970cabd40ad804c2710f48"},
	"gonum/go bertmini-population":              {"fadb03d338e78d5601068fb3f3fbaabffd66cab221ffe13cc6c7928f7f336aa4", "ed6da84808911ee6df4ccacdfe2ed0508e0f81ac8314d58c8850ed3996bde465", "9fecf6236a39b91a384c51aa45f752dc42acebc328343e094ea0cf1fea91aa23"},
	"openblas:Haswell/avx2 bertmini":            {"88f3b285dd5e6c88088139e2f167fd301fa0478c636b2242a226b585c6fc44d4", "f4b9c1c5eb0ebbb5396bce96952aa9c5407182ff05077b7549d205d620cf8294", "49e92d76e0ba226c0f4cb891f4426dc20b47b190f30adf5206c1079746491a51"},
	"openblas:Haswell/avx2 bertmini-population": {"a90ee1eab47138a5f1d0549b03f42ac6158df40a5f01fb0080ff409e684a4617", "903b2ae497533d4f83d7e6ef0a77a10deeb0f7176da9cd0ed8e9bca524a04b29", "be02bbc2f92f50fa68275178c42975a2d24914d230c811fa1336a29e69498136"},
	"openblas:Haswell/go bertmini":              {"b8c74b34726c4fa95a696612e49b0e9e0ffe482e912e5429c86038944af4a3c6", "a2e7080762edcf8af05d188dc6cd4318d58680f61b457e4b734fb169f26d465e", "488b88b2cefa934739985daf0449edb756a1afdb66ecd040cf637cc1c58892a4"},
	"openblas:Haswell/go bertmini-population":   {"e45080fff171385a1de9671b59ea71c1e13f532a895348723db23b14b8f5b323", "0b4aeda407746b215fd78a6ab2e072915cdf9850680ef1b59857ade7d7c0104d", "e7ebcc3d90e92e2a2c6d087e0e8c696365d19a39e00ecf8e17ec26b11a9efd5f"},
}

// trajectoryHashes digest one trajectory by part.
type trajectoryHashes struct{ Losses, Weights, Moments string }

// trajectory trains workload name for steps steps and digests every loss of
// every model, then every parameter value and Adam moment of every model.
func trajectory(t *testing.T, d Data, name string, steps int) trajectoryHashes {
	tr, err := New(name, d)
	if err != nil {
		t.Fatal(err)
	}
	losses := sha256.New()
	for range steps {
		tr.Step()
		for _, l := range tr.Losses() {
			writeFloats(losses, l)
		}
	}
	weights, moments := sha256.New(), sha256.New()
	for i, m := range tr.Models() {
		for _, p := range m.Params() {
			writeFloats(weights, p.Data...)
		}
		adam := tr.Optimizers()[i].(*optim.Adam)
		for j := range m.Params() {
			mo, v := adam.Moments(j)
			writeFloats(moments, mo...)
			writeFloats(moments, v...)
		}
	}
	sum := func(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
	return trajectoryHashes{Losses: sum(losses), Weights: sum(weights), Moments: sum(moments)}
}

func writeFloats(h hash.Hash, v ...float32) {
	var b [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		h.Write(b[:])
	}
}

// TestGoldenTrajectory: deni-bert-mini fine-tuned on real TREC batches
// (200 steps, then 12 steps of a 10-model population) gives bit for bit the
// losses, weights and Adam moments of the engine before the speed work.
func TestGoldenTrajectory(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 320 model steps")
	}
	d := loadTREC(t)
	backend := tensor.BLASName() + "/" + tensor.SIMD()
	got := map[string]trajectoryHashes{
		Single:     trajectory(t, d, Single, goldenSingleSteps),
		Population: trajectory(t, d, Population, goldenPopulationSteps),
	}
	if os.Getenv("DENI_GOLDEN_PRINT") == "1" {
		for name, h := range got {
			t.Logf("%q: {%q, %q, %q},", backend+" "+name, h.Losses, h.Weights, h.Moments)
		}
	}
	for name, h := range got {
		want, ok := goldenHashes[backend+" "+name]
		if !ok {
			t.Logf("no golden trajectory for %s %s", backend, name)
			continue
		}
		if h != want {
			t.Errorf("%s on %s: trajectory changed\n got %+v\nwant %+v", name, backend, h, want)
		}
	}
}
