package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/store"
	"github.com/klauspost/compress/zstd"
)

// copyTree copies the files below src to dst, giving each the time now.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIngest_SameObjects: logs reached twice in one run (the same folder
// twice, a folder inside another) and in later runs through a link, a copy
// or a link to one file are the objects already stored: each record is
// stored once.
func TestIngest_SameObjects(t *testing.T) {
	logs, sum := sampleLogs(t)
	ct, s3 := filepath.Join(logs, "cloudtrail"), filepath.Join(logs, "s3-access-logs")
	st := t.TempDir()
	s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", ct, "--cloudtrail", ct, "--cloudtrail", filepath.Join(ct, "AWSLogs"),
		"--s3-access-logs", s3, "--s3-access-logs", s3)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if twice := s["objects_listed_twice"].(float64); twice < float64(sum.CloudTrail.Files+sum.AccessLogs.Files) {
		t.Errorf("%v objects listed twice, want at least %d", twice, sum.CloudTrail.Files+sum.AccessLogs.Files)
	}
	wantSample(t, st, sum, "overlapping sources")

	other := t.TempDir()
	link := filepath.Join(other, "link")
	if err := os.Symlink(logs, link); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(other, "copy")
	copyTree(t, logs, cp)
	oneFile := filepath.Join(other, "one")
	os.MkdirAll(oneFile, 0o755)
	var aLog string
	filepath.WalkDir(s3, func(p string, d fs.DirEntry, err error) error {
		if aLog == "" && d.Type().IsRegular() {
			aLog = p
		}
		return nil
	})
	os.Symlink(aLog, filepath.Join(oneFile, filepath.Base(aLog)))
	for _, src := range [][]string{
		{"--cloudtrail", filepath.Join(link, "cloudtrail"), "--s3-access-logs", filepath.Join(link, "s3-access-logs")},
		{"--cloudtrail", filepath.Join(cp, "cloudtrail"), "--s3-access-logs", filepath.Join(cp, "s3-access-logs")},
		{"--s3-access-logs", oneFile},
	} {
		s, errOut, code := ingestJSON(t, append([]string{"--store", st}, src...)...)
		if code != 0 || s["records_stored"].(float64) != 0 || s["objects_read"].(float64) != 0 {
			t.Errorf("%v: exit %d, stored %v records from %v objects, want none: %s", src, code, s["records_stored"], s["objects_read"], errOut)
		}
	}
	wantSample(t, st, sum, "links and copies")
}

// TestIngest_WrongFlagThenRight: logs given to the wrong flag are skipped
// and not recorded, so that the right flag reads them later.
func TestIngest_WrongFlagThenRight(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", logs) // both trees, as CloudTrail
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if notLogs, _ := s["not_logs_skipped"].([]any); len(notLogs) != sum.AccessLogs.Files {
		t.Errorf("%d objects skipped as not CloudTrail logs, want the %d access logs", len(notLogs), sum.AccessLogs.Files)
	}
	s, errOut, code = ingestJSON(t, "--store", st, "--s3-access-logs", filepath.Join(logs, "s3-access-logs"))
	if code != 0 || s["records_stored"].(float64) != float64(sum.AccessLogs.Records) {
		t.Errorf("the right flag: exit %d, stored %v lines, want %d: %s", code, s["records_stored"], sum.AccessLogs.Records, errOut)
	}
	wantSample(t, st, sum, "wrong flag, then the right one")

	// The same for a file in no AWS layout, which both flags name alike.
	plain := t.TempDir()
	line := "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /awsexamplebucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -\n"
	os.WriteFile(filepath.Join(plain, "access.log"), []byte(line), 0o644)
	ingestJSON(t, "--store", st, "--cloudtrail", plain)
	s, errOut, code = ingestJSON(t, "--store", st, "--s3-access-logs", plain)
	if code != 0 || s["records_stored"].(float64) != 1 {
		t.Errorf("a plain access log after --cloudtrail: exit %d, stored %v lines, want 1: %s", code, s["records_stored"], errOut)
	}
	// And given to both flags in one run.
	s, errOut, code = ingestJSON(t, "--store", t.TempDir(), "--cloudtrail", plain, "--s3-access-logs", plain)
	if code != 0 || s["records_stored"].(float64) != 1 {
		t.Errorf("a plain access log given to both flags: exit %d, stored %v lines, want 1: %s", code, s["records_stored"], errOut)
	}
}

// TestIngest_Modified: a stored file changed in place, even without a
// change of size, is reported and not read again.
func TestIngest_Modified(t *testing.T) {
	logs, _ := sampleLogs(t)
	dir := t.TempDir()
	copyTree(t, filepath.Join(logs, "s3-access-logs"), dir)
	st := t.TempDir()
	if _, errOut, code := ingestJSON(t, "--store", st, "--s3-access-logs", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var victim string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if victim == "" && d.Type().IsRegular() {
			victim = p
		}
		return nil
	})
	b, _ := os.ReadFile(victim)
	os.WriteFile(victim, bytes.Replace(b, []byte(" 10."), []byte(" 11."), 1), 0o644)
	later := time.Now().Add(time.Minute)
	os.Chtimes(victim, later, later)
	s, errOut, code := ingestJSON(t, "--store", st, "--s3-access-logs", dir)
	if changed, _ := s["changed_objects_skipped"].([]any); code != 0 || len(changed) != 1 || changed[0] != victim {
		t.Errorf("exit %d, changed objects %v, want %s: %s", code, changed, victim, errOut)
	}
	if s["objects_read"].(float64) != 0 {
		t.Errorf("read %v objects, want none", s["objects_read"])
	}
}

// TestIngest_UnreadableFolder: a folder the user cannot read is named, and
// the rest is read. Run as root (as CI is), the ingest runs as nobody.
func TestIngest_UnreadableFolder(t *testing.T) {
	logs, sum := sampleLogs(t)
	base := t.TempDir()
	os.Chmod(base, 0o755)
	os.Chmod(filepath.Dir(base), 0o755) // the test's own folder
	ct := filepath.Join(base, "ct")
	copyTree(t, filepath.Join(logs, "cloudtrail"), ct)
	day := sum.CloudTrail.First.UTC().Format("2006/01/02")
	locked := filepath.Join(ct, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", filepath.FromSlash(day))
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(locked, 0o755)
	st := filepath.Join(base, "store")
	os.Mkdir(st, 0o777)
	os.Chmod(st, 0o777)
	args := []string{"ingest", "--format", "json", "--store", st, "--cloudtrail", ct}
	var out, errOut bytes.Buffer
	if os.Geteuid() == 0 {
		// nobody must be able to run the test binary: a copy of it, here.
		bin := filepath.Join(base, "keytrail.test")
		b, err := os.ReadFile(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(bin, b, 0o755)
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KEYTRAIL_TEST_MAIN=1", "HOME="+base)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %s", err, errOut.String())
		}
	} else {
		o, e, code := run(t, args...)
		out.WriteString(o)
		errOut.WriteString(e)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, e)
		}
	}
	var s map[string]any
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("%v: %s %s", err, out.String(), errOut.String())
	}
	skipped, _ := s["prefixes_not_listed"].([]any)
	if len(skipped) != 1 || !strings.Contains(skipped[0].(string), locked) || !strings.Contains(s["prefixes_not_listed_hint"].(string), "readable") {
		t.Errorf("not listed: %v (%v), want %s", skipped, s["prefixes_not_listed_hint"], locked)
	}
	if s["records_stored"].(float64) == 0 {
		t.Error("nothing stored from the readable folders")
	}
}

// TestIngest_DryRunWritesNothing: a dry run of a store that does not exist
// creates nothing, and lists what a real run would read.
func TestIngest_DryRunWritesNothing(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := filepath.Join(t.TempDir(), "store")
	s, errOut, code := ingestJSON(t, "--store", st, "--dry-run", "--cloudtrail", filepath.Join(logs, "cloudtrail"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := s["objects_read"].(float64); got != float64(sum.CloudTrail.Files) {
		t.Errorf("dry run would read %v objects, want %d", got, sum.CloudTrail.Files)
	}
	if _, err := os.Stat(st); !os.IsNotExist(err) {
		t.Errorf("a dry run created %s (%v)", st, err)
	}
	// Its result, the objects, is printed even with -q.
	out, _, code := run(t, "ingest", "-q", "--store", st, "--dry-run", "--cloudtrail", filepath.Join(logs, "cloudtrail"))
	if lines := strings.Count(out, "\n"); code != 0 || lines != sum.CloudTrail.Files {
		t.Errorf("-q --dry-run: exit %d, %d lines on stdout, want the %d objects", code, lines, sum.CloudTrail.Files)
	}
}

// TestIngest_BadFlags: what cannot be meant is a usage error (exit 2) or a
// user error (exit 1), never reported as a bug.
func TestIngest_BadFlags(t *testing.T) {
	logs, _ := sampleLogs(t)
	ct := filepath.Join(logs, "cloudtrail")
	aFile := filepath.Join(t.TempDir(), "afile")
	os.WriteFile(aFile, []byte("x"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"empty source", []string{"ingest", "--store", t.TempDir(), "--cloudtrail", ""}, 2, "an empty source"},
		{"negative slack", []string{"ingest", "--store", t.TempDir(), "--cloudtrail", ct, "--slack", "-1h"}, 2, "--slack must be 0 or more"},
		{"missing source", []string{"ingest", "--store", t.TempDir(), "--cloudtrail", filepath.Join(t.TempDir(), "nope")}, 1, "does not exist"},
		{"store is a file", []string{"ingest", "--store", aFile, "--cloudtrail", ct}, 1, "give --store a folder"},
		{"coverage of a file", []string{"coverage", "--store", aFile}, 1, "give --store a keytrail store folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := run(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "bug") {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tt.code, tt.want, errOut)
			}
		})
	}
}

// TestStore_ReadableByOthers: every file of a store is readable by other
// users, as a store written by one user is often read by another.
func TestStore_ReadableByOthers(t *testing.T) {
	logs, _ := sampleLogs(t)
	st := t.TempDir()
	if _, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail")); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	filepath.WalkDir(st, func(p string, d fs.DirEntry, err error) error {
		if info, err := d.Info(); err == nil && d.Type().IsRegular() && info.Mode().Perm()&0o044 != 0o044 {
			t.Errorf("%s is %v: others cannot read it", p, info.Mode().Perm())
		}
		return nil
	})
}

// TestIngest_Interrupted: an ingest stopped by SIGINT reports what it
// stored, exactly, and a re-run stores the rest.
func TestIngest_Interrupted(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	args := []string{"ingest", "--format", "json", "--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail"),
		"--s3-access-logs", filepath.Join(logs, "s3-access-logs"), "--flush-bytes", "100000", "--workers", "1"}
	if _, err := store.Create(st); err != nil {
		t.Fatal(err)
	}
	interrupted := 0
	// Each run is interrupted once it has committed some more entries.
	for _, commits := range []int{1, 3, 5} {
		before, _, s3Before, _ := counts(t, st)
		entries, _ := os.ReadDir(filepath.Join(st, "_manifest"))
		var out bytes.Buffer
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "KEYTRAIL_TEST_MAIN=1")
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
	wait:
		for {
			select {
			case <-exited:
				break wait
			case <-time.After(time.Millisecond):
			}
			if now, _ := os.ReadDir(filepath.Join(st, "_manifest")); len(now) >= len(entries)+commits {
				cmd.Process.Signal(syscall.SIGINT)
				<-exited
				break
			}
		}
		var s map[string]any
		if err := json.Unmarshal(out.Bytes(), &s); err != nil {
			continue // stopped before it wrote a summary
		}
		if s["interrupted"] == true {
			interrupted++
		}
		ct, _, s3, _ := counts(t, st)
		if got := int64(s["records_stored"].(float64)); got != ct+s3-before-s3Before {
			t.Errorf("after SIGINT at %d commits: the summary says %d records stored, the store gained %d", commits, got, ct+s3-before-s3Before)
		}
	}
	if interrupted == 0 {
		t.Error("no run was interrupted before it finished: the test did not test an interruption")
	}
	if _, errOut, code := run(t, args...); code != 0 {
		t.Fatalf("final run: exit %d: %s", code, errOut)
	}
	wantSample(t, st, sum, "after interruptions and a final run")
}

// TestIngest_CompactionResumes: partitions left with many small files
// (here by --no-compact; as well by a run killed while compacting) are
// compacted by the next run, whatever it reads.
func TestIngest_CompactionResumes(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	day0 := sum.CloudTrail.First.UTC().Truncate(24 * time.Hour)
	ct := filepath.Join(logs, "cloudtrail")
	for i := 0; i < 9; i++ {
		from, to := day0.Add(time.Duration(2*i)*time.Hour), day0.Add(time.Duration(2*i+2)*time.Hour-time.Second)
		if _, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", ct, "--no-compact", "--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339)); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, errOut)
		}
	}
	s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", ct, "--from", "2000-01-01", "--to", "2000-01-01")
	if code != 0 || s["files_compacted"].(float64) == 0 {
		t.Errorf("a run that read nothing: exit %d, compacted %v files, want the day's: %s", code, s["files_compacted"], errOut)
	}
	_, m := manifestOf(t, st)
	if n := len(m.FilesOf(store.TableCloudTrail)); n >= 8 {
		t.Errorf("%d CloudTrail files after compaction", n)
	}
}

// TestIngest_OldManifest: a store whose manifest names its sources by path
// only (written before objects had IDs) is re-keyed by the next ingest, so
// that a copy of its logs is still recognized.
func TestIngest_OldManifest(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	if _, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail")); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	oldCheckpoint(t, st, func(*store.SourceEntry) {})
	cp := filepath.Join(t.TempDir(), "copy")
	copyTree(t, filepath.Join(logs, "cloudtrail"), cp)
	r, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", cp)
	if code != 0 || r["objects_read"].(float64) != 0 {
		t.Errorf("a copy of the logs of an old store: exit %d, read %v objects, want none: %s", code, r["objects_read"], errOut)
	}
	if n, distinct, _, _ := counts(t, st); n != int64(sum.CloudTrail.Records) || distinct != n {
		t.Errorf("%d events (%d distinct), want %d", n, distinct, sum.CloudTrail.Records)
	}
}

// TestIngest_NotUTF8Names: file names that are not UTF-8 are objects of
// their own, the store's manifest reads back, and a second run adds
// nothing.
func TestIngest_NotUTF8Names(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"events-\xfe.json", "events-\xff.json", "caf\xe9.json"} {
		ev := fmt.Sprintf(`{"eventVersion":"1.11","eventTime":"2026-04-24T10:00:0%dZ","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"nu-%d"}`+"\n", i, i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(ev), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st := t.TempDir()
	for run := range 2 {
		s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", dir)
		if want := []float64{3, 0}[run]; code != 0 || s["records_stored"].(float64) != want {
			t.Fatalf("run %d: exit %d, stored %v, want %v: %s", run, code, s["records_stored"], want, errOut)
		}
	}
	if n, distinct, _, _ := counts(t, st); n != 3 || distinct != 3 {
		t.Errorf("%d events (%d distinct), want 3", n, distinct)
	}
}

// TestIngest_LinkFarm: links in AWS's layout to files named otherwise (as
// git-annex and DVC keep data) are the objects a copy in the layout is.
func TestIngest_LinkFarm(t *testing.T) {
	logs, sum := sampleLogs(t)
	ct := filepath.Join(logs, "cloudtrail")
	farm, blobs := filepath.Join(t.TempDir(), "farm"), t.TempDir()
	n := 0
	filepath.WalkDir(ct, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "Digest") {
			return err
		}
		rel, _ := filepath.Rel(ct, p)
		b, _ := os.ReadFile(p)
		n++
		blob := filepath.Join(blobs, fmt.Sprintf("blob%d", n))
		os.WriteFile(blob, b, 0o644)
		os.MkdirAll(filepath.Dir(filepath.Join(farm, rel)), 0o755)
		return os.Symlink(blob, filepath.Join(farm, rel))
	})
	st := t.TempDir()
	if _, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", farm); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, src := range []string{ct, blobs} { // the files the links lead to, in the layout and not
		s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", src)
		if code != 0 || s["objects_read"].(float64) != 0 {
			t.Errorf("%s: exit %d, read %v objects, want none: %s", src, code, s["objects_read"], errOut)
		}
	}
	if got, distinct, _, _ := counts(t, st); got != int64(sum.CloudTrail.Records) || distinct != got {
		t.Errorf("%d events (%d distinct), want %d", got, distinct, sum.CloudTrail.Records)
	}
	// The links and what they lead to, in one run: each file once.
	other := t.TempDir()
	s, errOut, code := ingestJSON(t, "--store", other, "--cloudtrail", blobs, "--cloudtrail", farm)
	if got, distinct, _, _ := counts(t, other); code != 0 || got != int64(sum.CloudTrail.Records) || distinct != got {
		t.Errorf("links and targets in one run: exit %d, %d events (%d distinct), want %d; %v listed twice: %s", code, got, distinct, sum.CloudTrail.Records, s["objects_listed_twice"], errOut)
	}
}

// TestIngest_Recompressed: a stored log compressed again (another gzip
// level, zstd) is told by its content, and read for the part of a wider
// range not stored yet.
func TestIngest_Recompressed(t *testing.T) {
	dir := t.TempDir()
	day := ctDayDir(t, dir)
	body := ctRecords("r", "2026-04-24T00:00:00Z", "2026-04-24T00:01:00Z", "2026-04-24T00:02:00Z", "2026-04-24T00:03:00Z")
	name := "111122223333_CloudTrail_us-east-1_20260424T0005Z_recompressed0001.json"
	os.WriteFile(filepath.Join(day, name+".gz"), gzipBytes(t, body), 0o644)
	st := t.TempDir()
	if _, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", dir, "--from", "2026-04-24T00:00:00Z", "--to", "2026-04-24T00:02:00Z"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	again := t.TempDir()
	var level9 bytes.Buffer
	z9, _ := gzip.NewWriterLevel(&level9, gzip.BestCompression)
	z9.Write(body)
	z9.Close()
	os.WriteFile(filepath.Join(again, name+".gz"), level9.Bytes(), 0o644)
	zs, _ := zstd.NewWriter(nil)
	os.WriteFile(filepath.Join(again, name+".zst"), zs.EncodeAll(body, nil), 0o644)
	s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", again, "--strict")
	if code != 0 || s["changed_objects_skipped"] != nil || s["records_stored"].(float64) != 2 {
		t.Errorf("recompressed copies: exit %d, changed %v, stored %v records, want the 2 not stored yet: %s", code, s["changed_objects_skipped"], s["records_stored"], errOut)
	}
	if n, distinct, _, _ := counts(t, st); n != 4 || distinct != 4 {
		t.Errorf("%d events (%d distinct), want 4", n, distinct)
	}
}

// TestIngest_FlatAndOtherLayouts: logs stored from their folders are the
// objects a flat download, an organization trail's layout and a gunzipped
// copy of them are: AWS's file names are unique by themselves.
func TestIngest_FlatAndOtherLayouts(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	if _, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail"), "--s3-access-logs", filepath.Join(logs, "s3-access-logs")); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	base := t.TempDir()
	flat, org, gunzipped := filepath.Join(base, "flat"), filepath.Join(base, "org", "AWSLogs", "o-a1b2c3d4e5"), filepath.Join(base, "gunzipped")
	for _, d := range []string{flat, org, gunzipped} {
		os.MkdirAll(d, 0o755)
	}
	filepath.WalkDir(logs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "Digest") {
			return err
		}
		b, _ := os.ReadFile(p)
		os.WriteFile(filepath.Join(flat, d.Name()), b, 0o644)
		if rel, err := filepath.Rel(filepath.Join(logs, "cloudtrail", "AWSLogs"), p); err == nil && !strings.HasPrefix(rel, "..") {
			os.MkdirAll(filepath.Dir(filepath.Join(org, rel)), 0o755)
			os.WriteFile(filepath.Join(org, rel), b, 0o644)
			if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
				plain, _ := io.ReadAll(zr)
				os.WriteFile(filepath.Join(gunzipped, strings.TrimSuffix(d.Name(), ".gz")), plain, 0o644)
			}
		}
		return nil
	})
	for _, src := range [][]string{
		{"--cloudtrail", flat, "--s3-access-logs", flat},
		{"--cloudtrail", filepath.Join(base, "org")},
		{"--cloudtrail", gunzipped},
	} {
		s, errOut, code := ingestJSON(t, append([]string{"--store", st}, src...)...)
		if code != 0 || s["records_stored"].(float64) != 0 || s["changed_objects_skipped"] != nil {
			t.Errorf("%v: exit %d, stored %v records, changed %v; want nothing: %s", src, code, s["records_stored"], s["changed_objects_skipped"], errOut)
		}
	}
	wantSample(t, st, sum, "flat, organization and gunzipped copies")
}

// TestIngest_StoreInsideSource: a store inside the folder given as a
// source, even reached through a link, is not read as logs.
func TestIngest_StoreInsideSource(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "events.json"), []byte(`{"eventVersion":"1.11","eventTime":"2026-04-24T10:00:00Z","eventName":"X","eventID":"a"}`+"\n"), 0o644)
	os.Symlink(src, filepath.Join(base, "link"))
	st := filepath.Join(base, "link", "store")
	for run := range 3 {
		s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", src, "--strict")
		if code != 0 || s["records_rejected"].(float64) != 0 {
			t.Fatalf("run %d: exit %d, %v rejected: %s", run, code, s["records_rejected"], errOut)
		}
	}
}

// TestIngest_CopiedAgain: logs copied again to the same path (new
// modification times, the same bytes) are recognized by their bytes;
// an edited one is reported, and with --strict is an error.
func TestIngest_CopiedAgain(t *testing.T) {
	logs, sum := sampleLogs(t)
	dir := filepath.Join(t.TempDir(), "dl")
	copyTree(t, filepath.Join(logs, "s3-access-logs"), dir)
	st := t.TempDir()
	if _, errOut, code := ingestJSON(t, "--store", st, "--s3-access-logs", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	os.RemoveAll(dir)
	copyTree(t, filepath.Join(logs, "s3-access-logs"), dir)
	later := time.Now().Add(time.Hour)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		return os.Chtimes(p, later, later)
	})
	s, errOut, code := ingestJSON(t, "--store", st, "--s3-access-logs", dir, "--strict")
	if code != 0 || s["objects_already_stored_new_mtime"].(float64) != float64(sum.AccessLogs.Files) || s["changed_objects_skipped"] != nil {
		t.Errorf("copied again: exit %d, %v with the same bytes, changed %v; want all %d the same: %s",
			code, s["objects_already_stored_new_mtime"], s["changed_objects_skipped"], sum.AccessLogs.Files, errOut)
	}
	// The new times are recorded: the next run reads nothing.
	s, _, _ = ingestJSON(t, "--store", st, "--s3-access-logs", dir)
	if s["objects_already_stored_new_mtime"] != nil || s["objects_read"].(float64) != 0 {
		t.Errorf("third run: %v compared again, %v read; want none", s["objects_already_stored_new_mtime"], s["objects_read"])
	}
	wantLines(t, st, sum.AccessLogs.Records)
}

// TestIngest_PartialThenComplete: a file stored while it was still being
// copied, then completed, stays a problem for --strict (its rest can be
// read only into a new store), and the summary says so.
func TestIngest_PartialThenComplete(t *testing.T) {
	dir := t.TempDir()
	day := ctDayDir(t, dir)
	var times []string
	for i := range 400 {
		times = append(times, fmt.Sprintf("2026-04-24T10:%02d:%02dZ", i/60, i%60))
	}
	full := gzipBytes(t, ctRecords("p", times...))
	f := filepath.Join(day, "111122223333_CloudTrail_us-east-1_20260424T1100Z_partial000000001.json.gz")
	os.WriteFile(f, full[:len(full)/2], 0o644)
	st := t.TempDir()
	ingestJSON(t, "--store", st, "--cloudtrail", dir)
	os.WriteFile(f, full, 0o644)
	s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", dir, "--strict")
	known, _ := s["stored_objects_not_read_in_full"].([]any)
	if code != 1 || len(known) != 1 || !strings.Contains(fmt.Sprint(known), "changed since") {
		t.Errorf("completed after a partial read: exit %d, known partial %v: %s", code, known, errOut)
	}
}

// wantLines fails the test unless the store holds n access-log lines, each
// once.
func wantLines(t *testing.T, st string, n int64) {
	t.Helper()
	if _, _, s3, distinct := counts(t, st); s3 != n || distinct != s3 {
		t.Errorf("%d lines (%d distinct), want %d", s3, distinct, n)
	}
}

// oldCheckpoint rewrites the store's manifest as builds before object IDs
// wrote it (sources a map keyed by path, without IDs or hashes), passing
// each entry through edit first.
func oldCheckpoint(t *testing.T, st string, edit func(*store.SourceEntry)) {
	t.Helper()
	_, m := manifestOf(t, st)
	old := map[string]*store.SourceEntry{}
	for _, e := range m.Sources {
		e.ID, e.Hash, e.First, e.Last = "", "", time.Time{}, time.Time{}
		edit(e)
		old[e.Key] = e
	}
	b, err := json.Marshal(map[string]any{"seq": m.Seq, "files": m.Files, "sources": old})
	if err != nil {
		t.Fatal(err)
	}
	checkpoints, _ := filepath.Glob(filepath.Join(st, "_manifest", "*.checkpoint.json"))
	if len(checkpoints) != 1 {
		t.Fatalf("checkpoints %v, want one", checkpoints)
	}
	os.WriteFile(checkpoints[0], b, 0o644)
}

// TestIngest_OldManifestLostEntries: an older build, given one folder
// under both flags, kept one entry per path, and the wrong flag's "not a
// log" entry could replace the stored one. The rows say what was stored:
// upgrading reads none of it again.
func TestIngest_OldManifestLostEntries(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	args := []string{"--store", st, "--cloudtrail", logs, "--s3-access-logs", logs}
	// Two windows with a gap between them: a rebuilt entry must not claim
	// the gap was read.
	day := sum.CloudTrail.First.UTC().Truncate(24 * time.Hour)
	for _, w := range [][2]time.Duration{{1 * time.Hour, 5 * time.Hour}, {7 * time.Hour, 30 * time.Hour}} {
		from, to := day.Add(w[0]).Format(time.RFC3339), day.Add(w[1]).Format(time.RFC3339)
		if _, errOut, code := ingestJSON(t, append(args, "--from", from, "--to", to)...); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	}
	before, _, s3Before, _ := counts(t, st)
	replaced := 0
	oldCheckpoint(t, st, func(e *store.SourceEntry) {
		if replaced%2 == 0 { // half of them, of both types
			other := map[keytrail.LogType]string{keytrail.CloudTrail: "not an S3 server access log", keytrail.S3Access: "not a CloudTrail log"}[e.Type]
			rows := int64(0)
			if replaced%4 == 0 {
				rows = e.Rows // the old build carried the replaced entry's rows over
			}
			*e = store.SourceEntry{Key: e.Key, Type: map[keytrail.LogType]keytrail.LogType{keytrail.CloudTrail: keytrail.S3Access, keytrail.S3Access: keytrail.CloudTrail}[e.Type],
				Size: e.Size, ModTime: e.ModTime, Spans: e.Spans, Rows: rows, Note: other, Ingested: e.Ingested}
		}
		replaced++
	})
	s, errOut, code := ingestJSON(t, args...)
	if code != 0 {
		t.Fatalf("after the upgrade: exit %d: %s", code, errOut)
	}
	wantSample(t, st, sum, "an old manifest with replaced entries, then everything")
	if got := int64(s["records_stored"].(float64)); got != int64(sum.CloudTrail.Records+sum.AccessLogs.Records)-before-s3Before {
		t.Errorf("stored %d records, want the %d the windows left out", got, int64(sum.CloudTrail.Records+sum.AccessLogs.Records)-before-s3Before)
	}
}

// TestIngest_DayByDay: days ingested one at a time, then all of them, then
// everything: nothing is read again, as no object holds records outside
// what was read.
func TestIngest_DayByDay(t *testing.T) {
	logs, sum := sampleLogs(t)
	st := t.TempDir()
	src := []string{"--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail"), "--s3-access-logs", filepath.Join(logs, "s3-access-logs")}
	first := sum.CloudTrail.First.UTC().Truncate(24 * time.Hour)
	for d := range 3 {
		day := first.AddDate(0, 0, d).Format("2006-01-02")
		if _, errOut, code := ingestJSON(t, append(src, "--from", day, "--to", day)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", day, code, errOut)
		}
	}
	for _, rng := range [][]string{{"--from", first.Format("2006-01-02"), "--to", first.AddDate(0, 0, 2).Format("2006-01-02")}, nil} {
		s, errOut, code := ingestJSON(t, append(src, rng...)...)
		if code != 0 || s["objects_read"].(float64) != 0 {
			t.Errorf("%v after the days one by one: exit %d, read %v objects, want none: %s", rng, code, s["objects_read"], errOut)
		}
	}
	wantSample(t, st, sum, "days one by one")
}

// TestIngest_TouchedThenWider: logs touched (new modification times, the
// same content) are read once to compare them, and for the part of a wider
// range not stored yet; old entries without hashes take one then.
func TestIngest_TouchedThenWider(t *testing.T) {
	logs, sum := sampleLogs(t)
	dir := filepath.Join(t.TempDir(), "logs")
	copyTree(t, logs, dir)
	st := t.TempDir()
	src := []string{"--store", st, "--cloudtrail", filepath.Join(dir, "cloudtrail"), "--s3-access-logs", filepath.Join(dir, "s3-access-logs")}
	day := sum.CloudTrail.First.UTC().AddDate(0, 0, 1).Format("2006-01-02")
	if _, errOut, code := ingestJSON(t, append(src, "--from", day, "--to", day)...); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	oldCheckpoint(t, st, func(*store.SourceEntry) {}) // as an older build wrote it: no hashes
	later := time.Now().Add(time.Hour)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error { return os.Chtimes(p, later, later) })
	s, errOut, code := ingestJSON(t, append(src, "--strict")...)
	if code != 0 || s["changed_objects_skipped"] != nil {
		t.Errorf("touched, then everything: exit %d, changed %v: %s", code, s["changed_objects_skipped"], errOut)
	}
	wantSample(t, st, sum, "touched, then a wider range")
	if s, _, _ := ingestJSON(t, src...); s["objects_read"].(float64) != 0 {
		t.Errorf("the next run read %v objects, want none", s["objects_read"])
	}
}

// TestIngest_OldManifestGap: an entry rebuilt from the rows of a file read
// for two windows claims only the seconds its rows hold, not the gap
// between them, so a later range reads the gap's records.
func TestIngest_OldManifestGap(t *testing.T) {
	dir := t.TempDir()
	body := ctRecords("g", "2026-04-24T01:00:00Z", "2026-04-24T06:00:00Z", "2026-04-24T08:00:00Z")
	os.WriteFile(filepath.Join(ctDayDir(t, dir), "111122223333_CloudTrail_us-east-1_20260424T0805Z_gapgapgapgapgap1.json.gz"), gzipBytes(t, body), 0o644)
	st := t.TempDir()
	for _, w := range [][2]string{{"2026-04-24T00:00:00Z", "2026-04-24T05:00:00Z"}, {"2026-04-24T07:00:00Z", "2026-04-24T10:00:00Z"}} {
		if _, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", dir, "--from", w[0], "--to", w[1]); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	}
	oldCheckpoint(t, st, func(e *store.SourceEntry) { // replaced by the other flag's "not a log" entry
		*e = store.SourceEntry{Key: e.Key, Type: keytrail.S3Access, Size: e.Size, ModTime: e.ModTime, Note: "not an S3 server access log", Ingested: e.Ingested}
	})
	s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", dir)
	if code != 0 || s["records_stored"].(float64) != 1 {
		t.Errorf("exit %d, stored %v records, want the 06:00 one: %s", code, s["records_stored"], errOut)
	}
	if n, distinct, _, _ := counts(t, st); n != 3 || distinct != 3 {
		t.Errorf("%d events (%d distinct), want 3", n, distinct)
	}
}

// ctDayDir makes the folder of 2026-04-24 of account 111122223333's trail in
// us-east-1 under dir, in AWS's layout, and returns it.
func ctDayDir(t *testing.T, dir string) string {
	t.Helper()
	day := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "04", "24")
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	return day
}

// ctRecords returns a Records file of events at the given times, with IDs
// prefix0, prefix1, ….
func ctRecords(prefix string, times ...string) []byte {
	var recs []string
	for i, ts := range times {
		recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.11","eventTime":%q,"eventName":"X","eventID":"%s%d"}`, ts, prefix, i))
	}
	return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
}

// TestIngest_EmptyThenComplete: an empty file named .gz (still being
// written) is not a stored log: it is reported, and the complete file read
// when it comes.
func TestIngest_EmptyThenComplete(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(ctDayDir(t, dir), "111122223333_CloudTrail_us-east-1_20260424T0105Z_emptyemptyempty1.json.gz")
	os.WriteFile(f, nil, 0o644)
	st := t.TempDir()
	s, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", dir, "--strict")
	if errs := fmt.Sprint(s["file_errors"]); code != 1 || !strings.Contains(errs, "empty, though named .gz") {
		t.Errorf("an empty .gz: exit %d, file errors %s; want it reported and --strict to fail: %s", code, errs, errOut)
	}
	os.WriteFile(f, gzipBytes(t, ctRecords("e", "2026-04-24T01:00:00Z", "2026-04-24T01:01:00Z")), 0o644)
	s, errOut, code = ingestJSON(t, "--store", st, "--cloudtrail", dir, "--strict")
	if code != 0 || s["records_stored"].(float64) != 2 {
		t.Errorf("the file complete: exit %d, stored %v records, want 2: %s", code, s["records_stored"], errOut)
	}
}
