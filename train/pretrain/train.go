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
	from, err := openCheckpoints(c)
	if err != nil {
		return nil, err
	}
	corp, vocabSHA, err := readCorpus(c, from, log)
	if err != nil {
		return nil, err
	}
	res := &Result{Dir: c.Output, Steps: c.Train.Steps, VocabSize: len(corp.Vocab), TrainSeqs: corp.Train.Len(),
		HeldoutSeqs: corp.Heldout.Len(), TrainTokens: len(corp.Train.Flat), BLAS: tensor.BLASName(),
		ConfigOfRun: c, CorpusSHA256: corp.SHA256}
	m, gloveRows, err := buildModel(c, corp.Vocab)
	if err != nil {
		return nil, err
	}
	res.Params = tensor.NumValues(m.Params())
	res.GloVeRows = len(gloveRows)
	if c.GloVe != "" {
		log.Info("pretrain glove init", "rows", len(gloveRows), "of", len(corp.Vocab), "frozen", c.Model.FreezeGloVe)
	}
	s, err := newSession(c, corp, m, gloveRows, from.dir, vocabSHA, log)
	if err != nil {
		return nil, err
	}
	if from.state != nil {
		if err := s.restore(from.state, from.stateDir); err != nil {
			return nil, err
		}
		res.ResumedAt = s.step
		log.Info("pretrain resumed", "step", s.step, "checkpoint", from.stateDir)
	}
	stopped, stepsPerSec, err := s.train(ctx, o.StopAfter)
	if err != nil {
		return nil, err
	}
	res.Log = s.rows
	if stopped {
		res.Stopped = true
		return res, nil
	}
	res.StepsPerSec = stepsPerSec
	if err := s.finish(res, start); err != nil {
		return nil, err
	}
	return res, nil
}

// resumePoint is where a run starts: its checkpoints folder and the last
// checkpoint in it (state nil: none, the run starts at step 0).
type resumePoint struct {
	dir      string
	state    *state
	stateDir string
}

// openCheckpoints refuses an output folder that holds a finished model,
// creates its checkpoints folder and returns the last checkpoint there,
// which must be of configuration c.
func openCheckpoints(c Config) (resumePoint, error) {
	if _, err := os.Stat(filepath.Join(c.Output, checkpoint.ConfigFile)); err == nil {
		return resumePoint{}, fmt.Errorf("pretrain: %s already holds a finished model (config.json); delete it or choose another output", c.Output)
	}
	ckDir := filepath.Join(c.Output, "checkpoints")
	if err := os.MkdirAll(ckDir, 0o755); err != nil {
		return resumePoint{}, err
	}
	st, stDir, err := latestCheckpoint(ckDir)
	if err != nil {
		return resumePoint{}, err
	}
	if st != nil {
		a, _ := json.Marshal(st.Config)
		b, _ := json.Marshal(c)
		if string(a) != string(b) {
			return resumePoint{}, fmt.Errorf("pretrain: %s holds a checkpoint of another configuration; delete %s to start over", c.Output, ckDir)
		}
	}
	return resumePoint{dir: ckDir, state: st, stateDir: stDir}, nil
}

// readCorpus reads the corpus, trains its vocabulary into c.Output/vocab.txt
// (resuming: reads it) and tokenises and packs it. Resuming, the corpus and
// the vocabulary must be the checkpoint's. It returns the vocabulary's
// SHA-256; the corpus's is in the Corpus.
func readCorpus(c Config, from resumePoint, log *slog.Logger) (*Corpus, string, error) {
	st, ckDir := from.state, from.dir
	lines, corpusSHA, err := ReadLines(c.Corpus)
	if err != nil {
		return nil, "", err
	}
	if st != nil && st.CorpusSHA != corpusSHA {
		return nil, "", fmt.Errorf("pretrain: %s changed since the checkpoint in %s; restore it or delete %s to start over", c.Corpus, ckDir, ckDir)
	}
	vocabPath := filepath.Join(c.Output, "vocab.txt")
	corp, err := PrepareCorpus(lines, c, vocabPath, st != nil)
	if err != nil {
		return nil, "", err
	}
	corp.SHA256 = corpusSHA
	vsha, err := fileSHA(vocabPath)
	if err != nil {
		return nil, "", err
	}
	if st != nil && st.VocabSHA != vsha {
		return nil, "", fmt.Errorf("pretrain: %s changed since the checkpoint; delete %s to start over", vocabPath, ckDir)
	}
	log.Info("pretrain corpus", "lines", len(lines), "vocab", len(corp.Vocab), "train_sequences", corp.Train.Len(),
		"heldout_sequences", corp.Heldout.Len(), "train_tokens", len(corp.Train.Flat))
	return corp, vsha, nil
}

// session is a run's training state: the model and its optimiser, the
// masking and dropout streams and the step and data position, which a
// checkpoint saves and restores, and the buffers that every step reuses.
type session struct {
	c        Config
	corp     *Corpus
	log      *slog.Logger
	ckDir    string
	vocabSHA string

	m      *Model
	opt    *optim.Adam
	frozen []int32 // rows whose gradient is cleared (freeze_glove)

	maskRNG, dropRNG *rand.Rand
	maskSrc, dropSrc *rand.PCG
	derive           func(e int) *rand.Rand // epoch e's order stream
	step, pos        int
	rows             []LogRow

	masker       Masker
	ord          *order
	bt           batcher
	idx          []int
	mpos, labels []int32
}

// newSession sets up the training of m from step 0: the optimiser (no
// weight decay on frozen GloVe rows) and the named streams of c.Seed.
func newSession(c Config, corp *Corpus, m *Model, gloveRows []int32, ckDir, vocabSHA string, log *slog.Logger) (*session, error) {
	var frozen []int32
	var noDecay *tensor.Param
	if c.Model.FreezeGloVe {
		frozen, noDecay = gloveRows, m.BERT.Embeddings.Word.Weight
	}
	opt, err := newAdamW(m.Params(), c.Train.WeightDecay, noDecay)
	if err != nil {
		return nil, err
	}
	s := &session{c: c, corp: corp, log: log, ckDir: ckDir, vocabSHA: vocabSHA, m: m, opt: opt, frozen: frozen,
		masker: Masker{Prob: c.Train.MaskProb, VocabSize: len(corp.Vocab)}, ord: &order{n: corp.Train.Len()},
		idx: make([]int, c.Train.BatchSize)}
	s.maskRNG, s.maskSrc = stream(seeds.Derive(c.Seed, StreamMask, 0))
	s.dropRNG, s.dropSrc = stream(seeds.Derive(c.Seed, string(seeds.ModelRandomness), 0))
	orderSeed := seeds.Derive(c.Seed, string(seeds.SampleOrder), 0)
	s.derive = func(e int) *rand.Rand { return seeds.New(seeds.Derive(orderSeed, "epoch", e)) }
	return s, nil
}

// restore sets the session to the checkpoint st in folder dir.
func (s *session) restore(st *state, dir string) error {
	if err := loadCheckpoint(dir, s.m, s.opt); err != nil {
		return err
	}
	if err := s.maskSrc.UnmarshalBinary(st.MaskRNG); err != nil {
		return err
	}
	if err := s.dropSrc.UnmarshalBinary(st.DropoutRNG); err != nil {
		return err
	}
	s.step, s.pos, s.rows = st.Step, st.Pos, st.Log
	s.opt.SetSteps(st.AdamSteps)
	return nil
}

// train runs the steps up to c.Train.Steps, logging every log_every steps
// and saving a checkpoint every checkpoint_every steps and at the end. It
// stops early (stopped) once stopAfter steps have run in this call (0:
// never), and returns the steps per second of the steps it ran otherwise.
func (s *session) train(ctx context.Context, stopAfter int) (stopped bool, stepsPerSec float64, err error) {
	c := s.c
	sched, err := optim.NewSchedule(c.Train.Schedule, c.Train.LR, c.Train.Steps)
	if err != nil {
		return false, 0, err
	}
	var sums logSums
	ran := 0
	t0 := time.Now()
	for s.step < c.Train.Steps {
		if err := ctx.Err(); err != nil {
			return false, 0, fmt.Errorf("pretrain: interrupted at step %d (rerun to resume from the last checkpoint): %w", s.step, err)
		}
		lr := sched.LR(s.step)
		out, norm, err := s.optimizerStep(lr)
		if err != nil {
			return false, 0, err
		}
		ran++
		sums.add(out, norm)
		if s.step%c.Train.LogEvery == 0 || s.step == c.Train.Steps {
			s.logMeans(&sums, lr, ran, time.Since(t0).Seconds())
		}
		if (c.Train.CheckpointEvery > 0 && s.step%c.Train.CheckpointEvery == 0) || s.step == c.Train.Steps {
			if err := s.saveState(); err != nil {
				return false, 0, err
			}
		}
		if stopAfter > 0 && ran >= stopAfter && s.step < c.Train.Steps {
			return true, 0, nil
		}
	}
	if el := time.Since(t0).Seconds(); ran > 0 && el > 0 {
		stepsPerSec = float64(ran) / el
	}
	return false, stepsPerSec, nil
}

// optimizerStep trains on the next batch of the data order, masked with the
// masking stream, at learning rate lr, and returns the step's output and
// the gradient norm before clipping.
func (s *session) optimizerStep(lr float64) (Output, float64, error) {
	for i := range s.idx {
		s.idx[i] = s.ord.at(s.pos, s.derive)
		s.pos++
	}
	b := s.bt.fill(s.corp.Train, s.idx)
	s.mpos, s.labels = s.masker.Apply(b, s.maskRNG, s.mpos, s.labels)
	tensor.ZeroGrads(s.m.Params())
	out, err := s.m.Step(b, s.mpos, s.labels, true, s.dropRNG)
	if err != nil {
		return Output{}, 0, fmt.Errorf("pretrain: step %d: %w", s.step+1, err)
	}
	s.m.freezeRows(s.frozen)
	norm := optim.ClipGradNorm(s.m.Params(), s.c.Train.ClipNorm)
	s.opt.Step(lr)
	s.step++
	return out, norm, nil
}

// logSums adds up the steps since the last log row.
type logSums struct {
	loss, norm     float64
	correct, count int
	n              int
}

func (l *logSums) add(out Output, norm float64) {
	l.loss += float64(out.Loss)
	l.norm += norm
	l.correct += out.Correct
	l.count += out.Count
	l.n++
}

// logMeans appends the means of the steps since the last log row to the
// log, prints them with the speed of the ran steps of this process over
// elapsed seconds, and starts new sums.
func (s *session) logMeans(sums *logSums, lr float64, ran int, elapsed float64) {
	r := LogRow{Step: s.step, Loss: sums.loss / float64(sums.n), MaskedAcc: float64(sums.correct) / float64(max(sums.count, 1)),
		LR: lr, GradNorm: sums.norm / float64(sums.n)}
	s.rows = append(s.rows, r)
	steps := s.c.Train.Steps
	s.log.Info("pretrain", "step", s.step, "of", steps, "loss", fmt.Sprintf("%.4f", r.Loss),
		"masked_acc", fmt.Sprintf("%.4f", r.MaskedAcc), "lr", fmt.Sprintf("%.3g", lr),
		"steps_per_s", fmt.Sprintf("%.2f", float64(ran)/elapsed),
		"eta", (time.Duration(float64(steps-s.step)/(float64(ran)/elapsed)) * time.Second).Round(time.Second))
	*sums = logSums{}
}

// saveState saves the session's state as the latest checkpoint.
func (s *session) saveState() error {
	mb, _ := s.maskSrc.MarshalBinary()
	db, _ := s.dropSrc.MarshalBinary()
	st := state{Step: s.step, Pos: s.pos, MaskRNG: mb, DropoutRNG: db, AdamSteps: s.opt.Steps(), Config: s.c,
		VocabSHA: s.vocabSHA, CorpusSHA: s.corp.SHA256, Log: s.rows}
	return saveCheckpoint(s.ckDir, &st, s.m, s.opt)
}

// finish evaluates the trained model on the held-out sequences into res and
// writes the model folder.
func (s *session) finish(res *Result, start time.Time) error {
	var err error
	if res.Eval, err = Evaluate(s.m, s.corp, s.c, 0); err != nil {
		return err
	}
	s.log.Info("pretrain held-out", "masked", res.Eval.Masked, "masked_acc", fmt.Sprintf("%.4f", res.Eval.Acc),
		"loss", fmt.Sprintf("%.4f", res.Eval.Loss), "unigram_top1_acc", fmt.Sprintf("%.4f", res.Eval.UnigramAcc),
		"unigram_loss", fmt.Sprintf("%.4f", res.Eval.UnigramLoss))
	res.WallSeconds = time.Since(start).Seconds()
	return WriteFolder(s.c.Output, s.m, s.corp.Vocab, s.rows, res)
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
