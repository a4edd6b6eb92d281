// Package pretrain pre-trains a small BERT with masked language modelling
// (BERT's 15% masking with 80/10/10 replacement) on a sentence-per-line
// corpus, with a WordPiece vocabulary trained on that corpus and word
// embeddings initialised from GloVe, into a Hugging Face model folder
// (config.json, model.safetensors with BertForMaskedLM names, vocab.txt)
// that deni's models.OpenFolder and transformers both load.
//
// Every random draw comes from a named stream derived from the root seed:
// model_init (weights), sample_order (one permutation per epoch),
// model_randomness (dropout) and pretrain (masking). Checkpoints hold the
// weights, the optimiser state, the stream positions and the data
// position, so a resumed run ends with the same bits as an uninterrupted
// one on the same BLAS.
package pretrain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deni-project/deni/internal/atomicfile"
	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/tensor"
	"github.com/deni-project/deni/train/text"
	"github.com/deni-project/deni/train/tokenizer"
)

// Stream names (factors of internal/seeds, plus "pretrain" for masking).
const (
	StreamMask     = "pretrain"
	StreamEvalMask = "pretrain_eval"
)

// Options are the run-time settings that do not change the result.
type Options struct {
	Log *slog.Logger // nil: slog.Default()
	// StopAfter stops the run (as an interruption would) once this many
	// steps have run in this process; 0 runs to the end. For tests.
	StopAfter int
}

// LogRow is one line of log.csv: means over the last log_every steps.
type LogRow struct {
	Step      int     `json:"step"`
	Loss      float64 `json:"loss"`
	MaskedAcc float64 `json:"masked_acc"`
	LR        float64 `json:"lr"`
	GradNorm  float64 `json:"grad_norm"`
}

// Result sums up a finished run.
type Result struct {
	Dir          string     `json:"dir"`
	Steps        int        `json:"steps"`
	VocabSize    int        `json:"vocab_size"`
	TrainSeqs    int        `json:"train_sequences"`
	HeldoutSeqs  int        `json:"heldout_sequences"`
	TrainTokens  int        `json:"train_tokens"`
	GloVeRows    int        `json:"glove_rows"`
	Params       int        `json:"parameters"`
	BLAS         string     `json:"blas"`
	StepsPerSec  float64    `json:"steps_per_second"` // of this process's steps
	Eval         EvalResult `json:"eval"`
	Log          []LogRow   `json:"-"`
	Stopped      bool       `json:"-"` // StopAfter ended the run early
	WeightsSHA   string     `json:"weights_sha256"`
	ResumedAt    int        `json:"resumed_at_step"`
	WallSeconds  float64    `json:"wall_seconds"`
	ConfigOfRun  Config     `json:"config"`
	CorpusSHA256 string     `json:"corpus_sha256"`
}

// state is a checkpoint's state.json.
type state struct {
	Step       int      `json:"step"`
	Pos        int      `json:"data_position"`
	MaskRNG    []byte   `json:"mask_rng"`
	DropoutRNG []byte   `json:"dropout_rng"`
	AdamSteps  int      `json:"adam_steps"`
	Config     Config   `json:"config"`
	VocabSHA   string   `json:"vocab_sha256"`
	CorpusSHA  string   `json:"corpus_sha256"`
	Log        []LogRow `json:"log"`
}

// stream is a seeds.New generator whose state can be saved.
func stream(seed uint64) (*rand.Rand, *rand.PCG) {
	src := rand.NewPCG(seed, seeds.SplitMix64(seed))
	return rand.New(src), src
}

// Corpus is a tokenised, packed corpus.
type Corpus struct {
	Vocab   []string
	Tok     *tokenizer.Tokenizer
	Train   *Sequences
	Heldout *Sequences
	SHA256  string
}

// ReadLines reads the non-empty lines of a text file.
func ReadLines(path string) ([]string, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("pretrain: corpus: %w (build it with `make corpus`)", err)
	}
	sum := sha256.Sum256(b)
	var lines []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, "", fmt.Errorf("pretrain: corpus %s has no text", path)
	}
	return lines, hex.EncodeToString(sum[:]), nil
}

// PrepareCorpus trains (or, when vocabPath exists and reuse is set, reads)
// the vocabulary, writes it to vocabPath, and tokenises and packs lines.
func PrepareCorpus(lines []string, c Config, vocabPath string, reuse bool) (*Corpus, error) {
	var vocab []string
	if _, err := os.Stat(vocabPath); err == nil && reuse {
		b, err := os.ReadFile(vocabPath)
		if err != nil {
			return nil, err
		}
		vocab = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	} else {
		counts := map[string]int{}
		var words []string
		for _, l := range lines {
			words = splitWords(l, words[:0])
			for _, w := range words {
				counts[w]++
			}
		}
		if vocab, err = TrainWordPiece(counts, VocabOptions{Size: c.Vocab.Size, MinFrequency: c.Vocab.MinFrequency}); err != nil {
			return nil, err
		}
		if c.Vocab.GloVeWords > 0 {
			words, err := GloVeWords(c.GloVe, c.Vocab.GloVeWords)
			if err != nil {
				return nil, err
			}
			vocab = AddWholeWords(vocab, words)
		}
		if err := atomicfile.WriteBytes(vocabPath, []byte(strings.Join(vocab, "\n")+"\n")); err != nil {
			return nil, err
		}
	}
	tok, err := tokenizer.LoadWordPiece(vocabPath, tokenizer.Options{})
	if err != nil {
		return nil, err
	}
	ids := make([][]int32, len(lines))
	for i, l := range lines {
		ids[i] = tok.Tokenize(l)
	}
	tr, ho := Pack(ids, c.Model.MaxLen, c.Train.HeldoutEvery)
	if tr.Len() == 0 {
		return nil, fmt.Errorf("pretrain: the corpus gives no training sequence")
	}
	return &Corpus{Vocab: vocab, Tok: tok, Train: tr, Heldout: ho}, nil
}

// Run pre-trains the model c describes into c.Output, resuming from the
// last checkpoint in c.Output/checkpoints when there is one.
func Run(ctx context.Context, c Config, o Options) (*Result, error) {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	start := time.Now()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.Output, checkpoint.ConfigFile)); err == nil {
		return nil, fmt.Errorf("pretrain: %s already holds a finished model (config.json); delete it or choose another output", c.Output)
	}
	ckDir := filepath.Join(c.Output, "checkpoints")
	if err := os.MkdirAll(ckDir, 0o755); err != nil {
		return nil, err
	}
	st, stDir, err := latestCheckpoint(ckDir)
	if err != nil {
		return nil, err
	}
	if st != nil {
		a, _ := json.Marshal(st.Config)
		b, _ := json.Marshal(c)
		if string(a) != string(b) {
			return nil, fmt.Errorf("pretrain: %s holds a checkpoint of another configuration; delete %s to start over", c.Output, ckDir)
		}
	}
	lines, corpusSHA, err := ReadLines(c.Corpus)
	if err != nil {
		return nil, err
	}
	if st != nil && st.CorpusSHA != corpusSHA {
		return nil, fmt.Errorf("pretrain: %s changed since the checkpoint in %s; restore it or delete %s to start over", c.Corpus, ckDir, ckDir)
	}
	vocabPath := filepath.Join(c.Output, "vocab.txt")
	corp, err := PrepareCorpus(lines, c, vocabPath, st != nil)
	if err != nil {
		return nil, err
	}
	vsha, err := fileSHA(vocabPath)
	if err != nil {
		return nil, err
	}
	if st != nil && st.VocabSHA != vsha {
		return nil, fmt.Errorf("pretrain: %s changed since the checkpoint; delete %s to start over", vocabPath, ckDir)
	}
	res := &Result{Dir: c.Output, Steps: c.Train.Steps, VocabSize: len(corp.Vocab), TrainSeqs: corp.Train.Len(),
		HeldoutSeqs: corp.Heldout.Len(), TrainTokens: len(corp.Train.Flat), BLAS: tensor.BLASName(),
		ConfigOfRun: c, CorpusSHA256: corpusSHA}
	log.Info("pretrain corpus", "lines", len(lines), "vocab", len(corp.Vocab), "train_sequences", corp.Train.Len(),
		"heldout_sequences", corp.Heldout.Len(), "train_tokens", len(corp.Train.Flat))

	m, gloveRows, err := buildModel(c, corp.Vocab)
	if err != nil {
		return nil, err
	}
	res.Params = tensor.NumValues(m.Params())
	res.GloVeRows = len(gloveRows)
	if c.GloVe != "" {
		log.Info("pretrain glove init", "rows", len(gloveRows), "of", len(corp.Vocab), "frozen", c.Model.FreezeGloVe)
	}
	var frozen []int32
	var noDecay *tensor.Param
	if c.Model.FreezeGloVe {
		frozen, noDecay = gloveRows, m.BERT.Embeddings.Word.Weight
	}
	opt, err := newAdamW(m.Params(), c.Train.WeightDecay, noDecay)
	if err != nil {
		return nil, err
	}
	maskRNG, maskSrc := stream(seeds.Derive(c.Seed, StreamMask, 0))
	dropRNG, dropSrc := stream(seeds.Derive(c.Seed, string(seeds.ModelRandomness), 0))
	orderSeed := seeds.Derive(c.Seed, string(seeds.SampleOrder), 0)
	step, pos := 0, 0
	var rows []LogRow
	if st != nil {
		if err := loadCheckpoint(stDir, m, opt); err != nil {
			return nil, err
		}
		if err := maskSrc.UnmarshalBinary(st.MaskRNG); err != nil {
			return nil, err
		}
		if err := dropSrc.UnmarshalBinary(st.DropoutRNG); err != nil {
			return nil, err
		}
		step, pos, rows = st.Step, st.Pos, st.Log
		opt.SetSteps(st.AdamSteps)
		res.ResumedAt = step
		log.Info("pretrain resumed", "step", step, "checkpoint", stDir)
	}
	sched, err := optim.NewSchedule(c.Train.Schedule, c.Train.LR, c.Train.Steps)
	if err != nil {
		return nil, err
	}
	masker := Masker{Prob: c.Train.MaskProb, VocabSize: len(corp.Vocab)}
	ord := &order{n: corp.Train.Len()}
	derive := func(e int) *rand.Rand { return seeds.New(seeds.Derive(orderSeed, "epoch", e)) }
	var bt batcher
	idx := make([]int, c.Train.BatchSize)
	var mpos, labels []int32
	var sumLoss, sumNorm float64
	var sumCorrect, sumCount, nLog int
	ran := 0
	t0 := time.Now()
	for step < c.Train.Steps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("pretrain: interrupted at step %d (rerun to resume from the last checkpoint): %w", step, err)
		}
		for i := range idx {
			idx[i] = ord.at(pos, derive)
			pos++
		}
		b := bt.fill(corp.Train, idx)
		mpos, labels = masker.Apply(b, maskRNG, mpos, labels)
		tensor.ZeroGrads(m.Params())
		out, err := m.Step(b, mpos, labels, true, dropRNG)
		if err != nil {
			return nil, fmt.Errorf("pretrain: step %d: %w", step+1, err)
		}
		m.freezeRows(frozen)
		norm := optim.ClipGradNorm(m.Params(), c.Train.ClipNorm)
		lr := sched.LR(step)
		opt.Step(lr)
		step++
		ran++
		sumLoss += float64(out.Loss)
		sumNorm += norm
		sumCorrect += out.Correct
		sumCount += out.Count
		nLog++
		if step%c.Train.LogEvery == 0 || step == c.Train.Steps {
			r := LogRow{Step: step, Loss: sumLoss / float64(nLog), MaskedAcc: float64(sumCorrect) / float64(max(sumCount, 1)),
				LR: lr, GradNorm: sumNorm / float64(nLog)}
			rows = append(rows, r)
			el := time.Since(t0).Seconds()
			log.Info("pretrain", "step", step, "of", c.Train.Steps, "loss", fmt.Sprintf("%.4f", r.Loss),
				"masked_acc", fmt.Sprintf("%.4f", r.MaskedAcc), "lr", fmt.Sprintf("%.3g", lr),
				"steps_per_s", fmt.Sprintf("%.2f", float64(ran)/el),
				"eta", (time.Duration(float64(c.Train.Steps-step)/(float64(ran)/el)) * time.Second).Round(time.Second))
			sumLoss, sumNorm, sumCorrect, sumCount, nLog = 0, 0, 0, 0, 0
		}
		if (c.Train.CheckpointEvery > 0 && step%c.Train.CheckpointEvery == 0) || step == c.Train.Steps {
			mb, _ := maskSrc.MarshalBinary()
			db, _ := dropSrc.MarshalBinary()
			s := state{Step: step, Pos: pos, MaskRNG: mb, DropoutRNG: db, AdamSteps: opt.Steps(), Config: c, VocabSHA: vsha, CorpusSHA: corpusSHA, Log: rows}
			if err := saveCheckpoint(ckDir, &s, m, opt); err != nil {
				return nil, err
			}
		}
		if o.StopAfter > 0 && ran >= o.StopAfter && step < c.Train.Steps {
			res.Stopped, res.Log = true, rows
			return res, nil
		}
	}
	if el := time.Since(t0).Seconds(); ran > 0 && el > 0 {
		res.StepsPerSec = float64(ran) / el
	}
	res.Log = rows
	res.Eval, err = Evaluate(m, corp, c, 0)
	if err != nil {
		return nil, err
	}
	log.Info("pretrain held-out", "masked", res.Eval.Masked, "masked_acc", fmt.Sprintf("%.4f", res.Eval.Acc),
		"loss", fmt.Sprintf("%.4f", res.Eval.Loss), "unigram_top1_acc", fmt.Sprintf("%.4f", res.Eval.UnigramAcc),
		"unigram_loss", fmt.Sprintf("%.4f", res.Eval.UnigramLoss))
	res.WallSeconds = time.Since(start).Seconds()
	if err := WriteFolder(c.Output, m, corp.Vocab, rows, res); err != nil {
		return nil, err
	}
	return res, nil
}

// buildModel draws the initial model: random weights from the model_init
// stream, the GloVe rows (their ids returned), the untied decoder.
func buildModel(c Config, vocab []string) (*Model, []int32, error) {
	m, err := NewModel(c.BERTConfig(len(vocab)), seeds.New(seeds.Derive(c.Seed, string(seeds.ModelInit), 0)))
	if err != nil {
		return nil, nil, err
	}
	var gloveRows []int32
	if c.GloVe != "" {
		var in *nn.GloVeInput
		if gloveRows, in, err = initGloVe(m, vocab, c.GloVe, c.Model.GloVeStd); err != nil {
			return nil, nil, err
		}
		if c.Model.FreezeGloVe {
			m.Cfg.GloVeInput = in // the rows keep it: fine-tuning may add GloVe words
		}
	}
	if c.Model.UntiedDecoder {
		m.Untie()
		// The decoder starts at BERT's init scale whatever the GloVe rows'
		// scale: raw-scale rows would make the first logits huge.
		if std := c.Model.GloVeStd; std > 0 && std != m.Cfg.InitializerRange {
			m.scaleDecoderRows(gloveRows, float32(m.Cfg.InitializerRange/std))
		}
	}
	return m, gloveRows, nil
}

// initGloVe sets the rows of the vocabulary's GloVe words to their vectors
// rescaled to standard deviation std, and says where and how (nil: GloVe
// knows none of the words).
func initGloVe(m *Model, vocab []string, path string, std float64) ([]int32, *nn.GloVeInput, error) {
	want := map[string]bool{}
	for _, t := range vocab {
		want[t] = true
	}
	e, err := text.LoadGloVe(path, func(w string) bool { return want[w] })
	if err != nil {
		return nil, nil, err
	}
	if e.Len() == 0 {
		return nil, nil, nil
	}
	var s, s2 float64
	for _, v := range e.Vectors {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(e.Vectors))
	sd := math.Sqrt(max(s2/n-(s/n)*(s/n), 1e-12))
	if std <= 0 {
		std = m.Cfg.InitializerRange
	}
	scale := float32(std / sd)
	in := &nn.GloVeInput{Dims: min(m.Cfg.HiddenSize, e.Dim), Scale: float64(scale)}
	return m.InitFromVectors(vocab, e.Vector, scale), in, nil
}

// Checkpoints: checkpoints/step-NNNNNNNN/{model,optimizer}.safetensors and
// state.json, written into a temporary folder renamed into place; then
// checkpoints/latest (the folder name) is replaced atomically; older
// folders are removed last. A crash at any point leaves latest naming a
// complete checkpoint.
func saveCheckpoint(ckDir string, s *state, m *Model, opt *optim.Adam) error {
	name := fmt.Sprintf("step-%08d", s.Step)
	tmp, err := os.MkdirTemp(ckDir, ".tmp-"+name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := checkpoint.Save(filepath.Join(tmp, "model.safetensors"), m.HFParams(), nil); err != nil {
		return err
	}
	var ps []*tensor.Param
	for i, p := range opt.Params() {
		mi, vi := opt.Moments(i)
		ps = append(ps,
			&tensor.Param{Tensor: &tensor.Tensor{Shape: p.Shape, Data: mi}, Name: "m." + HFName(p)},
			&tensor.Param{Tensor: &tensor.Tensor{Shape: p.Shape, Data: vi}, Name: "v." + HFName(p)})
	}
	if err := checkpoint.Save(filepath.Join(tmp, "optimizer.safetensors"), ps, nil); err != nil {
		return err
	}
	if err := checkpoint.SaveJSON(filepath.Join(tmp, "state.json"), s); err != nil {
		return err
	}
	final := filepath.Join(ckDir, name)
	os.RemoveAll(final)
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(ckDir, "latest"), []byte(name+"\n")); err != nil {
		return err
	}
	ents, _ := os.ReadDir(ckDir)
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "step-") && e.Name() != name {
			os.RemoveAll(filepath.Join(ckDir, e.Name()))
		}
	}
	return nil
}

func latestCheckpoint(ckDir string) (*state, string, error) {
	b, err := os.ReadFile(filepath.Join(ckDir, "latest"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(ckDir, strings.TrimSpace(string(b)))
	var s state
	if err := checkpoint.LoadJSON(filepath.Join(dir, "state.json"), &s); err != nil {
		return nil, "", fmt.Errorf("pretrain: checkpoint %s: %w", dir, err)
	}
	return &s, dir, nil
}

func loadCheckpoint(dir string, m *Model, opt *optim.Adam) error {
	ts, _, err := checkpoint.Load(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return err
	}
	if err := m.Assign(ts); err != nil {
		return err
	}
	ot, _, err := checkpoint.Load(filepath.Join(dir, "optimizer.safetensors"))
	if err != nil {
		return err
	}
	for i, p := range opt.Params() {
		mt, ok1 := ot["m."+HFName(p)]
		vt, ok2 := ot["v."+HFName(p)]
		if !ok1 || !ok2 || len(mt.Data) != len(p.Data) || len(vt.Data) != len(p.Data) {
			return fmt.Errorf("pretrain: checkpoint %s: optimizer state of %s is missing or has another shape", dir, HFName(p))
		}
		mi, vi := opt.Moments(i)
		copy(mi, mt.Data)
		copy(vi, vt.Data)
	}
	return nil
}

// newAdamW is BERT's pre-training optimiser: torch's AdamW with eps 1e-6 and
// no weight decay on biases and LayerNorm weights.
func newAdamW(params []*tensor.Param, weightDecay float64, noDecay *tensor.Param) (*optim.Adam, error) {
	opt, err := optim.NewAdam(optim.Config{Kind: optim.KindAdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-6, WeightDecay: weightDecay}, params)
	if err != nil {
		return nil, err
	}
	opt.ExemptFromDecay(func(p *tensor.Param) bool {
		return p == noDecay || strings.HasSuffix(p.Name, ".bias") || strings.Contains(p.Name, "LayerNorm")
	})
	return opt, nil
}

func fileSHA(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}
