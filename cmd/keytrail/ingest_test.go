package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/store"
)

// sample generates a small deterministic data set once per test binary.
var sample = struct {
	once sync.Once
	dir  string
	sum  gen.Summary
	err  error
}{}

func sampleLogs(t testing.TB) (string, gen.Summary) {
	t.Helper()
	sample.once.Do(func() {
		sample.dir, sample.err = os.MkdirTemp("", "keytrail-sample-")
		if sample.err != nil {
			return
		}
		sample.sum, sample.err = gen.Generate(sample.dir, sampleConfig(nil))
	})
	if sample.err != nil {
		t.Fatal(sample.err)
	}
	return sample.dir, sample.sum
}

func ingestJSON(t *testing.T, args ...string) (summary map[string]any, stderr string, code int) {
	t.Helper()
	out, errOut, code := run(t, append([]string{"ingest", "--format", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &summary); err != nil && code == 0 {
		t.Fatalf("summary is not JSON: %v\n%s\n%s", err, out, errOut)
	}
	return summary, errOut, code
}

// session opens a read-only SQL session on the store at dir; the caller
// closes it.
func session(t *testing.T, dir string) *store.DB {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := st.OpenDB(context.Background(), store.DBOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// manifestOf reads the manifest of the store at dir.
func manifestOf(t *testing.T, dir string) (*store.Store, *store.Manifest) {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return st, m
}

// counts reads the store with DuckDB: rows and distinct record ids per table.
func counts(t *testing.T, dir string) (ct, ctDistinct, s3, s3Distinct int64) {
	t.Helper()
	db := session(t, dir)
	defer db.Close()
	row := db.QueryRowContext(context.Background(), `SELECT (SELECT count(*) FROM cloudtrail_logs), (SELECT count(DISTINCT eventid) FROM cloudtrail_logs),
		(SELECT count(*) FROM s3_access_logs), (SELECT count(DISTINCT (requestid, operation)) FROM s3_access_logs)`)
	if err := row.Scan(&ct, &ctDistinct, &s3, &s3Distinct); err != nil {
		t.Fatal(err)
	}
	return
}

// wantSample fails the test unless the store holds every generated record
// exactly once; what names the situation in the message.
func wantSample(t *testing.T, st string, sum gen.Summary, what string) (ct, s3 int64) {
	t.Helper()
	ct, ctd, s3, s3d := counts(t, st)
	if ct != int64(sum.CloudTrail.Records) || ctd != ct || s3 != int64(sum.AccessLogs.Records) || s3d != s3 {
		t.Errorf("%s: %d events (%d distinct) and %d lines (%d distinct); generated %d and %d",
			what, ct, ctd, s3, s3d, sum.CloudTrail.Records, sum.AccessLogs.Records)
	}
	return ct, s3
}

func TestIngest_AllThenAgain(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	args := []string{"--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail"), "--s3-access-logs", filepath.Join(logs, "s3-access-logs")}
	s1, errOut, code := ingestJSON(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := int64(sum.CloudTrail.Records + sum.AccessLogs.Records)
	if got := int64(s1["records_stored"].(float64)); got != want {
		t.Errorf("stored %d records, generated %d", got, want)
	}
	if got := int(s1["digest_files_skipped"].(float64)); got != sum.Digests.Files {
		t.Errorf("skipped %d digests, generated %d", got, sum.Digests.Files)
	}
	ct, s3 := wantSample(t, st, sum, "DuckDB reads")
	// Again: nothing is read, nothing added.
	s2, errOut, code := ingestJSON(t, args...)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	if s2["records_stored"].(float64) != 0 || s2["objects_read"].(float64) != 0 {
		t.Errorf("second run read %v objects and stored %v records", s2["objects_read"], s2["records_stored"])
	}
	if got, want := int(s2["objects_already_stored"].(float64)), sum.CloudTrail.Files+sum.AccessLogs.Files; got != want {
		t.Errorf("second run: %d objects already stored, want %d", got, want)
	}
	if ct2, _, s32, _ := counts(t, st); ct2 != ct || s32 != s3 {
		t.Errorf("second run changed the counts: %d/%d -> %d/%d", ct, s3, ct2, s32)
	}

	// The coverage report is stable for a given data set.
	out, errOut, code := run(t, "coverage", "--store", st)
	if code != 0 {
		t.Fatalf("coverage: exit %d: %s", code, errOut)
	}
	// The first line counts Parquet files and bytes, which depend on how the
	// workers' flushes fell: not part of the golden report.
	_, report, _ := strings.Cut(out, "\n")
	golden(t, "coverage/sample.txt", report)
	out, _, _ = run(t, "coverage", "--store", st, "--format", "json")
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	delete(rep, "store")
	delete(rep, "bytes") // Parquet files and bytes depend on how the workers' flushes fell
	delete(rep, "files")
	b, _ := json.MarshalIndent(rep, "", "  ")
	golden(t, "coverage/sample.json", string(b)+"\n")
}

// TestIngest_Range: --from D --to D stores exactly the events of day D that
// the files hold, and widening the range later adds exactly the rest.
func TestIngest_Range(t *testing.T) {
	logs, sum := sampleLogs(t)
	day := sum.CloudTrail.First.AddDate(0, 0, 1).Format("2006-01-02")
	perDay := map[string]int64{}
	stream := gen.NewCloudTrailStream(sampleConfig(t))
	var buf []byte
	for {
		var info gen.RecordInfo
		var ok bool
		buf, info, ok = stream.Next(buf[:0])
		if !ok {
			break
		}
		perDay[info.Time.UTC().Format("2006-01-02")]++
	}
	st := t.TempDir()
	ct := filepath.Join(logs, "cloudtrail")
	s1, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", ct, "--from", day, "--to", day)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := int64(s1["records_stored"].(float64)); got != perDay[day] {
		t.Errorf("stored %d events for %s, the logs hold %d", got, day, perDay[day])
	}
	if read, listed := s1["objects_read"].(float64), float64(sum.CloudTrail.Files); read >= listed*2/3 {
		t.Errorf("read %v of %v objects for one day of three: the key layout did not prune", read, listed)
	}
	s2, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", ct)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := int64(s2["records_stored"].(float64)); got != int64(sum.CloudTrail.Records)-perDay[day] {
		t.Errorf("widening stored %d more events, want %d", got, int64(sum.CloudTrail.Records)-perDay[day])
	}
	// Objects whose records all lie in the day are not read again; those
	// read again hold some of the day's events, stored before, not
	// outside the range.
	if already, outside := int64(s2["records_already_stored"].(float64)), s2["records_outside_range"].(float64); already > perDay[day] || outside != 0 {
		t.Errorf("widening: %d records already stored and %v outside the range, want at most %d and 0", already, outside, perDay[day])
	}
	if read := s2["objects_read"].(float64); read >= float64(sum.CloudTrail.Files) {
		t.Errorf("widening read %v objects of %d: the day's own were read again", read, sum.CloudTrail.Files)
	}
	if n, distinct, _, _ := counts(t, st); n != int64(sum.CloudTrail.Records) || distinct != n {
		t.Errorf("store holds %d events (%d distinct), want %d", n, distinct, sum.CloudTrail.Records)
	}
}

// TestIngest_Compaction feeds the first day of the sample in nine
// two-hour runs, as a trail delivering all day would: the ninth run merges
// the day's small files (the table's and its indexes'), and the store still
// holds every record once and answers investigations as a scan does.
func TestIngest_Compaction(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	day0 := sum.CloudTrail.First.UTC().Truncate(24 * time.Hour)
	sources := []string{"--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail"), "--s3-access-logs", filepath.Join(logs, "s3-access-logs")}
	compacted := 0.0
	// A reader opened after the first run reads that run's files to the end
	// while the others merge them away: it holds the store open.
	var reader *store.DB
	var readerRows int64
	for i := 0; i < 9; i++ {
		from, to := day0.Add(time.Duration(2*i)*time.Hour), day0.Add(time.Duration(2*i+2)*time.Hour-time.Second)
		s, errOut, code := ingestJSON(t, append(sources, "--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339))...)
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, errOut)
		}
		compacted += s["files_compacted"].(float64)
		if i == 0 {
			reader, readerRows = openReader(t, st)
		}
	}
	if compacted == 0 {
		t.Error("nine runs into one day compacted no file")
	}
	var n int64
	if err := reader.QueryRowContext(context.Background(), "SELECT count(*) FROM cloudtrail_logs").Scan(&n); err != nil || n != readerRows {
		t.Errorf("a session opened before compaction read %d rows (%v), it saw %d when it opened", n, err, readerRows)
	}
	reader.Close()
	if _, errOut, code := ingestJSON(t, sources...); code != 0 {
		t.Fatalf("last run: exit %d: %s", code, errOut)
	}
	_, m := manifestOf(t, st)
	// With the reader gone, the last run removed what it kept in place.
	parquet, _ := filepath.Glob(filepath.Join(st, "*", "*", "date=*", "*.parquet"))
	more, _ := filepath.Glob(filepath.Join(st, "*", "date=*", "*.parquet"))
	if parquet = append(parquet, more...); len(parquet) != len(m.Files) {
		t.Errorf("%d Parquet files in the store, the manifest names %d", len(parquet), len(m.Files))
	}
	if entries, _ := os.ReadDir(filepath.Join(st, "_manifest")); len(entries) != 1 {
		t.Errorf("manifest folder holds %d entries after a checkpoint with no reader, want 1", len(entries))
	}
	perTable := map[string]int{}
	for _, f := range m.Files {
		if f.Partition.Day == day0.Format("2006-01-02") {
			perTable[f.Table]++
		}
	}
	for _, table := range []string{store.TableCloudTrail, store.TableKeyUsage, store.TableIPUsage} {
		if n := perTable[table]; n == 0 || n >= 8 {
			t.Errorf("%s holds %d files for %s after compaction", table, n, day0.Format("2006-01-02"))
		}
	}
	if !m.Indexed() {
		t.Error("compaction lost the indexed mark")
	}
	wantSample(t, st, sum, "after compaction")
	indexMatchesScan(t, st, [][]string{{"investigate", "key", gen.IncidentKey}, {"investigate", "ip", gen.IncidentIP}})
}

// openReader opens a read-only session on the store and counts its
// CloudTrail rows; the caller closes it.
func openReader(t *testing.T, dir string) (*store.DB, int64) {
	t.Helper()
	db := session(t, dir)
	var n int64
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM cloudtrail_logs").Scan(&n); err != nil || n == 0 {
		t.Fatalf("a new session read %d rows: %v", n, err)
	}
	return db, n
}

func sampleConfig(t *testing.T) gen.Config {
	cfg := gen.DefaultConfig()
	cfg.Days, cfg.CloudTrailEvents, cfg.AccessLogLines = 3, 6000, 4000
	cfg.CloudTrailFileInterval = 30 * time.Minute
	cfg.AccessLogFileInterval = 2 * time.Hour
	return cfg
}

// TestIngest_BadInput: bad files and records never stop the rest; each is
// counted, kept in quarantine with its source and reason, and reported;
// --strict makes them an error.
func TestIngest_BadInput(t *testing.T) {
	dir := t.TempDir()
	ctDir := filepath.Join(dir, "ct")
	os.MkdirAll(ctDir, 0o755)
	good := `{"Records":[{"eventVersion":"1.11","eventTime":"2026-04-24T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"e1"}]}`
	os.WriteFile(filepath.Join(ctDir, "good.json"), []byte(good), 0o644)
	os.WriteFile(filepath.Join(ctDir, "malformed.json"), []byte(`{"Records":[{"eventVersion":"1.11","eventTime":"2026-04-24T10:00:01Z","eventID":"e2"},{"eventTime": nope}]}`), 0o644)
	os.WriteFile(filepath.Join(ctDir, "lines.jsonl"), []byte("{\"eventVersion\":\"1.11\",\"eventTime\":\"2026-04-24T10:00:02Z\",\"eventID\":\"e3\"}\n{broken\n{\"eventVersion\":\"1.11\",\"eventTime\":\"yesterday\",\"eventID\":\"e4\"}\n"), 0o644)
	gz := gzipBytes(t, []byte(strings.Repeat(good+"\n", 2000)))
	os.WriteFile(filepath.Join(ctDir, "cut.json.gz"), gz[:len(gz)/2], 0o644)
	os.WriteFile(filepath.Join(ctDir, "README.md"), []byte("# not a log\n"), 0o644)
	// In AWS's layout a file is a log whatever its first bytes: events after
	// a bad first line are read, and a .gz that is not gzip is reported.
	day := filepath.Join(ctDir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "04", "24")
	os.MkdirAll(day, 0o755)
	os.WriteFile(filepath.Join(day, "111122223333_CloudTrail_us-east-1_20260424T1005Z_firstline0000001.json"),
		[]byte("garbage\n{\"eventVersion\":\"1.11\",\"eventTime\":\"2026-04-24T10:00:03Z\",\"eventID\":\"e5\"}\n"), 0o644)
	os.WriteFile(filepath.Join(day, "111122223333_CloudTrail_us-east-1_20260424T1010Z_notgzip000000001.json.gz"), []byte("\x00\x01 random bytes"), 0o644)
	os.WriteFile(filepath.Join(day, "README.txt"), []byte("notes on these logs\n"), 0o644) // in AWS's folders, not AWS's name
	st := t.TempDir()
	s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", ctDir)
	if code != 0 {
		t.Fatalf("exit %d without --strict: %s", code, errOut)
	}
	if got := s["records_rejected"].(float64); got != 3 {
		t.Errorf("rejected %v records, want 3 (the broken line, the unreadable time and the garbage first line)", got)
	}
	errs, _ := s["file_errors"].([]any)
	if len(errs) != 3 || !strings.Contains(fmt.Sprint(errs), "malformed.json: byte") || !strings.Contains(fmt.Sprint(errs), "cut.json.gz") ||
		!strings.Contains(fmt.Sprint(errs), "notgzip000000001.json.gz: named .gz but not gzip data") {
		t.Errorf("file errors %v, want malformed.json and cut.json.gz with their offsets, and the .gz that is not gzip", errs)
	}
	// Counted per object, most first, with where each object's are kept.
	if by, _ := s["rejected_by_object"].([]any); len(by) != 2 ||
		!strings.HasSuffix(by[0].(map[string]any)["object"].(string), "lines.jsonl") || by[0].(map[string]any)["rejected"].(float64) != 2 ||
		!strings.HasPrefix(by[1].(map[string]any)["quarantine"].(string), "quarantine/cloudtrail/") || by[1].(map[string]any)["rejected"].(float64) != 1 {
		t.Errorf("rejected by object: %v, want lines.jsonl (2) then the file with a bad first line (1)", by)
	}
	if notLogs, _ := s["not_logs_skipped"].([]any); len(notLogs) != 2 {
		t.Errorf("not-log files %v, want README.md and README.txt", notLogs)
	}
	q, _ := filepath.Glob(filepath.Join(st, "quarantine", "cloudtrail", "*.ndjson"))
	var lines []string
	for _, f := range q {
		b, _ := os.ReadFile(f)
		lines = append(lines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	}
	joined := strings.Join(lines, "\n")
	if len(lines) != 3 || !strings.Contains(joined, `"reason":"malformed JSON`) || !strings.Contains(joined, `"raw":"{broken"`) ||
		!strings.Contains(joined, `"line":2`) || !strings.Contains(joined, "lines.jsonl") || !strings.Contains(joined, `"raw":"garbage"`) {
		t.Errorf("quarantine holds:\n%s", joined)
	}
	// A record rejected for its time is kept as written, where it lies.
	if !strings.Contains(joined, `{"source":"`+filepath.Join(ctDir, "lines.jsonl")+`","line":3,"offset":82,"reason":"eventTime \"yesterday\" missing or unreadable","raw":"{\"eventVersion\":\"1.11\",\"eventTime\":\"yesterday\",\"eventID\":\"e4\"}"}`) {
		t.Errorf("the unreadable time is not quarantined as written, at line 3, byte 82:\n%s", joined)
	}
	// The good rows, including those before and after each problem, are stored.
	if n, distinct, _, _ := counts(t, st); distinct != 4 || n < 5 {
		t.Errorf("stored %d events (%d distinct ids), want e1, e2, e3 and e5, and copies of e1 from before the cut", n, distinct)
	}
	_, errOut, code = run(t, "ingest", "--store", t.TempDir(), "--cloudtrail", ctDir, "--strict")
	if code != 1 || !strings.Contains(errOut, "--strict") {
		t.Errorf("--strict: exit %d, stderr %s", code, errOut)
	}
	// A run that reads nothing new still knows which stored objects were
	// not read in full: --strict fails on them too.
	s, errOut, code = ingestJSON(t, "--store", st, "--cloudtrail", ctDir, "--strict")
	if known, _ := s["stored_objects_not_read_in_full"].([]any); code != 1 || len(known) != 3 || s["records_rejected_before"].(float64) != 3 {
		t.Errorf("--strict again: exit %d, known partial objects %v, %v records rejected before: %s", code, known, s["records_rejected_before"], errOut)
	}
	// And so does coverage.
	out, _, _ := run(t, "coverage", "--store", st, "--format", "json")
	var cov struct {
		Partial []string `json:"objects_not_read_in_full"`
	}
	json.Unmarshal([]byte(out), &cov)
	if len(cov.Partial) != 3 || !strings.HasSuffix(cov.Partial[0], "notgzip000000001.json.gz") || !strings.HasSuffix(cov.Partial[1], "cut.json.gz") {
		t.Errorf("coverage names %v as not read in full, want the 3 damaged files", cov.Partial)
	}
}

// TestIngest_Killed kills ingests at several moments with SIGKILL: the store
// must read correctly after each kill, and a final run must complete it with
// every row exactly once.
// killRuns runs keytrail with args as a process again and again, killing
// it (SIGKILL) after each of the delays (ms), and checks after each kill
// that the store st holds no duplicate and no more rows than generated.
// Returns how many runs were killed before they finished.
func killRuns(t *testing.T, st string, sum gen.Summary, args []string, delays ...time.Duration) (killed int) {
	t.Helper()
	for i, delay := range delays {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "KEYTRAIL_TEST_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if err != nil {
			killed++
		}
		if _, err := store.Open(st); err != nil {
			continue // killed before it created the store
		}
		ct, ctd, s3, s3d := counts(t, st)
		if ct != ctd || s3 != s3d {
			t.Fatalf("kill %d: duplicates after a kill: %d events (%d distinct), %d lines (%d distinct)", i, ct, ctd, s3, s3d)
		}
		if ct > int64(sum.CloudTrail.Records) || s3 > int64(sum.AccessLogs.Records) {
			t.Fatalf("kill %d: more rows than generated", i)
		}
		t.Logf("after kill %d (%v, killed: %v): %d events, %d lines", i, delay*time.Millisecond, err != nil, ct, s3)
	}
	return killed
}

func TestIngest_Killed(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	args := []string{"ingest", "-q", "--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail"),
		"--s3-access-logs", filepath.Join(logs, "s3-access-logs"), "--flush-bytes", "200000"}
	killedMidway := killRuns(t, st, sum, args, 30, 80, 150, 250, 400, 600, 800, 1000)
	if killedMidway == 0 {
		t.Error("no run was killed before it finished: the test did not test a kill")
	}
	_, errOut, code := run(t, args[0:]...)
	if code != 0 {
		t.Fatalf("final run: exit %d: %s", code, errOut)
	}
	wantSample(t, st, sum, "after kills and a final run")
	if left, _ := filepath.Glob(filepath.Join(st, "_tmp", "*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestIngest_Concurrent runs two ingests of the same logs into one store at
// once: the lock serializes them and every row is stored once.
func TestIngest_Concurrent(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	args := []string{"ingest", "--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail"), "--flush-bytes", "500000"}
	var wg sync.WaitGroup
	errs := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i], codes[i] = run(t, args...)
		}()
	}
	wg.Wait()
	if codes[0] != 0 || codes[1] != 0 {
		t.Fatalf("exits %v: %v", codes, errs)
	}
	if !strings.Contains(errs[0]+errs[1], "waiting for the store") {
		t.Errorf("neither run said it waited for the other:\n%s\n%s", errs[0], errs[1])
	}
	if ct, ctd, _, _ := counts(t, st); ct != int64(sum.CloudTrail.Records) || ctd != ct {
		t.Errorf("%d events (%d distinct), want %d", ct, ctd, sum.CloudTrail.Records)
	}
}

// TestIngest_LateDelivery: a day's records delivered on time, 4 hours late
// and 9 hours late, in AWS's key layout. The default slack reads the 4-hour
// file and warns that the range's records were still arriving late in it;
// a run with the slack the warning names reads the 9-hour file too, and
// only it.
func TestIngest_LateDelivery(t *testing.T) {
	dir := t.TempDir()
	write := func(delivered string, times ...string) {
		d, err := time.Parse("20060102T1504Z", delivered)
		if err != nil {
			t.Fatal(err)
		}
		folder := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", d.Format("2006/01/02"))
		os.MkdirAll(folder, 0o755)
		var recs []string
		for i, ts := range times {
			recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.11","eventTime":%q,"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","eventID":"%s-%d"}`, ts, delivered, i))
		}
		name := "111122223333_CloudTrail_us-east-1_" + delivered + "_abcdefghijklmnop.json.gz"
		os.WriteFile(filepath.Join(folder, name), gzipBytes(t, []byte(`{"Records":[`+strings.Join(recs, ",")+`]}`)), 0o644)
	}
	write("20260424T1205Z", "2026-04-24T12:00:00Z", "2026-04-24T12:01:00Z")
	write("20260425T0005Z", "2026-04-24T23:58:00Z", "2026-04-25T00:01:00Z")
	write("20260425T0400Z", "2026-04-24T23:59:00Z", "2026-04-25T03:55:00Z") // 4 hours late
	write("20260425T0900Z", "2026-04-24T23:59:30Z", "2026-04-25T08:55:00Z") // 9 hours late
	write("20260426T0100Z", "2026-04-26T00:55:00Z")                         // never read for the 24th
	st := t.TempDir()
	args := []string{"--store", st, "--cloudtrail", dir, "--from", "2026-04-24", "--to", "2026-04-24"}
	s, errOut, code := ingestJSON(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := s["records_stored"].(float64); got != 4 {
		t.Errorf("default slack stored %v records of the 24th, want 4 (the 9-hour-late one is past it)", got)
	}
	warnings := fmt.Sprint(s["warnings"])
	if !strings.Contains(warnings, "still arriving 4h after its end") || !strings.Contains(warnings, "20260425T0400Z") || !strings.Contains(warnings, "--slack 12h") {
		t.Errorf("warnings %s, want the 4-hour-late file and --slack 12h", warnings)
	}
	s, errOut, code = ingestJSON(t, append(args, "--slack", "12h")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got, read := s["records_stored"].(float64), s["objects_read"].(float64); got != 1 || read != 1 {
		t.Errorf("--slack 12h stored %v records from %v objects, want the one record of the 9-hour-late file", got, read)
	}
	if ct, distinct, _, _ := counts(t, st); ct != 5 || distinct != 5 {
		t.Errorf("store holds %d events (%d distinct), want the 24th's 5", ct, distinct)
	}
}
