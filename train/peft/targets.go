package peft

import (
	"fmt"
	"slices"
	"strings"

	"github.com/deni-project/deni/train/nn"
)

// site is a Linear of the backbone with its module name (its parameters'
// HF name without ".weight"), e.g. "encoder.layer.0.attention.self.query".
type site struct {
	name string
	lin  *nn.Linear
}

// block is one transformer layer (an ALBERT layer is shared by several
// applications) with the places a method can hook.
type block struct {
	attn     *nn.SelfAttention
	attnName string // encoder.layer.0.attention.self | …albert_layers.0.attention
	linears  []site // query, key, value, attention output, intermediate, output
	out      *nn.OutputHook
	outName  string // encoder.layer.0.output | …albert_layers.0
	apps     int    // applications per forward pass
}

func moduleName(l *nn.Linear) string { return strings.TrimSuffix(l.Weight.Name, ".weight") }

// newBlock describes one encoder layer (BERT's and ALBERT's have the same
// parts under other names): its six linear maps in a fixed order, and the
// module names of its attention and of its output block (the last linear's
// name without outSuffix).
func newBlock(attn *nn.SelfAttention, attnOut *nn.Linear, ffn *nn.FeedForward, hook *nn.OutputHook, apps int, outSuffix string) block {
	b := block{attn: attn, out: hook, apps: apps}
	for _, lin := range []*nn.Linear{&attn.Query, &attn.Key, &attn.Value, attnOut, &ffn.Intermediate, &ffn.Output} {
		b.linears = append(b.linears, site{moduleName(lin), lin})
	}
	b.attnName = strings.TrimSuffix(b.linears[0].name, ".query")
	b.outName = strings.TrimSuffix(b.linears[5].name, outSuffix)
	return b
}

// blocksOf lists the layers of a BERT, RoBERTa or ALBERT classifier.
func blocksOf(c nn.Classifier) ([]block, error) {
	switch m := c.(type) {
	case *nn.BERT:
		var bs []block
		for i := range m.Encoder.Layers {
			l := &m.Encoder.Layers[i]
			bs = append(bs, newBlock(&l.Attention, &l.AttnOutput, &l.FFN, &l.OutHook, 1, ".dense"))
		}
		return bs, nil
	case *nn.ALBERT:
		var bs []block
		apps := m.Cfg.NumHiddenLayers / m.Cfg.NumHiddenGroups
		for gi := range m.Groups {
			for li := range m.Groups[gi] {
				l := &m.Groups[gi][li]
				bs = append(bs, newBlock(&l.Attention, &l.AttnOutput, &l.FFN, &l.OutHook, apps, ".ffn_output"))
			}
		}
		return bs, nil
	case *Model:
		return nil, fmt.Errorf("peft: the model is already tuned with %s", m.cfg.Method)
	}
	return nil, fmt.Errorf("peft: cannot tune a %T (BERT, RoBERTa or ALBERT)", c)
}

// modelType is the family whose reference targets apply: bert (also the
// default glove-mini), roberta or albert.
func modelType(c nn.Classifier) string {
	switch t := c.Config().ModelType; t {
	case "roberta", "albert":
		return t
	}
	return "bert"
}

// peftMatch is peft's target matching for a list: the module name equals a
// target or ends with "." + target.
func peftMatch(name string, targets ...string) bool {
	return slices.ContainsFunc(targets, func(t string) bool { return name == t || strings.HasSuffix(name, "."+t) })
}

// containsAny reports whether the module name holds one of parts.
func containsAny(name string, parts ...string) bool {
	return slices.ContainsFunc(parts, func(p string) bool { return strings.Contains(name, p) })
}

// loraTarget reports whether LoRA (peft) adapts the module, as the
// reference code configures it: BERT peft's default targets (query,
// value); RoBERTa every module whose name holds dense, query, key or value
// except the pooler (q, k, v, attention.output.dense, intermediate.dense,
// output.dense); ALBERT the modules whose name holds key or value.
func loraTarget(mt, name string) bool {
	switch mt {
	case "roberta":
		return containsAny(name, "dense", "query", "key", "value") && !strings.Contains(name, "pooler")
	case "albert":
		return containsAny(name, "key", "value")
	}
	return peftMatch(name, "query", "value")
}

// ia3Target reports whether IA3 (peft) adapts the module and whether it is
// a feed-forward module (its input is rescaled, not its output), as the
// reference code configures it. BERT: peft's defaults, targets key, value
// and output.dense, feed-forward output.dense. peft matches targets by
// suffix ".output.dense" and feed-forward modules by suffix "output.dense",
// so attention.output.dense is a target and a feed-forward module too.
// RoBERTa: q, k, v and every non-pooler dense, feed-forward = the dense
// ones. ALBERT: q, k, v, ffn_output and the dense ones, feed-forward =
// ffn_output and dense.
func ia3Target(mt, name string) (target, ff bool) {
	switch mt {
	case "roberta":
		if strings.Contains(name, "pooler") {
			return false, false
		}
		dense := strings.Contains(name, "dense")
		return dense || containsAny(name, "query", "key", "value"), dense
	case "albert":
		d := containsAny(name, "ffn_output", "dense")
		return d || containsAny(name, "query", "key", "value"), d
	}
	return peftMatch(name, "key", "value", "output.dense"), strings.HasSuffix(name, "output.dense")
}

// unipeltLoRATarget: the adapters library's LoRAConfig defaults
// (selfattn_lora, attn_matrices q and v) for every model.
func unipeltLoRATarget(name string) bool {
	return strings.HasSuffix(name, ".query") || strings.HasSuffix(name, ".value")
}
