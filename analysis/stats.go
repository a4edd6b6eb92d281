package analysis

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// The statistics that are awkward in SQL: bootstrap intervals and the
// p-values of the tests against the default strategy. The descriptive
// statistics (mean, std, quantiles) are in sql/summary_stats.sql.

// Bootstrap settings: 2,000 resamples, a fixed seed. Each configuration's
// stream is seeded by BootstrapSeed and a hash of its key, so its interval
// does not depend on which other configurations are in the folder.
const (
	BootstrapResamples = 2000
	BootstrapSeed      = 20240618 // arXiv 2406.12471 was first posted on 18 June 2024
)

// Interval is a two-sided confidence interval.
type Interval struct{ Low, High float64 }

// bootstrap returns the 95% percentile bootstrap intervals of the mean and of
// the population std (ddof 0) of xs: resamples draws of len(xs) values with
// replacement from a PCG stream seeded by (seed, key). The percentiles use
// linear interpolation (numpy's default). Fewer than 2 values give NaN.
func bootstrap(xs []float64, resamples int, seed uint64, key string) (mean, std Interval) {
	nan := Interval{math.NaN(), math.NaN()}
	n := len(xs)
	if n < 2 || resamples < 1 {
		return nan, nan
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	means := make([]float64, resamples)
	stds := make([]float64, resamples)
	sample := make([]float64, n)
	for b := 0; b < resamples; b++ {
		for i := range sample {
			sample[i] = xs[rng.IntN(n)]
		}
		m := meanOf(sample)
		means[b] = m
		stds[b] = math.Sqrt(sumSq(sample, m) / float64(n))
	}
	sort.Float64s(means)
	sort.Float64s(stds)
	return Interval{quantileSorted(means, 0.025), quantileSorted(means, 0.975)},
		Interval{quantileSorted(stds, 0.025), quantileSorted(stds, 0.975)}
}

// welch is Welch's unequal-variance t-test of equal means (two-sided), as
// scipy.stats.ttest_ind(a, b, equal_var=False): t = (ma - mb) / se with
// se² = va/na + vb/nb (sample variances) and the Welch–Satterthwaite degrees
// of freedom. NaN when a group has fewer than 2 values or both have no
// spread.
func welch(a, b []float64) (t, df, p float64) {
	na, nb := float64(len(a)), float64(len(b))
	if len(a) < 2 || len(b) < 2 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	ma, mb := meanOf(a), meanOf(b)
	va, vb := sumSq(a, ma)/(na-1), sumSq(b, mb)/(nb-1)
	sa, sb := va/na, vb/nb
	se2 := sa + sb
	if se2 == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	t = (ma - mb) / math.Sqrt(se2)
	df = se2 * se2 / (sa*sa/(na-1) + sb*sb/(nb-1))
	p = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
	return t, df, math.Min(p, 1)
}

// brownForsythe is the Brown–Forsythe test of equal variances (Levene's test
// with the group medians, as scipy.stats.levene(center='median')): a one-way
// ANOVA on z = |x - median(group)|, W = (N-k)/(k-1) · Σ nᵢ(z̄ᵢ - z̄)² /
// ΣΣ (zᵢⱼ - z̄ᵢ)², p from F(k-1, N-k). NaN when a group has fewer than 2
// values or the deviations have no spread within the groups.
func brownForsythe(groups ...[]float64) (w, p float64) {
	k := len(groups)
	if k < 2 {
		return math.NaN(), math.NaN()
	}
	var total float64
	var n int
	zs := make([][]float64, k)
	for i, g := range groups {
		if len(g) < 2 {
			return math.NaN(), math.NaN()
		}
		s := append([]float64(nil), g...)
		sort.Float64s(s)
		med := quantileSorted(s, 0.5)
		z := make([]float64, len(g))
		for j, x := range g {
			z[j] = math.Abs(x - med)
			total += z[j]
		}
		zs[i] = z
		n += len(g)
	}
	grand := total / float64(n)
	var between, within float64
	for _, z := range zs {
		m := meanOf(z)
		between += float64(len(z)) * (m - grand) * (m - grand)
		within += sumSq(z, m)
	}
	if within == 0 {
		return math.NaN(), math.NaN()
	}
	d1, d2 := float64(k-1), float64(n-k)
	w = d2 / d1 * between / within
	p = distuv.F{D1: d1, D2: d2}.Survival(w)
	return w, p
}

// bfZ is the Brown–Forsythe comparison of two groups as a signed normal
// score, so that datasets can be pooled: for two groups the test is
// Student's pooled-variance t-test on the deviations from each group's
// median (t² is W), and z is the normal quantile of its one-sided p,
// negative when a spreads less than b (so 2·Φ(-|z|) is brownForsythe's p).
// Over k independent datasets, Stouffer's Σz/√k is again a standard normal
// when no spread differs (normalP gives its p). NaN where brownForsythe's p is.
func bfZ(a, b []float64) float64 {
	if len(a) < 2 || len(b) < 2 {
		return math.NaN()
	}
	w, narrower := brownForsythe2Signed(slices.Clone(a), slices.Clone(b))
	return bfScore(w, narrower, len(a)+len(b)-2)
}

// bfScore is bfZ from the statistic W of two groups with df = n - 2.
func bfScore(w float64, narrower bool, df int) float64 {
	t := math.Sqrt(w) // NaN (no spread) stays NaN
	if narrower {
		t = -t
	}
	return tScore(t, float64(df))
}

// welchZ is welch's test as a signed normal score, as bfZ: negative when a's
// mean is lower.
func welchZ(a, b []float64) float64 {
	t, df, _ := welch(a, b)
	if math.IsNaN(t) {
		return math.NaN()
	}
	return tScore(t, df)
}

// tScore is the normal score with the same one-sided tail as Student's t
// with df degrees of freedom: the tail beyond |t| on t's side, and its
// normal quantile from that tail (Erfcinv keeps the digits of a tiny p that
// 1-p would lose).
func tScore(t, df float64) float64 {
	tail := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
	return math.Copysign(math.Sqrt2*math.Erfcinv(2*tail), t)
}

// normalP is the two-sided p of a standard normal score z: 2·Φ(-|z|).
func normalP(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

func meanOf(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func sumSq(xs []float64, m float64) float64 {
	var s float64
	for _, x := range xs {
		d := x - m
		s += d * d
	}
	return s
}

// quantileSorted is the q-quantile of sorted xs with linear interpolation
// between order statistics (numpy's default, DuckDB's quantile_cont).
func quantileSorted(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	if lo == hi {
		return xs[lo]
	}
	return xs[lo] + (pos-float64(lo))*(xs[hi]-xs[lo])
}
