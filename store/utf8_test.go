package store

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/keytrail/keytrail"
)

// TestAccessLog_InvalidUTF8 stores raw bytes that are not UTF-8 as %XX,
// in a plain column (request_uri's value is new) and in a dictionary one.
func TestAccessLog_InvalidUTF8(t *testing.T) {
	rg := accessSchema.NewRowGroup()
	for _, ua := range []string{"curl/8\xff", "curl/8\xff", "ok"} {
		appendAccess(rg, &keytrail.AccessLogRecord{Bucket: "b", UserAgent: ua, RequestURI: "GET /k\xc3 HTTP/1.1", HostID: keytrail.S("h\xfe")}, "src")
	}
	path := filepath.Join(t.TempDir(), "a.parquet")
	if _, err := writeParquet(path, accessSchema, rg); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.QueryRow(`SELECT string_agg(useragent || '|' || request_uri || '|' || hostid, ',' ORDER BY file_row_number) FROM read_parquet(?)`, path).Scan(&got); err != nil {
		t.Fatal(err)
	}
	want := "curl/8%FF|GET /k%C3 HTTP/1.1|h%FE,curl/8%FF|GET /k%C3 HTTP/1.1|h%FE,ok|GET /k%C3 HTTP/1.1|h%FE"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
