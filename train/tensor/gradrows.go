package tensor

import "sync/atomic"

// Row tracking of matrix gradients. An embedding table's gradient is a
// vocabulary of rows of which a batch writes a few dozen, yet clearing it
// (ZeroGrads) and finding its idle rows (Adam) read or write all of it
// every step. A matrix whose owner declares that only graph ops write its
// gradient (TrackGradRows: nn's embedding tables) gets a gradRows that
// records, during Backward, which rows graph ops wrote since the gradient
// was last cleared whole or by rows:
//
//   - an Embedding lookup of the parameter records the rows it scatters into;
//   - any other graph op with the parameter as an input (a tied decoder, a
//     Linear layer's weight, a MatMul of a Reshape of it: views share the
//     record) makes the record dense: any row may then be nonzero;
//   - a caller-defined op (Graph.Record) may write anything, so running one
//     makes every record in the process untrustworthy (customEpoch) until
//     its parameter is cleared whole again.
//
// Rows that no record lists are then exactly +0, as clear left them, and the
// row-wise clear or skip gives the same bits as the whole one. Code that
// writes into such a Grad outside graph ops (other than clearing rows or
// scaling by a positive factor, which keep +0 rows +0) must call
// MarkGradWritten. Parameters without TrackGradRows (a model that writes
// its gradients by hand) are always cleared and scanned whole.
type gradRows struct {
	touched []bool  // touched[r]: row r was written since the last clear
	list    []int32 // the touched rows, in the order first written
	dense   bool    // some write was not recorded: every row may be nonzero
	epoch   uint64  // customEpoch when the gradient was last cleared whole
}

// customEpoch counts the caller-defined ops that ran backward; a record
// taken in an earlier epoch is not trusted.
var customEpoch atomic.Uint64

func newGradRows(rows int) *gradRows {
	return &gradRows{touched: make([]bool, rows), list: make([]int32, 0, rows), dense: true}
}

// valid reports whether the record lists every row that may be nonzero.
func (r *gradRows) valid() bool {
	return r != nil && !r.dense && r.epoch == customEpoch.Load()
}

// mark records that row id is written.
func (r *gradRows) mark(id int32) {
	if !r.touched[id] {
		r.touched[id] = true
		r.list = append(r.list, id)
	}
}

// cleared records a whole clear done at custom-op epoch e.
func (r *gradRows) cleared(e uint64) {
	for _, id := range r.list {
		r.touched[id] = false
	}
	r.list = r.list[:0]
	r.dense = false
	r.epoch = e
}

// zeroGrad clears p's gradient: only the recorded rows when the record is
// valid, else all of it (and the record starts again from there).
func zeroGrad(p *Param) {
	if p.Grad == nil {
		return
	}
	r := p.rows
	if !r.valid() || len(r.touched) == 0 || len(p.Grad)%len(r.touched) != 0 {
		e := customEpoch.Load() // before the clear: a later custom op invalidates
		clear(p.Grad)
		if r != nil {
			r.cleared(e)
		}
		return
	}
	w := len(p.Grad) / len(r.touched)
	for _, id := range r.list {
		clear(p.Grad[int(id)*w : (int(id)+1)*w])
		r.touched[id] = false
	}
	r.list = r.list[:0]
}

// TrackGradRows declares that only graph ops write t's gradient (t is a
// matrix [rows, …]; an embedding table), or code that calls
// MarkGradWritten after writing it: ZeroGrads then clears only the rows
// written since the last clear, and GradRowsTouched tells optimizers which
// rows may be nonzero. The results are the same as without.
func (t *Tensor) TrackGradRows() {
	if t.rows == nil && len(t.Shape) >= 2 && t.Shape[0] > 0 {
		t.rows = newGradRows(t.Shape[0])
	}
}

// GradRowsTouched returns, for a matrix whose gradient rows are recorded
// (TrackGradRows), which rows may be nonzero: a row r with
// touched[r] false is exactly +0. It returns nil when no valid record
// exists; then any row may be nonzero. The slice is the record itself:
// read it, do not keep it past the next step.
func (t *Tensor) GradRowsTouched() []bool {
	if !t.rows.valid() {
		return nil
	}
	return t.rows.touched
}

// MarkGradWritten tells ZeroGrads and the optimizers that code outside the
// graph ops wrote into t.Grad: any row may be nonzero until the next whole
// clear.
func (t *Tensor) MarkGradWritten() {
	if t.rows != nil {
		t.rows.dense = true
	}
}

// recordWrites notes, before node nd runs backward, which gradients it
// writes: the rows of an Embedding lookup, or all of any other input.
func recordWrites(nd *node) {
	if nd.op == opCustom {
		customEpoch.Add(1)
		return
	}
	for i, t := range [...]*Tensor{nd.a, nd.b, nd.c, nd.d, nd.e} {
		if t == nil || t.rows == nil {
			continue
		}
		if i == 0 && nd.op == opEmbedding {
			pad := nd.n[1]
			for _, id := range nd.ids {
				if int(id) != pad {
					t.rows.mark(id)
				}
			}
			continue
		}
		t.rows.dense = true
	}
}
