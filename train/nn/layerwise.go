package nn

import (
	"strconv"
	"strings"
)

// Layered is a classifier whose encoder layers the layer-wise strategies
// address by depth (reinit, llrd, mixout of every Linear): BERT, RoBERTa
// and ALBERT.
type Layered interface {
	// LayerPrefixes are the name prefixes of the encoder layers'
	// parameters, lowest layer first ("encoder.layer.0.", …). ALBERT's are
	// its layer groups: the units with weights of their own.
	LayerPrefixes() []string
	// SharedLayers reports whether a layer's weights serve several depths
	// (ALBERT applies each group num_hidden_layers/num_hidden_groups times).
	SharedLayers() bool
	// Linears lists every Linear in Params order: the encoder's attention
	// and feed-forward maps (ALBERT's embedding mapping first), the pooler,
	// the head.
	Linears() []*Linear
}

var (
	_ Layered = (*BERT)(nil)
	_ Layered = (*ALBERT)(nil)
)

// Depth is the depth from the top of parameter name in a classifier whose
// encoder layers have the name prefixes layers (lowest first): 0 for the
// head ("output.") and the pooler ("pooler."), L−i for a parameter of
// layer i of L (adapters inside a layer included), L+1 for the rest (the
// embeddings, ALBERT's embedding mapping, modules shared by every layer).
func Depth(name string, layers []string) int {
	if strings.HasPrefix(name, "output.") || strings.HasPrefix(name, "pooler.") {
		return 0
	}
	for i, pre := range layers {
		if strings.HasPrefix(name, pre) {
			return len(layers) - i
		}
	}
	return len(layers) + 1
}

// LayerPrefixes are "encoder.layer.{i}." for i = 0 … num_hidden_layers−1.
func (m *BERT) LayerPrefixes() []string {
	p := make([]string, len(m.Encoder.Layers))
	for i := range p {
		p[i] = "encoder.layer." + strconv.Itoa(i) + "."
	}
	return p
}

// SharedLayers is false: every BERT layer has its own weights.
func (m *BERT) SharedLayers() bool { return false }

// Linears lists Q, K, V, the attention output and the feed-forward maps of
// every layer, then the pooler and the head.
func (m *BERT) Linears() []*Linear {
	var ls []*Linear
	for i := range m.Encoder.Layers {
		l := &m.Encoder.Layers[i]
		ls = append(ls, &l.Attention.Query, &l.Attention.Key, &l.Attention.Value, &l.AttnOutput, &l.FFN.Intermediate, &l.FFN.Output)
	}
	return append(ls, &m.Pooler.Dense, &m.Head.Output)
}

// LayerPrefixes are "encoder.albert_layer_groups.{g}." for every group.
func (m *ALBERT) LayerPrefixes() []string {
	p := make([]string, len(m.Groups))
	for i := range p {
		p[i] = "encoder.albert_layer_groups." + strconv.Itoa(i) + "."
	}
	return p
}

// SharedLayers is true: a group's weights serve several depths.
func (m *ALBERT) SharedLayers() bool { return true }

// Linears lists the embedding mapping, Q, K, V, the attention output and
// the feed-forward maps of every layer of every group, the pooler, the head.
func (m *ALBERT) Linears() []*Linear {
	ls := []*Linear{&m.MapIn}
	for gi := range m.Groups {
		for li := range m.Groups[gi] {
			l := &m.Groups[gi][li]
			ls = append(ls, &l.Attention.Query, &l.Attention.Key, &l.Attention.Value, &l.AttnOutput, &l.FFN.Intermediate, &l.FFN.Output)
		}
	}
	return append(ls, &m.Pooler, &m.Head.Output)
}
