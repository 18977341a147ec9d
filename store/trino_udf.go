package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"
)

// Plumbing for the Go scalar functions behind the Trino macros.
//
// DuckDB calls a scalar UDF once per chunk (up to 2048 rows), possibly from
// several threads at once, so every executor here is safe for concurrent use
// and keeps its per-call state on the stack. Functions whose arguments and
// result are all VARCHAR read the input vectors in place (borrowed strings,
// no copy) and write the result vector directly; the others go through the
// driver's row iterator, which converts each value to a Go value.

// udf implements duckdb.ScalarFunc.
type udf struct {
	config   duckdb.ScalarFuncConfig
	executor duckdb.ScalarFuncExecutor
}

func (u *udf) Config() duckdb.ScalarFuncConfig     { return u.config }
func (u *udf) Executor() duckdb.ScalarFuncExecutor { return u.executor }

var typeInfos sync.Map // duckdb.Type -> duckdb.TypeInfo

// ti returns the TypeInfo of a primitive type.
func ti(t duckdb.Type) duckdb.TypeInfo {
	if v, ok := typeInfos.Load(t); ok {
		return v.(duckdb.TypeInfo)
	}
	info, err := duckdb.NewTypeInfo(t)
	if err != nil {
		panic(fmt.Sprintf("duckdb type %v: %v", t, err)) // programming error: only primitive types are asked for
	}
	typeInfos.Store(t, info)
	return info
}

func tis(ts ...duckdb.Type) []duckdb.TypeInfo {
	infos := make([]duckdb.TypeInfo, len(ts))
	for i, t := range ts {
		infos[i] = ti(t)
	}
	return infos
}

// strResult is what a string function returns for one row.
type strResult struct {
	s    string
	null bool
}

// strFn computes one row of a function whose arguments and result are
// VARCHAR. The arguments are borrowed: they are valid only during the call.
// buf is scratch space the function may use to build its result (the result
// may alias it: it is copied into DuckDB before the next call).
type strFn func(args []string, buf *[]byte) (strResult, error)

// stringUDF makes a VARCHAR function of n VARCHAR arguments. NULL in any
// argument gives NULL. mk is called once per chunk, so that the function it
// returns may keep per-chunk state (such as the last compiled format).
func stringUDF(n int, mk func() strFn) *udf {
	in := make([]duckdb.Type, n)
	for i := range in {
		in[i] = duckdb.TYPE_VARCHAR
	}
	return &udf{
		config: duckdb.ScalarFuncConfig{InputTypeInfos: tis(in...), ResultTypeInfo: ti(duckdb.TYPE_VARCHAR)},
		executor: duckdb.ScalarFuncExecutor{ChunkContextExecutor: func(_ context.Context, st *duckdb.ChunkIteratorState) error {
			chunk := st.GetInputChunk()
			views := make([]duckdb.VectorView[string], n)
			for i := range views {
				vec, err := chunk.GetVector(i)
				if err != nil {
					return err
				}
				if views[i], err = duckdb.GetVectorView[string](vec); err != nil {
					return err
				}
			}
			out, err := duckdb.GetVectorWriter[string](st.GetResultVector())
			if err != nil {
				return err
			}
			args := make([]string, n)
			var buf []byte
			fn := mk()
			size := chunk.GetSize()
		rows:
			for row := 0; row < size; row++ {
				for i := range views {
					v, ok, err := views[i].GetValueBorrowed(row)
					if err != nil {
						return err
					}
					if !ok {
						continue rows // the driver sets the NULL result
					}
					args[i] = v
				}
				r, err := fn(args, &buf)
				if err != nil {
					return err
				}
				if r.null {
					err = out.SetNull(row)
				} else {
					err = out.Set(row, r.s)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
}

// bytesString returns b as a string without copying; the string is valid
// only while b is not modified.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// rowFn computes one row from driver values (NULL is nil); it returns the
// result (nil for NULL).
type rowFn func(args []driver.Value) (any, error)

// valueUDF makes a function of the given argument and result types that
// converts each row to Go values. With nullIn, NULL arguments reach the
// function; otherwise NULL in any argument gives NULL. mk is called once per
// chunk.
func valueUDF(in []duckdb.Type, out duckdb.Type, nullIn bool, mk func() rowFn) *udf {
	return &udf{
		config:   duckdb.ScalarFuncConfig{InputTypeInfos: tis(in...), ResultTypeInfo: ti(out), SpecialNullHandling: nullIn},
		executor: duckdb.ScalarFuncExecutor{ChunkContextExecutor: rowsExecutor(mk)},
	}
}

// variadicUDF makes a function whose arguments after the fixed ones are of
// any type; NULL arguments reach the function.
func variadicUDF(in []duckdb.Type, out duckdb.Type, mk func() rowFn) *udf {
	return &udf{
		config:   duckdb.ScalarFuncConfig{InputTypeInfos: tis(in...), VariadicTypeInfo: ti(duckdb.TYPE_ANY), ResultTypeInfo: ti(out), SpecialNullHandling: true},
		executor: duckdb.ScalarFuncExecutor{ChunkContextExecutor: rowsExecutor(mk)},
	}
}

func rowsExecutor(mk func() rowFn) duckdb.ChunkContextExecutorFn {
	return func(_ context.Context, st *duckdb.ChunkIteratorState) error {
		fn := mk()
		args := make([]driver.Value, st.ColumnCount())
		for r, err := range st.Rows() {
			if err != nil {
				return err
			}
			for i := range args {
				args[i] = *r.GetValuePtr(i)
			}
			v, err := fn(args)
			if err != nil {
				return err
			}
			if err := r.SetResult(v); err != nil {
				return err
			}
		}
		return nil
	}
}

// registerUDFs registers the functions on the connection, each name with
// its overloads.
func registerUDFs(conn *sql.Conn, fns map[string][]*udf) error {
	for name, set := range fns {
		funcs := make([]duckdb.ScalarFunc, len(set))
		for i, f := range set {
			funcs[i] = f
		}
		var err error
		if len(funcs) == 1 {
			err = duckdb.RegisterScalarUDF(conn, name, funcs[0])
		} else {
			err = duckdb.RegisterScalarUDFSet(conn, name, funcs...)
		}
		if err != nil {
			return fmt.Errorf("cannot register %s: %w", name, err)
		}
	}
	return nil
}

// cache memoizes a compiled form of a string argument (a format, a path,
// a pattern). Compiled values are immutable and shared by all threads;
// errors are cached too.
type cache[T any] struct {
	m  sync.Map // string -> cacheEntry[T]
	n  int64
	mu sync.Mutex
}

type cacheEntry[T any] struct {
	v   T
	err error
}

const cacheMax = 1024

func (c *cache[T]) get(key string, compile func(string) (T, error)) (T, error) {
	if e, ok := c.m.Load(key); ok {
		ce := e.(cacheEntry[T])
		return ce.v, ce.err
	}
	key = strings.Clone(key) // key may be borrowed from DuckDB, and compiled values keep parts of it
	v, err := compile(key)
	c.mu.Lock()
	if c.n >= cacheMax { // a query with formats from data: start over rather than grow
		c.m.Clear()
		c.n = 0
	}
	c.n++
	c.mu.Unlock()
	c.m.Store(key, cacheEntry[T]{v, err})
	return v, err
}

// last remembers the last key looked up in a cache by one caller (one
// chunk), so that a constant argument costs one string comparison per row.
type last[T any] struct {
	key string
	v   T
	err error
	ok  bool
}

func (l *last[T]) get(c *cache[T], key string, compile func(string) (T, error)) (T, error) {
	if l.ok && l.key == key {
		return l.v, l.err
	}
	l.v, l.err = c.get(key, compile)
	l.key, l.ok = strings.Clone(key), true
	return l.v, l.err
}
