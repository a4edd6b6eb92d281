package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// rowModel is a tiny model with an embedding table: loss = CE(Linear(mean
// of looked-up rows)), optionally with the table also used as a tied
// decoder (a dense write), a caller-defined op, or a view of the table.
type rowModel struct {
	emb, w *Param
	g      *Graph
	op     scaleOp
}

const rowVocab, rowDim, rowPad = 40, 6, 3

func newRowModel(tracked bool) *rowModel {
	m := &rowModel{emb: NewParam("emb", true, rowVocab, rowDim), w: NewParam("w", true, 4, rowDim), g: NewGraph()}
	if tracked {
		m.emb.TrackGradRows()
		m.w.TrackGradRows() // a Linear weight: its record is always dense
	}
	r := rand.New(rand.NewPCG(7, 7))
	for _, p := range []*Param{m.emb, m.w} {
		for i := range p.Data {
			p.Data[i] = float32(r.NormFloat64())
		}
	}
	return m
}

// scenarios of one step: how the table is used besides the lookup.
const (
	useLookup = iota // only Embedding lookups write the table's gradient
	useTied          // the table is also a Linear weight (dense write)
	useCustom        // a caller-defined op runs (any gradient may be written)
	useView          // the lookup reads a Reshape view of the table
	useDirect        // code outside the graph writes a row and says so
	numUses
)

// forward runs the model on ids; zeroMid clears the gradients between the
// forward and the backward pass (as some training loops do).
func (m *rowModel) step(ids []int32, use int, zeroMid bool) {
	g := m.g
	g.Reset()
	table := m.emb.Tensor
	if use == useView {
		table = g.Reshape(table, rowVocab*rowDim/2, 2)
		table = g.Reshape(table, rowVocab, rowDim)
	}
	x := g.Reshape(g.EmbeddingPad(table, ids, rowPad), 2, len(ids)/2, rowDim)
	h := g.MeanPool(x, nil)
	if use == useCustom {
		h = m.op.forward(g, h, FromData([]float32{1.5}, 1))
	}
	logits := g.Linear(h, m.w.Tensor, nil)
	if use == useTied {
		logits = g.Add(logits, g.Slice(g.Linear(h, m.emb.Tensor, nil), 1, 0, 4))
	}
	loss := g.CrossEntropy(logits, []int32{1, 2})
	if zeroMid {
		ZeroGrads([]*Param{m.emb, m.w})
	}
	g.Backward(loss)
	if use == useDirect {
		m.emb.Grad[5*rowDim+1] += 0.25 // row 5, whatever the batch
		m.emb.MarkGradWritten()
	}
}

// TestZeroGradsRowRecord: with row records on, every step's gradients and
// every cleared gradient are bit for bit those of whole clears, through
// lookups only (rows cleared one by one), tied dense writes, caller-defined
// ops, views, writes outside the graph and clears between forward and
// backward; and the record is used (GradRowsTouched) when it can be.
func TestZeroGradsRowRecord(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tracked, plain := newRowModel(true), newRowModel(false)
	ps := func(m *rowModel) []*Param { return []*Param{m.emb, m.w} }
	recordUsed := 0
	for step := range 300 {
		ids := make([]int32, 2*(1+r.IntN(5)))
		for i := range ids {
			ids[i] = int32(r.IntN(rowVocab))
			if r.IntN(6) == 0 {
				ids[i] = rowPad
			}
		}
		use := useLookup
		if step%4 == 3 {
			use = r.IntN(numUses)
		}
		zeroMid := step%17 == 5
		for _, m := range []*rowModel{tracked, plain} {
			ZeroGrads(ps(m))
			for _, p := range ps(m) {
				for i, v := range p.Grad {
					if math.Float32bits(v) != 0 {
						t.Fatalf("step %d: %s.Grad[%d] = %v after ZeroGrads", step, p.Name, i, v)
					}
				}
			}
			m.step(ids, use, zeroMid)
			if step%3 == 0 { // gradients accumulate over two passes sometimes
				m.step(ids[:2], useLookup, false)
			}
		}
		for i, p := range ps(tracked) {
			q := ps(plain)[i]
			for j := range p.Grad {
				if math.Float32bits(p.Grad[j]) != math.Float32bits(q.Grad[j]) {
					t.Fatalf("step %d (use %d): %s.Grad[%d] = %v, whole clears give %v", step, use, p.Name, j, p.Grad[j], q.Grad[j])
				}
			}
		}
		if touched := tracked.emb.GradRowsTouched(); touched != nil {
			recordUsed++
			for row, tc := range touched {
				if tc {
					continue
				}
				for _, v := range tracked.emb.Grad[row*rowDim : (row+1)*rowDim] {
					if math.Float32bits(v) != 0 {
						t.Fatalf("step %d: row %d not recorded but its gradient is %v", step, row, v)
					}
				}
			}
			if touched[rowPad] {
				t.Fatalf("step %d: the padding row is recorded", step)
			}
		}
		if plain.emb.GradRowsTouched() != nil {
			t.Fatal("a record without tracking")
		}
	}
	if recordUsed < 150 {
		t.Errorf("the row record was valid after only %d of 300 steps", recordUsed)
	}
}

// TestRowRecordInvalidation: what makes a record untrustworthy.
func TestRowRecordInvalidation(t *testing.T) {
	m := newRowModel(true)
	ps := []*Param{m.emb, m.w}
	ids := []int32{1, 2, 9, rowPad}
	ZeroGrads(ps)
	m.step(ids, useLookup, false)
	touched := m.emb.GradRowsTouched()
	if touched == nil || !touched[1] || !touched[9] || touched[0] || touched[rowPad] {
		t.Fatalf("lookup record: %v", touched)
	}
	if m.w.GradRowsTouched() != nil {
		t.Error("a Linear weight's record is valid")
	}
	for _, use := range []int{useTied, useCustom, useDirect} {
		ZeroGrads(ps)
		ZeroGrads(ps) // a whole clear after the dense step: valid again
		m.step(ids, use, false)
		if m.emb.GradRowsTouched() != nil {
			t.Errorf("use %d: the record is still trusted", use)
		}
	}
	// A custom op anywhere (another graph, another model) invalidates too.
	ZeroGrads(ps)
	ZeroGrads(ps)
	other := newRowModel(false)
	other.step(ids, useCustom, false)
	if m.emb.GradRowsTouched() != nil {
		t.Error("record trusted after another model's custom op")
	}
	// A new gradient buffer starts the record again.
	ZeroGrads(ps)
	ZeroGrads(ps)
	m.emb.SetTrainable(false)
	m.emb.SetTrainable(true)
	if m.emb.GradRowsTouched() != nil {
		t.Error("record trusted across SetTrainable")
	}
	// Without TrackGradRows nothing is recorded, so a model may write its
	// gradients by hand: ZeroGrads clears them whole.
	p := NewParam("by-hand", true, 5, 2)
	ZeroGrads([]*Param{p})
	p.Grad[7] = 3
	ZeroGrads([]*Param{p})
	if p.Grad[7] != 0 || p.GradRowsTouched() != nil {
		t.Error("an untracked gradient was not cleared whole")
	}
}
