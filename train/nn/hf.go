package nn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/deni-project/deni/train/tensor"
)

// HFName maps the name of a tensor in a Hugging Face checkpoint to the
// model's parameter name: the backbone prefix ("bert.", "roberta.",
// "albert.") is dropped and TF-era LayerNorm names (gamma, beta) are
// renamed. ok is false for tensors a classifier does not use: the
// pre-training heads ("cls.*", "lm_head.*", "predictions.*",
// "sop_classifier.*"), buffers such as "embeddings.position_ids", and
// task heads of fine-tuned checkpoints ("classifier.*", "qa_outputs.*").
func HFName(name string) (string, bool) {
	for _, p := range []string{"bert.", "roberta.", "albert."} {
		if s, ok := strings.CutPrefix(name, p); ok {
			name = s
			break
		}
	}
	for _, p := range []string{"cls.", "lm_head.", "predictions.", "sop_classifier.", "classifier.", "qa_outputs."} {
		if strings.HasPrefix(name, p) {
			return "", false
		}
	}
	if strings.HasSuffix(name, "position_ids") || strings.HasSuffix(name, "token_type_ids") {
		return "", false
	}
	if s, ok := strings.CutSuffix(name, ".gamma"); ok {
		name = s + ".weight"
	} else if s, ok := strings.CutSuffix(name, ".beta"); ok {
		name = s + ".bias"
	}
	return name, true
}

// LoadReport says what LoadHF did.
type LoadReport struct {
	Loaded  int      // parameters copied from the checkpoint
	Missing []string // parameters the checkpoint lacks (left for InitParams)
	Ignored []string // checkpoint tensors the model does not use
}

// LoadHF copies the tensors of a Hugging Face checkpoint (names as in the
// file, see HFName) into m's parameters with the same names and shapes.
// Parameters of the head ("output.*") and the pooler may be absent (the
// paper initialises the head, and RoBERTa's pooler is not pre-trained):
// they are reported in Missing for the caller to initialise from the
// model_init stream. Any other missing backbone parameter, or a shape
// mismatch, is an error and nothing is modified.
func LoadHF(m Classifier, tensors map[string]*tensor.Tensor) (LoadReport, error) {
	var rep LoadReport
	byName := make(map[string]*tensor.Tensor, len(tensors))
	for name, t := range tensors {
		n, ok := HFName(name)
		if !ok {
			rep.Ignored = append(rep.Ignored, name)
			continue
		}
		if _, dup := byName[n]; dup {
			return rep, fmt.Errorf("nn: checkpoint holds %s twice (with and without the model prefix?)", n)
		}
		byName[n] = t
	}
	var wrong, missingBackbone []string
	used := map[string]bool{}
	for _, p := range m.Params() {
		t, ok := byName[p.Name]
		switch {
		case !ok:
			rep.Missing = append(rep.Missing, p.Name)
			if !optionalParam(p.Name) {
				missingBackbone = append(missingBackbone, p.Name)
			}
		case !slices.Equal(t.Shape, p.Shape):
			wrong = append(wrong, fmt.Sprintf("%s (checkpoint %v, model %v)", p.Name, t.Shape, p.Shape))
		default:
			used[p.Name] = true
		}
	}
	for n := range byName {
		if !used[n] && !slices.Contains(rep.Missing, n) {
			rep.Ignored = append(rep.Ignored, n)
		}
	}
	slices.Sort(rep.Ignored)
	if len(wrong) > 0 {
		more := ""
		if len(wrong) > 3 {
			more = fmt.Sprintf(" and %d more", len(wrong)-3)
			wrong = wrong[:3]
		}
		return rep, fmt.Errorf("nn: checkpoint shapes differ from config.json: %s%s", strings.Join(wrong, ", "), more)
	}
	if len(missingBackbone) > 0 {
		more := ""
		if len(missingBackbone) > 3 {
			more = fmt.Sprintf(" and %d more", len(missingBackbone)-3)
			missingBackbone = missingBackbone[:3]
		}
		return rep, fmt.Errorf("nn: checkpoint lacks %s%s: is it a %s checkpoint for this config.json?",
			strings.Join(missingBackbone, ", "), more, orBERT(m.Config().ModelType))
	}
	for _, p := range m.Params() {
		if used[p.Name] {
			copy(p.Data, byName[p.Name].Data)
			rep.Loaded++
		}
	}
	return rep, nil
}

// optionalParam: parameters a pre-trained backbone checkpoint may lack.
func optionalParam(name string) bool {
	return strings.HasPrefix(name, "output.") || strings.HasPrefix(name, "pooler.")
}

func orBERT(t string) string {
	if t == "" {
		return "bert"
	}
	return t
}
