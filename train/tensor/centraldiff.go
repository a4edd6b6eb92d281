package tensor

// CentralDifference is the numeric derivative of loss in x = data[i]:
// (loss(x+h) − loss(x−h)) divided by the step actually taken in float32,
// (x+h) − (x−h), which may differ slightly from 2h. It restores data[i].
// Tests check hand-derived gradients against it.
func CentralDifference(data []float32, i int, h float32, loss func() float64) float64 {
	x := data[i]
	data[i] = x + h
	lp := loss()
	data[i] = x - h
	lm := loss()
	data[i] = x
	return (lp - lm) / (float64(x+h) - float64(x-h))
}
