package parquet

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/duckdb/duckdb-go/v2"
)

// testSchema has every shape the writer supports.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "big", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "st", Type: arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "in", Type: arrow.StructOf(arrow.Field{Name: "c", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
		arrow.Field{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String), Nullable: true},
	), Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.StructOf(
		arrow.Field{Name: "x", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true},
	)), Nullable: true},
	{Name: "ls", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
}, nil)

// row is a test row; nil pointers are NULL.
type row struct {
	S   *string    `json:"s"`
	Big *string    `json:"big"`
	D   *string    `json:"d"`
	N   *int64     `json:"n"`
	TS  *time.Time `json:"-"`
	St  *st        `json:"st"`
	L   []*pair    `json:"l"`
	LS  []*string  `json:"ls"`
}

type st struct {
	A  *string           `json:"a"`
	In *inner            `json:"in"`
	M  map[string]string `json:"m"`
}

type inner struct {
	C *string `json:"c"`
}

type pair struct {
	X *string `json:"x"`
	Y *string `json:"y"`
}

func ptr[T any](v T) *T { return &v }

// randomRows makes rows of every null pattern; big values are long enough
// to overflow a dictionary.
func randomRows(n int, seed uint64) []row {
	r := rand.New(rand.NewPCG(seed, 1))
	str := func(k int) *string {
		if r.IntN(5) == 0 {
			return nil
		}
		return ptr(fmt.Sprintf("v%d", r.IntN(k)))
	}
	rows := make([]row, n)
	base := time.Date(2026, 4, 24, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		w := &rows[i]
		w.S = str(20)
		if r.IntN(4) > 0 {
			w.Big = ptr(strings.Repeat(string(rune('a'+r.IntN(26))), 100+r.IntN(3000)) + fmt.Sprint(i))
		}
		w.D = ptr(base.Add(time.Duration(i) * time.Second).Format(time.RFC3339))
		if r.IntN(6) > 0 {
			w.N = ptr(r.Int64N(1<<40) - 1<<39)
		}
		if r.IntN(7) > 0 {
			w.TS = ptr(base.Add(time.Duration(i)*time.Millisecond + time.Duration(r.IntN(5000))*time.Microsecond))
		}
		if r.IntN(5) > 0 {
			w.St = &st{A: str(3)}
			if r.IntN(2) == 0 {
				w.St.In = &inner{C: str(50)}
			}
			if r.IntN(3) > 0 {
				w.St.M = map[string]string{}
				for k := 0; k < r.IntN(3); k++ {
					w.St.M[fmt.Sprint("k", k)] = fmt.Sprint("v", r.IntN(9))
				}
			}
		}
		if r.IntN(4) > 0 {
			w.L = []*pair{}
			for k := 0; k < r.IntN(4); k++ {
				w.L = append(w.L, &pair{X: str(4), Y: str(1000)})
			}
		}
		if r.IntN(3) > 0 {
			w.LS = []*string{}
			for k := 0; k < r.IntN(3); k++ {
				w.LS = append(w.LS, str(10))
			}
		}
	}
	return rows
}

// appendRow shreds w into rg, as the store's tables do.
func appendRow(sc *Schema, rg *RowGroup, w *row) {
	c := rg.Columns
	ns := func(i int, s *string, def int) {
		if s == nil {
			c[i].Null(def, 0)
		} else {
			c[i].String(*s, 0)
		}
	}
	ns(0, w.S, 0)
	ns(1, w.Big, 0)
	ns(2, w.D, 0)
	if w.N == nil {
		c[3].Null(0, 0)
	} else {
		c[3].Int64(*w.N, 0)
	}
	if w.TS == nil {
		c[4].Null(0, 0)
	} else {
		c[4].Int64(w.TS.UnixMicro(), 0)
	}
	// st: a(5) in.c(6) m.key(7) m.value(8)
	switch {
	case w.St == nil:
		for i := 5; i <= 8; i++ {
			c[i].Null(0, 0)
		}
	default:
		ns(5, w.St.A, 1)
		if w.St.In == nil {
			c[6].Null(1, 0)
		} else {
			ns(6, w.St.In.C, 2)
		}
		switch {
		case w.St.M == nil:
			c[7].Null(1, 0)
			c[8].Null(1, 0)
		case len(w.St.M) == 0:
			c[7].Null(2, 0)
			c[8].Null(2, 0)
		default:
			rep := 0
			for _, k := range sortedKeys(w.St.M) {
				c[7].String(k, rep)
				c[8].String(w.St.M[k], rep)
				rep = 1
			}
		}
	}
	// l: x(9) y(10)
	switch {
	case w.L == nil:
		c[9].Null(0, 0)
		c[10].Null(0, 0)
	case len(w.L) == 0:
		c[9].Null(1, 0)
		c[10].Null(1, 0)
	default:
		for k, p := range w.L {
			rep := min(k, 1)
			for j, s := range []*string{p.X, p.Y} {
				if s == nil {
					c[9+j].Null(3, rep)
				} else {
					c[9+j].String(*s, rep)
				}
			}
		}
	}
	// ls(11)
	switch {
	case w.LS == nil:
		c[11].Null(0, 0)
	case len(w.LS) == 0:
		c[11].Null(1, 0)
	default:
		for k, s := range w.LS {
			if s == nil {
				c[11].Null(2, min(k, 1))
			} else {
				c[11].String(*s, min(k, 1))
			}
		}
	}
	rg.Rows++
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func writeRows(t *testing.T, path string, sc *Schema, rows []row, perGroup int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, sc)
	if err != nil {
		t.Fatal(err)
	}
	rg := sc.NewRowGroup()
	for i := range rows {
		appendRow(sc, rg, &rows[i])
		if rg.Rows == int64(perGroup) {
			if err := w.Write(rg); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Write(rg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWriter_DuckDBReadsBack(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rows     int
		perGroup int
		opts     Options
	}{
		{"defaults", 3000, 1000, Options{}},
		{"small pages", 5000, 2500, Options{PageSize: 4 << 10, Level: 1}},
		{"no dictionaries, deltas", 4000, 4000, Options{PageSize: 64 << 10, Columns: map[string]ColumnOptions{
			"s": {NoDictionary: true}, "d": {NoDictionary: true, Encoding: DeltaByteArray}, "ts": {Encoding: DeltaBinaryPacked},
			"n": {Encoding: DeltaBinaryPacked}, "l": {NoDictionary: true}, "big": {NoStats: true}}}},
		{"one row", 1, 1, Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := NewSchema(testSchema, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			rows := randomRows(tc.rows, uint64(tc.rows))
			path := filepath.Join(t.TempDir(), "t.parquet")
			writeRows(t, path, sc, rows, tc.perGroup)

			db := openDuckDB(t)
			q := fmt.Sprintf(`SELECT to_json(struct_pack(s, big, d, n, st, l, ls))::VARCHAR, epoch_us(ts) FROM read_parquet('%s') ORDER BY file_row_number`, path)
			res, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			i := 0
			for ; res.Next(); i++ {
				var got string
				var ts sql.NullInt64
				if err := res.Scan(&got, &ts); err != nil {
					t.Fatal(err)
				}
				want, _ := json.Marshal(rows[i])
				if !jsonEqual(t, got, string(want)) {
					t.Fatalf("row %d:\n got %s\nwant %s", i, got, want)
				}
				if (rows[i].TS == nil) != !ts.Valid || (ts.Valid && ts.Int64 != rows[i].TS.UnixMicro()) {
					t.Fatalf("row %d: ts %v, want %v", i, ts, rows[i].TS)
				}
			}
			if err := res.Err(); err != nil {
				t.Fatal(err)
			}
			if i != len(rows) {
				t.Fatalf("read %d rows, wrote %d", i, len(rows))
			}
			// The statistics DuckDB prunes with: a range outside every
			// row group's reads nothing and the counts agree.
			var n, nulls int64
			if err := db.QueryRow(fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE s IS NULL) FROM read_parquet('%s') WHERE s >= 'v' OR s IS NULL`, path)).Scan(&n, &nulls); err != nil {
				t.Fatal(err)
			}
			var wantN, wantNulls int64
			for _, r := range rows {
				if r.S == nil {
					wantNulls++
				}
				if r.S == nil || *r.S >= "v" {
					wantN++
				}
			}
			if n != wantN || nulls != wantNulls {
				t.Fatalf("filtered count %d (%d null), want %d (%d)", n, nulls, wantN, wantNulls)
			}
		})
	}
}

// openDuckDB opens an in-memory DuckDB, closed with the test.
func openDuckDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// jsonEqual compares JSON texts as values.
func jsonEqual(t *testing.T, a, b string) bool {
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestHybrid_RunsAndPacking(t *testing.T) {
	// decodeHybrid is the reader's side, to check the writer's output.
	for _, vals := range [][]uint32{
		{}, {5}, {1, 1, 1, 1, 1, 1, 1, 1, 1}, {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 3},
		func() []uint32 {
			r := rand.New(rand.NewPCG(1, 2))
			v := make([]uint32, 1000)
			for i := range v {
				if r.IntN(3) == 0 {
					v[i] = uint32(r.IntN(1 << 17))
				} else if i > 0 {
					v[i] = v[i-1]
				}
			}
			return v
		}(),
	} {
		width := 1
		for _, v := range vals {
			width = max(width, bitWidth(uint64(v)))
		}
		got := decodeHybrid(appendHybrid(nil, vals, width), width, len(vals))
		if fmt.Sprint(got) != fmt.Sprint(vals) {
			t.Fatalf("width %d: got %v, want %v", width, got, vals)
		}
	}
}

func decodeHybrid(b []byte, width, n int) []uint32 {
	out := []uint32{}
	for len(out) < n {
		h, k := uvarint(b)
		b = b[k:]
		if h&1 == 0 {
			var v uint32
			for i := 0; i < (width+7)/8; i++ {
				v |= uint32(b[i]) << (8 * i)
			}
			b = b[(width+7)/8:]
			for i := uint64(0); i < h>>1; i++ {
				out = append(out, v)
			}
			continue
		}
		count := int(h>>1) * 8
		var acc uint64
		nb := 0
		for i := 0; i < count; i++ {
			for nb < width {
				acc |= uint64(b[0]) << nb
				b = b[1:]
				nb += 8
			}
			if len(out) < n {
				out = append(out, uint32(acc&(1<<width-1)))
			}
			acc >>= width
			nb -= width
		}
	}
	return out
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i, c := range b {
		x |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return x, i + 1
		}
	}
	return x, len(b)
}

// TestWriter_ArrowReadsBack reads the files with a second, independent
// reader, arrow-go's: the rows must match what DuckDB reads.
func TestWriter_ArrowReadsBack(t *testing.T) {
	sc, err := NewSchema(testSchema, Options{PageSize: 8 << 10, Columns: map[string]ColumnOptions{
		"d": {NoDictionary: true, Encoding: DeltaByteArray}, "ts": {Encoding: DeltaBinaryPacked}}})
	if err != nil {
		t.Fatal(err)
	}
	rows := randomRows(3000, 3)
	path := filepath.Join(t.TempDir(), "t.parquet")
	writeRows(t, path, sc, rows, 1200)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := file.NewParquetReader(f)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(rd, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != int64(len(rows)) {
		t.Fatalf("arrow read %d rows, wrote %d", tbl.NumRows(), len(rows))
	}
	tr := array.NewTableReader(tbl, 1<<20)
	defer tr.Release()
	i := 0
	for tr.Next() {
		rec := tr.RecordBatch()
		for r := 0; r < int(rec.NumRows()); r, i = r+1, i+1 {
			var got []string
			for c := 0; c < int(rec.NumCols()); c++ {
				if name := rec.ColumnName(c); name == "st" || name == "ts" {
					continue // maps and timestamps print differently; DuckDB checks them
				}
				got = append(got, rec.ColumnName(c)+"="+rec.Column(c).ValueStr(r))
			}
			w := rows[i]
			want := []string{"s=" + strOrNull(w.S), "big=" + strOrNull(w.Big), "d=" + strOrNull(w.D), "n=" + intOrNull(w.N),
				"l=" + listOf(len(w.L), w.L == nil, func(k int) string {
					return `{"x":` + jsonOrNull(w.L[k].X) + `,"y":` + jsonOrNull(w.L[k].Y) + `}`
				}),
				"ls=" + listOf(len(w.LS), w.LS == nil, func(k int) string { return jsonOrNull(w.LS[k]) })}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("row %d:\n got %v\nwant %v", i, got, want)
			}
		}
	}
}

func strOrNull(s *string) string {
	if s == nil {
		return "(null)"
	}
	return *s
}

func intOrNull(n *int64) string {
	if n == nil {
		return "(null)"
	}
	return fmt.Sprint(*n)
}

func jsonOrNull(s *string) string {
	if s == nil {
		return "null"
	}
	b, _ := json.Marshal(*s)
	return string(b)
}

func listOf(n int, null bool, elem func(int) string) string {
	if null {
		return "(null)"
	}
	parts := make([]string, n)
	for k := range parts {
		parts[k] = elem(k)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// TestWriter_Int64Extremes writes deltas that overflow int64 (the 64-bit
// miniblocks of DELTA_BINARY_PACKED) and reads them back.
func TestWriter_Int64Extremes(t *testing.T) {
	sc, err := NewSchema(testSchema, Options{Columns: map[string]ColumnOptions{"n": {Encoding: DeltaBinaryPacked}}})
	if err != nil {
		t.Fatal(err)
	}
	vals := []int64{math.MaxInt64, math.MinInt64, 0, -1, math.MaxInt64, 1, math.MinInt64 + 1}
	for i := 0; i < 300; i++ { // more than a block
		vals = append(vals, int64(i)*int64(i)*-7919)
	}
	rows := make([]row, len(vals))
	for i := range vals {
		rows[i].N = &vals[i]
	}
	path := filepath.Join(t.TempDir(), "t.parquet")
	writeRows(t, path, sc, rows, len(rows))
	db := openDuckDB(t)
	res, err := db.Query(fmt.Sprintf(`SELECT n FROM read_parquet('%s') ORDER BY file_row_number`, path))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	for i := 0; res.Next(); i++ {
		var n int64
		if err := res.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != vals[i] {
			t.Fatalf("row %d: %d, want %d", i, n, vals[i])
		}
	}
}

// failAfter fails every write after the first n bytes.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriter_Errors(t *testing.T) {
	sc, err := NewSchema(testSchema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := randomRows(500, 1)
	w, err := NewWriter(&failAfter{n: 1000}, sc)
	if err != nil {
		t.Fatal(err)
	}
	rg := sc.NewRowGroup()
	for i := range rows {
		appendRow(sc, rg, &rows[i])
	}
	if err := w.Write(rg); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Write on a failing output: %v", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after a failed write succeeded")
	}

	// A row missing from a column is the caller's bug, reported as such.
	w, _ = NewWriter(io.Discard, sc)
	appendRow(sc, rg, &rows[0])
	rg.Rows++
	if err := w.Write(rg); err == nil || !strings.Contains(err.Error(), "values for 2 rows") {
		t.Fatalf("Write of a short column: %v", err)
	}

	if _, err := NewSchema(arrow.NewSchema([]arrow.Field{{Name: "f", Type: arrow.PrimitiveTypes.Float64}}, nil), Options{}); err == nil {
		t.Fatal("a float column was accepted")
	}
}

// TestWriter_Clean checks that Options.Clean applies to every stored value,
// plain or in a dictionary, and that a dictionary still finds a value it
// cleaned.
func TestWriter_Clean(t *testing.T) {
	sc, err := NewSchema(testSchema, Options{Clean: strings.ToUpper, Columns: map[string]ColumnOptions{"d": {NoDictionary: true}}})
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	for i := 0; i < 50; i++ {
		rows = append(rows, row{S: ptr(fmt.Sprint("s", i%3)), D: ptr(fmt.Sprint("d", i))})
	}
	path := filepath.Join(t.TempDir(), "t.parquet")
	writeRows(t, path, sc, rows, len(rows))
	db := openDuckDB(t)
	var got string
	if err := db.QueryRow(fmt.Sprintf(`SELECT string_agg(s || ' ' || d, ',' ORDER BY file_row_number) FROM read_parquet('%s')`, path)).Scan(&got); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range rows {
		want = append(want, strings.ToUpper(*r.S+" "+*r.D))
	}
	if got != strings.Join(want, ",") {
		t.Fatalf("got %s\nwant %s", got, strings.Join(want, ","))
	}
}
