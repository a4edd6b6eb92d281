//go:build !amd64

package tensor

func hasAVX2() bool { return false }

func expAVX2(dst, src []float32)               { panic("unreachable") }
func geluTanhAVX2(out, sig, x []float32)       { panic("unreachable") }
func geluTanhGradAVX2(dx, d, sig, x []float32) { panic("unreachable") }
func geluErfAVX2(out, cdf, pdf, x []float32)   { panic("unreachable") }

func layerNormOutAVX2(out, x, w, b []float32, m, rs float32) { panic("unreachable") }
