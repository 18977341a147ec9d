package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/store"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"
)

// QueryOptions are the flags of `keytrail query`.
type QueryOptions struct {
	Format string
	Output string
	File   string
}

var queryFormats = []string{"table", "csv", "json", "ndjson", "parquet"}

func newQueryCommand(ios *IO, g *GlobalOptions) *cobra.Command {
	opts := &QueryOptions{}
	cmd := &cobra.Command{
		Use:   "query [--format table|csv|json|ndjson|parquet] [--output FILE] [-f FILE | SQL]",
		Short: "Run Athena-dialect SQL over the store",
		Long: `Run Athena (Trino) SQL over the store, as you would in Athena: the tables are
cloudtrail_logs and s3_access_logs, with the columns of AWS's Athena tables and
their partition columns (region, year, month, day, timestamp 'yyyy/MM/dd';
account for CloudTrail, bucket for access logs). Trino functions such as
parse_datetime, date_parse, from_iso8601_timestamp, json_extract_scalar,
url_decode, regexp_like, date_diff and approx_distinct work as in Athena, and the
session runs in UTC.

The SQL comes from the argument, from a file (-f FILE), or from stdin ("-" or a
pipe). Without SQL on a terminal, an interactive shell starts.

Queries are read-only: they cannot write files, attach databases, load
extensions or read anything outside the store. To save results use
--output FILE with --format csv, json, ndjson or parquet.`,
		Example: `  keytrail query "SELECT eventname, count(*) FROM cloudtrail_logs WHERE useridentity.accesskeyid = 'AKIAIOSFODNN7EXAMPLE' GROUP BY 1 ORDER BY 2 DESC"
  keytrail query -f incident.sql --format csv --output out.csv
  keytrail query            # interactive shell`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runQuery(cmd.Context(), ios, g, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Format, "format", "table", "output format: "+strings.Join(queryFormats, ", "))
	f.StringVarP(&opts.Output, "output", "o", "", "write results to FILE instead of stdout")
	f.StringVarP(&opts.File, "file", "f", "", "read the SQL from FILE")
	return cmd
}

func runQuery(ctx context.Context, ios *IO, g *GlobalOptions, opts *QueryOptions, args []string) error {
	if !contains(queryFormats, opts.Format) {
		return flagErrorf("--format must be one of %s, not %q", strings.Join(queryFormats, ", "), opts.Format)
	}
	if opts.Format == "parquet" && opts.Output == "" {
		return flagErrorf("--format parquet needs --output FILE")
	}
	var sqlText string
	switch {
	case opts.File != "" && len(args) > 0:
		return flagErrorf("give the SQL as an argument or with -f, not both")
	case opts.File != "":
		b, err := os.ReadFile(opts.File)
		if err != nil {
			return keytrail.Errorf(keytrail.EINVALID, "cannot read %s: %v", opts.File, err)
		}
		sqlText = string(b)
	case len(args) == 1 && args[0] == "-":
		b, err := io.ReadAll(ios.In)
		if err != nil {
			return err
		}
		sqlText = string(b)
	case len(args) == 1:
		sqlText = args[0]
	default:
		if f, ok := ios.In.(*os.File); ok && isTerminal(f) {
			return runShell(ctx, ios, g, opts)
		}
		b, err := io.ReadAll(ios.In)
		if err != nil {
			return err
		}
		sqlText = string(b)
	}
	st, err := openStore(g, false)
	if err != nil {
		return err
	}
	dbo := store.DBOptions{ReadOnly: true}
	if opts.Format == "parquet" {
		abs, err := filepath.Abs(opts.Output)
		if err != nil {
			return err
		}
		opts.Output = abs
		dbo.WritablePath = abs
	}
	db, err := st.OpenDB(ctx, dbo)
	if err != nil {
		return err
	}
	defer db.Close()
	warnEmpty(ios, g, db, sqlText)
	return execute(ctx, ios, db, opts, sqlText)
}

// warnEmpty notes on stderr when a query reads a table the store has no
// rows for, and how to fill it.
func warnEmpty(ios *IO, g *GlobalOptions, db *store.DB, q string) {
	if g.Quiet {
		return
	}
	lq := strings.ToLower(q)
	for _, t := range []struct{ view, table, flag string }{
		{"cloudtrail_logs", store.TableCloudTrail, "--cloudtrail"},
		{"s3_access_logs", store.TableS3Access, "--s3-access-logs"},
	} {
		if strings.Contains(lq, t.view) && len(db.Manifest.FilesOf(t.table)) == 0 {
			fmt.Fprintf(ios.Err, "keytrail: note: the store holds no %s rows yet: add some with `keytrail ingest %s DIR`\n", t.view, t.flag)
		}
	}
}

// execute runs one statement and writes its result.
func execute(ctx context.Context, ios *IO, db *store.DB, opts *QueryOptions, q string) error {
	if opts.Format == "parquet" {
		n, err := db.CopyParquet(ctx, q, opts.Output)
		if err != nil {
			return err
		}
		fmt.Fprintf(ios.Err, "wrote %s rows to %s\n", count(n), opts.Output)
		return nil
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := ios.Out
	var file *os.File
	if opts.Output != "" {
		file, err = os.Create(opts.Output)
		if err != nil {
			return keytrail.Errorf(keytrail.EINVALID, "cannot write %s: %v", opts.Output, err)
		}
		defer file.Close()
		out = file
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	n, err := writeRows(bw, rows, opts.Format)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return fmt.Errorf("cannot write %s: %w", opts.Output, err)
		}
		fmt.Fprintf(ios.Err, "wrote %s rows to %s\n", count(n), opts.Output)
	} else if opts.Format == "table" && n == 0 {
		fmt.Fprintln(ios.Err, "(no rows)")
	}
	return nil
}

// writeRows writes a result set in one of the text formats.
func writeRows(w io.Writer, rows *sql.Rows, format string) (int64, error) {
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	var table *tablewriter.Table
	var cw *csv.Writer
	var enc *json.Encoder
	switch format {
	case "table":
		table = tablewriter.NewTable(w, tablewriter.WithRowAutoWrap(tw.WrapNone), tablewriter.WithHeaderAutoFormat(tw.Off))
		table.Header(anySlice(cols)...)
	case "csv":
		cw = csv.NewWriter(w)
		cw.Write(cols)
	case "json":
		io.WriteString(w, "[")
	case "ndjson":
		enc = json.NewEncoder(w)
		enc.SetEscapeHTML(false)
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		switch format {
		case "table", "csv":
			rec := make([]string, len(vals))
			for i, v := range vals {
				rec[i] = textValue(v, format == "table")
			}
			if table != nil {
				table.Append(rec)
			} else {
				cw.Write(rec)
			}
		case "json", "ndjson":
			obj := make(orderedObject, len(cols))
			for i, v := range vals {
				obj[i] = field{cols[i], jsonValue(v)}
			}
			if format == "json" {
				sep := ",\n"
				if n == 0 {
					sep = "\n"
				}
				b, err := json.Marshal(obj)
				if err != nil {
					return n, err
				}
				io.WriteString(w, sep)
				w.Write(b)
			} else if err := enc.Encode(obj); err != nil {
				return n, err
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	switch format {
	case "table":
		if n > 0 {
			return n, table.Render()
		}
	case "csv":
		cw.Flush()
		return n, cw.Error()
	case "json":
		io.WriteString(w, "\n]\n")
	}
	return n, nil
}

// textValue formats a value for a table cell or CSV field: NULL as empty
// in CSV and "NULL" in tables, times in RFC 3339 UTC, nested values as JSON.
func textValue(v any, table bool) string {
	switch x := v.(type) {
	case nil:
		if table {
			return "NULL"
		}
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return formatTime(x)
	case map[string]any, []any, map[any]any:
		b, _ := json.Marshal(jsonValue(x))
		return string(b)
	}
	return fmt.Sprint(v)
}

func formatTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

// jsonValue turns DuckDB values into what encoding/json writes well.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	case *big.Int:
		return json.Number(x.String())
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = jsonValue(e)
		}
		return m
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonValue(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	}
	return v
}

// orderedObject is a JSON object that keeps the column order.
type orderedObject []field

type field struct {
	name  string
	value any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.name)
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
