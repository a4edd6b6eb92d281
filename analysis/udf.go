package analysis

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"

	"github.com/duckdb/duckdb-go/v2"
)

// testUDFs are the tests of stats.go as SQL functions of two lists of
// values, so that a query can test any two groups it forms (for example a
// readout column against default's macro_f1):
//
//	welch_p(a DOUBLE[], b DOUBLE[])  two-sided p of Welch's t-test (scipy's ttest_ind(equal_var=False))
//	bf_p(a DOUBLE[], b DOUBLE[])     p of the Brown–Forsythe test (scipy's levene(center='median'))
//	bf_z(a DOUBLE[], b DOUBLE[])     the same test as a signed normal score, negative when a spreads less
//	                                 (bfZ: sum it over independent datasets, divide by √k: Stouffer)
//	welch_z(a DOUBLE[], b DOUBLE[])  Welch's test as a signed normal score, negative when a's mean is lower
//
// and normal_p(z DOUBLE), the two-sided p of a standard normal score.
//
// NULL when a list has fewer than 2 values or the test is undefined; NULL
// and NaN elements are skipped.
var testUDFs = []struct {
	name string
	test func(a, b []float64) float64
}{
	{"welch_p", func(a, b []float64) float64 { _, _, p := welch(a, b); return p }},
	{"bf_p", func(a, b []float64) float64 { _, p := brownForsythe(a, b); return p }},
	{"bf_z", bfZ},
	{"welch_z", welchZ},
}

type listTestUDF struct {
	list, double duckdb.TypeInfo
	test         func(a, b []float64) float64
}

func (u listTestUDF) Config() duckdb.ScalarFuncConfig {
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{u.list, u.list}, ResultTypeInfo: u.double}
}

func (u listTestUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(v []driver.Value) (any, error) {
		p := u.test(floats(v[0]), floats(v[1]))
		if math.IsNaN(p) {
			return nil, nil
		}
		return p, nil
	}}
}

// floats keeps the finite numbers of a DuckDB list value.
func floats(v driver.Value) []float64 {
	items, _ := v.([]any)
	out := make([]float64, 0, len(items))
	for _, it := range items {
		if f, ok := it.(float64); ok && !math.IsNaN(f) {
			out = append(out, f)
		}
	}
	return out
}

type normalPUDF struct{ double duckdb.TypeInfo }

func (u normalPUDF) Config() duckdb.ScalarFuncConfig {
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{u.double}, ResultTypeInfo: u.double}
}

func (u normalPUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(v []driver.Value) (any, error) {
		z, ok := v[0].(float64)
		if !ok || math.IsNaN(z) {
			return nil, nil
		}
		return normalP(z), nil
	}}
}

// registerUDFs adds testUDFs and normal_p to the session's connection.
func registerUDFs(c *sql.Conn) error {
	double, err := duckdb.NewTypeInfo(duckdb.TYPE_DOUBLE)
	if err != nil {
		return err
	}
	list, err := duckdb.NewListInfo(double)
	if err != nil {
		return err
	}
	for _, u := range testUDFs {
		if err := duckdb.RegisterScalarUDF(c, u.name, listTestUDF{list: list, double: double, test: u.test}); err != nil {
			return fmt.Errorf("register SQL function %s: %w", u.name, err)
		}
	}
	if err := duckdb.RegisterScalarUDF(c, "normal_p", normalPUDF{double: double}); err != nil {
		return fmt.Errorf("register SQL function normal_p: %w", err)
	}
	return nil
}
