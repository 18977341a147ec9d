// Command benchtool runs the baselines that BENCHMARKS.md compares keytrail
// with, on the same files, in embedded DuckDB: a read_json scan of CloudTrail
// files, DuckDB's own Parquet of them, and Athena's regex over access logs.
//
//	go run ./internal/benchtool ct-scan DIR        count records with read_json + unnest(Records)
//	go run ./internal/benchtool ct-parquet DIR OUT  COPY the records to zstd Parquet, print its size
//	go run ./internal/benchtool s3-regex DIR        parse access logs with Athena's regex
//	go run ./internal/benchtool sql STORE SQL       run SQL on a keytrail store (timed)
package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/keytrail/keytrail/store"
)

// athenaRegex is the input.regex of AWS's Athena table for S3 access logs.
const athenaRegex = `([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$`

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: benchtool ct-scan|ct-parquet|s3-regex|sql|duckdb ARGS")
		os.Exit(2)
	}
	ctx := context.Background()
	start := time.Now()
	var out string
	var err error
	switch os.Args[1] {
	case "ct-scan":
		out, err = scalar(ctx, fmt.Sprintf(`SELECT count(*) FROM (SELECT unnest(Records) FROM read_json(%s, format='auto', maximum_object_size=1073741824, columns={'Records': 'JSON[]'}))`, glob(os.Args[2], "CloudTrail/")))
	case "ct-parquet":
		dst := os.Args[3]
		_, err = scalar(ctx, fmt.Sprintf(`COPY (SELECT r.* FROM (SELECT unnest(Records) AS r FROM read_json(%s, maximum_object_size=1073741824, columns={'Records': 'STRUCT(eventVersion VARCHAR, userIdentity JSON, eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR, sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR, requestParameters JSON, responseElements JSON, additionalEventData JSON, requestID VARCHAR, eventID VARCHAR, readOnly BOOLEAN, resources JSON, eventType VARCHAR, apiVersion VARCHAR, managementEvent BOOLEAN, recipientAccountId VARCHAR, sharedEventID VARCHAR, vpcEndpointId VARCHAR, eventCategory VARCHAR, tlsDetails JSON)[]'}))) TO '%s' (FORMAT parquet, COMPRESSION zstd)`, glob(os.Args[2], "CloudTrail/"), dst))
		if err == nil {
			st, _ := os.Stat(dst)
			out = fmt.Sprintf("%d bytes", st.Size())
		}
	case "s3-regex":
		// One regexp_extract returning the 26 groups as a struct, as an
		// Athena RegexSerDe table parses each line once.
		var names []string
		for i := 1; i <= 26; i++ {
			names = append(names, fmt.Sprintf("'c%d'", i))
		}
		out, err = scalar(ctx, fmt.Sprintf(`SELECT count(*), count(DISTINCT r.c5) FROM (SELECT regexp_extract(line, '%s', [%s]) AS r FROM read_csv(%s, columns={'line': 'VARCHAR'}, delim=E'\x01', quote='', escape='', header=false, auto_detect=false))`,
			strings.ReplaceAll(athenaRegex, "'", "''"), strings.Join(names, ", "), glob(os.Args[2], "")))
	case "duckdb": // any SQL on an in-memory DuckDB, e.g. parquet_metadata of store files
		out, err = scalar(ctx, os.Args[2])
		out = strings.ReplaceAll(out, "; ", "\n")
	case "sql":
		var st *store.Store
		st, err = store.Open(os.Args[2])
		if err == nil {
			var db *store.DB
			db, err = st.OpenDB(ctx, store.DBOptions{ReadOnly: true})
			if err == nil {
				start = time.Now()
				var rows *sql.Rows
				rows, err = db.Query(ctx, os.Args[3])
				if err == nil {
					n := 0
					for rows.Next() {
						n++
					}
					rows.Close()
					out = fmt.Sprintf("%d rows", n)
				}
				db.Close()
			}
		}
	default:
		err = fmt.Errorf("unknown benchmark %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
	fmt.Printf("%s\t%.3f s\t%s\n", os.Args[1], time.Since(start).Seconds(), out)
}

// glob returns the SQL list of files under dir (whose path contains sub).
func glob(dir, sub string) string {
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, sub) && !strings.Contains(p, "Digest") {
			files = append(files, "'"+strings.ReplaceAll(p, "'", "''")+"'")
		}
		return nil
	})
	return "[" + strings.Join(files, ",") + "]"
}

func scalar(ctx context.Context, q string) (string, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var parts []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprint(vals...))
	}
	return strings.Join(parts, "; "), rows.Err()
}
