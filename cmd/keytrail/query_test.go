package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/gen"
)

func query(t *testing.T, st string, args ...string) (string, string, int) {
	t.Helper()
	return run(t, append([]string{"query", "--store", st}, args...)...)
}

// TestQuery_Formats prints one result in every format.
func TestQuery_Formats(t *testing.T) {
	st := sampleStore(t)
	q := `SELECT eventname, count(*) AS n, min(eventtime) AS first, any_value(resources) IS NULL AS no_resources
		FROM cloudtrail_logs WHERE useridentity.accesskeyid = '` + gen.IncidentKey + `' GROUP BY 1 ORDER BY 1`
	for _, f := range []string{"table", "csv", "json", "ndjson"} {
		out, errOut, code := query(t, st, "--format", f, q)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errOut)
		}
		golden(t, "query/formats."+f, out)
	}
	pq := filepath.Join(t.TempDir(), "out.parquet")
	csvOut, _, _ := query(t, st, "--format", "csv", q)
	rows := strings.Count(csvOut, "\n") - 1
	if _, errOut, code := query(t, st, "--format", "parquet", "--output", pq, q); code != 0 || !strings.Contains(errOut, "wrote "+strconv.Itoa(rows)+" rows") {
		t.Fatalf("parquet: exit %d: %s", code, errOut)
	}
	if b, err := os.ReadFile(pq); err != nil || string(b[:4]) != "PAR1" {
		t.Errorf("%s is not a Parquet file: %v", pq, err)
	}
	// The SQL may come from a file or stdin too.
	f := filepath.Join(t.TempDir(), "q.sql")
	os.WriteFile(f, []byte(q+";\n"), 0o644)
	out, _, code := query(t, st, "--format", "csv", "-f", f)
	want, _ := os.ReadFile("testdata/query/formats.csv")
	if code != 0 || out != string(want) {
		t.Errorf("-f FILE gave exit %d and\n%s", code, out)
	}
}

// TestQuery_Athena runs queries as people write them for Athena: the two of
// the project's seed and queries from AWS's documentation and playbooks,
// unchanged, and checks their answers against plain SQL over the store.
func TestQuery_Athena(t *testing.T) {
	st := sampleStore(t)
	count := func(q string) int {
		t.Helper()
		out, errOut, code := query(t, st, "--format", "csv", q)
		if code != 0 {
			t.Fatalf("exit %d: %s\n%s", code, errOut, q)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		n, err := strconv.Atoi(lines[len(lines)-1])
		if err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return n
	}
	tests := []struct {
		name, athena, plain string
	}{
		{"seed: s3 events by key",
			`SELECT count(*) FROM (SELECT * FROM cloudtrail_logs WHERE eventsource = 's3.amazonaws.com' AND userIdentity.accessKeyId like 'AKIAIOSFODNN7%')`,
			`SELECT count(*) FROM cloudtrail_logs WHERE eventsource = 's3.amazonaws.com' AND starts_with(useridentity.accesskeyid, 'AKIAIOSFODNN7')`},
		{"seed: access logs between two parse_datetime",
			`SELECT count(*) FROM (SELECT * FROM s3_access_logs WHERE parse_datetime(requestdatetime,'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2024-05-06:00:00:00','yyyy-MM-dd:HH:mm:ss') AND parse_datetime('2024-05-07:23:59:59','yyyy-MM-dd:HH:mm:ss'))`,
			`SELECT count(*) FROM s3_access_logs WHERE requesttime >= TIMESTAMPTZ '2024-05-06 00:00:00+00' AND requesttime <= TIMESTAMPTZ '2024-05-07 23:59:59+00'`},
		{"from_iso8601_timestamp and date_trunc",
			`SELECT count(*) FROM cloudtrail_logs WHERE date_trunc('day', from_iso8601_timestamp(eventtime)) = from_iso8601_timestamp('2024-05-07T00:00:00Z')`,
			`SELECT count(*) FROM cloudtrail_logs WHERE CAST(eventtimestamp AS DATE) = DATE '2024-05-07'`},
		{"json_extract_scalar with a bucket name",
			`SELECT count(*) FROM cloudtrail_logs WHERE json_extract_scalar(requestparameters, '$.bucketName') = 'acme-prod-backups'`,
			`SELECT count(*) FROM cloudtrail_logs WHERE requestparameters->>'$.bucketName' = 'acme-prod-backups'`},
		{"partition columns",
			`SELECT count(*) FROM cloudtrail_logs WHERE year = '2024' AND month = '05' AND day = '07' AND region = 'us-east-1'`,
			`SELECT count(*) FROM cloudtrail_logs WHERE date = '2024-05-07' AND region = 'us-east-1'`},
		{"timestamp partition, projection style",
			`SELECT count(*) FROM cloudtrail_logs WHERE "timestamp" BETWEEN '2024/05/06' AND '2024/05/07'`,
			`SELECT count(*) FROM cloudtrail_logs WHERE date IN ('2024-05-06', '2024-05-07')`},
		{"error codes, IS NULL as in Athena",
			`SELECT count(*) FROM cloudtrail_logs WHERE errorcode IS NOT NULL AND readonly = 'true'`,
			`SELECT count(*) FROM cloudtrail_logs WHERE errorcode IS NOT NULL AND readonly = 'true'`},
		{"access-log requester and operation",
			`SELECT count(*) FROM s3_access_logs WHERE requester = 'arn:aws:iam::111122223333:user/deploy-bot' AND operation = 'REST.PUT.OBJECT' AND httpstatus = '200'`,
			`SELECT count(*) FROM s3_access_logs WHERE requester = 'arn:aws:iam::111122223333:user/deploy-bot' AND operation = 'REST.PUT.OBJECT' AND httpstatus = '200'`},
		{"approx_distinct and cardinality",
			`SELECT approx_distinct(useridentity.arn) > 0 AND max(cardinality(resources)) >= 0 FROM cloudtrail_logs`,
			`SELECT true`},
		{"integer division",
			`SELECT 7 / 2`,
			`SELECT 3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.plain, "SELECT true") {
				out, errOut, code := query(t, st, "--format", "csv", tt.athena)
				if code != 0 || !strings.Contains(out, "true") {
					t.Fatalf("exit %d: %s %s", code, out, errOut)
				}
				return
			}
			got, want := count(tt.athena), count(tt.plain)
			if got != want {
				t.Errorf("Athena query gives %d, plain SQL %d", got, want)
			}
			if want == 0 && !strings.Contains(tt.name, "division") {
				t.Errorf("the check counts nothing: a test that cannot fail")
			}
		})
	}
}

// TestQuery_Hostile: user SQL reads the store and nothing else.
func TestQuery_Hostile(t *testing.T) {
	st := sampleStore(t)
	victim := filepath.Join(t.TempDir(), "x.csv")
	tests := []struct{ name, sql, wantErr string }{
		{"copy out", "COPY (SELECT 1) TO '" + victim + "'", ""},
		{"copy into the store", "COPY (SELECT 1) TO '" + filepath.Join(st, "cloudtrail", "x.parquet") + "' (FORMAT parquet)", "not allowed"},
		{"read a file outside", "SELECT * FROM read_csv('/etc/passwd')", "Permission"},
		{"read text outside", "SELECT content FROM read_text('/etc/hostname')", "Permission"},
		{"attach", "ATTACH '" + filepath.Join(t.TempDir(), "x.db") + "' AS x", ""},
		{"install", "INSTALL httpfs", ""},
		{"load", "LOAD httpfs", ""},
		{"set", "SET enable_external_access = true", ""},
		{"create", "CREATE TABLE t AS SELECT 1", "not allowed"},
		{"drop the view", "DROP VIEW cloudtrail_logs", "not allowed"},
		{"two statements", "SELECT 1; DROP VIEW cloudtrail_logs", ""},
		{"pragma", "PRAGMA enable_profiling", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := query(t, st, tt.sql)
			if code != 1 {
				t.Errorf("exit %d, want 1; stdout %q stderr %q", code, out, errOut)
			}
			if tt.wantErr != "" && !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not say %q", errOut, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(victim); err == nil {
		t.Errorf("a query wrote %s", victim)
	}
	if _, err := os.Stat(filepath.Join(st, "cloudtrail", "x.parquet")); err == nil {
		t.Errorf("a query wrote into the store")
	}
	// The store still answers.
	if _, errOut, code := query(t, st, "SELECT count(*) FROM cloudtrail_logs"); code != 0 {
		t.Errorf("store broken after hostile SQL: %s", errOut)
	}
}

// TestQuery_Errors: mistakes get messages that say what to do.
func TestQuery_Errors(t *testing.T) {
	st := sampleStore(t)
	tests := []struct{ name, sql, want string }{
		{"athena alias", "SELECT remote_ip FROM s3_access_logs", "the Athena column is remoteip"},
		{"unknown column", "SELECT nosuchcolumn FROM cloudtrail_logs", "DESCRIBE cloudtrail_logs"},
		{"unknown table", "SELECT * FROM cloudtrail_logs_pp", "the tables are cloudtrail_logs and s3_access_logs"},
		{"syntax", "SELECT * FORM cloudtrail_logs", "LINE 1: SELECT * FORM cloudtrail_logs\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := query(t, st, tt.sql)
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q, want it to say %q", code, errOut, tt.want)
			}
		})
	}
	if _, errOut, code := run(t, "query", "--store", filepath.Join(t.TempDir(), "none"), "SELECT 1"); code != 1 || !strings.Contains(errOut, "keytrail ingest") {
		t.Errorf("missing store: exit %d, %s", code, errOut)
	}
}

// TestQuery_Pruning: a query bounded by a day reads only the files of that
// day (EXPLAIN ANALYZE counts them); within a file, each row group holds
// one account and region, so their statistics prune like partitions.
func TestQuery_Pruning(t *testing.T) {
	st := sampleStore(t)
	files := func(q string) (read, total int) {
		out, errOut, code := query(t, st, "--format", "csv", "EXPLAIN ANALYZE "+q)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		m := regexp.MustCompile(`Total Files Read: (\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no file count in the plan:\n%s", out)
		}
		read, _ = strconv.Atoi(m[1])
		all, _ := filepath.Glob(filepath.Join(st, "cloudtrail", "*", "*.parquet"))
		return read, len(all)
	}
	for _, tt := range []struct{ q, glob string }{
		{`SELECT count(*) FROM cloudtrail_logs WHERE "timestamp" = '2024/05/07'`, "date=2024-05-07/*.parquet"},
		{`SELECT count(*) FROM cloudtrail_logs WHERE year = '2024' AND month = '05' AND day = '07'`, "date=2024-05-07/*.parquet"},
	} {
		want, _ := filepath.Glob(filepath.Join(st, "cloudtrail", tt.glob))
		read, total := files(tt.q)
		if read != len(want) || read == total {
			t.Errorf("%s reads %d of %d files, want the %d of its partitions", tt.q, read, total, len(want))
		}
	}
	if read, total := files(`SELECT count(*) FROM cloudtrail_logs`); read != total {
		t.Errorf("an unbounded query reads %d of %d files", read, total)
	}
	out, errOut, code := query(t, st, "--format", "csv", fmt.Sprintf(`SELECT count(*) FILTER (WHERE stats_min_value <> stats_max_value OR stats_min_value IS NULL), count(*), count(DISTINCT file_name)
		FROM parquet_metadata('%s/cloudtrail/*/*.parquet') WHERE path_in_schema = 'region'`, st))
	var mixed, groups, nfiles int
	if _, err := fmt.Sscanf(strings.Split(out, "\n")[1], "%d,%d,%d", &mixed, &groups, &nfiles); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s%s", code, err, out, errOut)
	}
	if mixed != 0 || groups <= nfiles {
		t.Errorf("%d of %d row groups (in %d files) mix regions; want none, and more row groups than files", mixed, groups, nfiles)
	}
}
