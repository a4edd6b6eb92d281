//go:build !amd64

package optim

var useAVX2 = false

func adamAVX2(data, g, m, v []float32, c *adamVec) { panic("unreachable") }
