package optim

// StateBytes is the memory of the optimizer's state: the first and second
// moments (4 bytes a value) of every parameter that has them (a packed
// matrix's used rows alone), the idle-row flags (a byte a row) and the packed
// rows' positions (4 bytes a row).
func (o *Adam) StateBytes() int64 {
	var n int64
	for _, s := range o.state {
		n += 4*int64(len(s.m)+len(s.v)) + int64(len(s.idle)) + 4*int64(len(s.slot))
	}
	return n
}

// StateBytes is the memory of the optimizer's state: the momentum buffers
// (4 bytes a value; none without momentum).
func (o *SGD) StateBytes() int64 {
	var n int64
	for _, s := range o.state {
		n += 4 * int64(len(s.buf))
	}
	return n
}
