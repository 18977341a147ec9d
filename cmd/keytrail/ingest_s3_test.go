package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/s3test"
	"github.com/keytrail/keytrail/store"
)

// s3Logs starts a loopback S3 server holding the sample logs: CloudTrail in
// bucket "trail" (AWSLogs/…), access logs in bucket "logs" (<bucket>/logs/…),
// and sets the environment so that keytrail finds test credentials and no
// real AWS configuration.
func s3Logs(t *testing.T) (*s3test.Server, string) {
	t.Helper()
	logs, _ := sampleLogs(t)
	srv := s3test.Start(t)
	srv.CreateBucket("trail")
	srv.CreateBucket("logs")
	srv.UploadDir("trail", "", filepath.Join(logs, "cloudtrail"))
	srv.UploadDir("logs", "", filepath.Join(logs, "s3-access-logs"))
	srv.Reset()
	awsTestEnv(t, "AKIAS3TESTEXAMPLE", "s3test-secret")
	return srv, logs
}

// awsTestEnv points the AWS SDK at the given static credentials (none when
// id is "") and away from the machine's own configuration.
func awsTestEnv(t *testing.T, id, secret string) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
}

// localObjects counts the sample's objects that hold records (digests
// excluded): what an ingest of everything reads.
func localObjects(t *testing.T, logs string) int {
	n := 0
	filepath.WalkDir(logs, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, "CloudTrail-Digest") {
			n++
		}
		return nil
	})
	return n
}

// TestIngestS3_AllAgainAndRange: an ingest from S3 stores what the same
// files give from disk; a second run makes no GET; a one-day range lists a
// bounded number of folders and reads what a local one-day ingest reads.
func TestIngestS3_AllAgainAndRange(t *testing.T) {
	srv, logs := s3Logs(t)
	_, sum := sampleLogs(t)
	st := t.TempDir()
	args := []string{"--store", st, "--endpoint-url", srv.URL, "--cloudtrail", "s3://trail/", "--s3-access-logs", "s3://logs/"}
	// --dry-run: what would be fetched, and no GET.
	dry, errOut, code := ingestJSON(t, append(args, "--dry-run")...)
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	if n, want := int(dry["objects_read"].(float64)), localObjects(t, logs); n != want || dry["bytes_read"].(float64) <= 0 || srv.Count(s3test.Get) != 0 {
		t.Errorf("dry run: %d objects, %v bytes, %d GETs; want %d objects and no GET", n, dry["bytes_read"], srv.Count(s3test.Get), want)
	}
	s1, errOut, code := ingestJSON(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantSample(t, st, sum, "from S3")
	if got, want := srv.Count(s3test.Get), localObjects(t, logs); got != want || int(s1["objects_read"].(float64)) != want {
		t.Errorf("%d GETs and %v objects read; the sample has %d log objects", got, s1["objects_read"], want)
	}

	srv.Reset()
	s2, errOut, code := ingestJSON(t, args...)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	if n := srv.Count(s3test.Get); n != 0 || s2["objects_read"].(float64) != 0 {
		t.Errorf("second run: %d GETs, %v objects read; want none", n, s2["objects_read"])
	}
	// A download of the same buckets holds the same objects.
	local, errOut, code := ingestJSON(t, "--store", st, "--cloudtrail", filepath.Join(logs, "cloudtrail"), "--s3-access-logs", filepath.Join(logs, "s3-access-logs"))
	if code != 0 || local["objects_read"].(float64) != 0 {
		t.Errorf("the same logs on disk: exit %d, read %v objects; want none: %s", code, local["objects_read"], errOut)
	}

	// One day: the same objects and rows as from disk, and few LISTs.
	day := sampleConfig(t).Start.AddDate(0, 0, 1).Format("2006-01-02")
	srv.Reset()
	remote, errOut, code := ingestJSON(t, "--store", t.TempDir(), "--endpoint-url", srv.URL, "--from", day, "--to", day,
		"--cloudtrail", "s3://trail/", "--s3-access-logs", "s3://logs/")
	if code != 0 {
		t.Fatalf("one day from S3: exit %d: %s", code, errOut)
	}
	lists := srv.Count(s3test.List)
	local, errOut, code = ingestJSON(t, "--store", t.TempDir(), "--from", day, "--to", day,
		"--cloudtrail", filepath.Join(logs, "cloudtrail"), "--s3-access-logs", filepath.Join(logs, "s3-access-logs"))
	if code != 0 {
		t.Fatalf("one day from disk: exit %d: %s", code, errOut)
	}
	for _, k := range []string{"objects_read", "records_stored", "records_outside_range"} {
		if remote[k] != local[k] {
			t.Errorf("one day: %s is %v from S3 and %v from disk", k, remote[k], local[k])
		}
	}
	if lists > 60 {
		t.Errorf("one day made %d LIST requests; want only the folders of that day", lists)
	}
	t.Logf("one day: %v objects, %d LIST, %d GET", remote["objects_read"], lists, srv.Count(s3test.Get))
}

// TestIngestS3_Faults: throttling, connections reset and bodies cut short
// lose and duplicate nothing.
func TestIngestS3_Faults(t *testing.T) {
	srv, _ := s3Logs(t)
	_, sum := sampleLogs(t)
	srv.ThrottleEvery(s3test.Any, 50)
	srv.ThrottleNext(s3test.List, 2)
	srv.ResetGet(3, 1000)
	srv.ResetGet(20, 5000)
	srv.TruncateGet(10, 700)
	srv.TruncateGet(40, 10)
	st := t.TempDir()
	_, errOut, code := ingestJSON(t, "--store", st, "--endpoint-url", srv.URL, "--cloudtrail", "s3://trail/", "--s3-access-logs", "s3://logs/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantSample(t, st, sum, "with faults")
}

// TestIngestS3_Killed: an ingest from S3 killed at any moment leaves a
// readable store without duplicates; the next run completes it and fetches
// only what was not stored.
func TestIngestS3_Killed(t *testing.T) {
	srv, logs := s3Logs(t)
	_, sum := sampleLogs(t)
	st := t.TempDir()
	args := []string{"ingest", "-q", "--store", st, "--endpoint-url", srv.URL, "--cloudtrail", "s3://trail/",
		"--s3-access-logs", "s3://logs/", "--flush-bytes", "200000"}
	killed := killRuns(t, st, sum, args, 250, 400, 500, 600, 700)
	if killed == 0 {
		t.Skip("every run finished before it was killed: this machine is too fast for the delays")
	}
	var before int64
	if _, err := store.Open(st); err == nil {
		ct, _, s3, _ := counts(t, st)
		before = ct + s3
	}
	srv.Reset()
	_, errOut, code := run(t, args...)
	if code != 0 {
		t.Fatalf("final run: exit %d: %s", code, errOut)
	}
	wantSample(t, st, sum, "after kills and a final run")
	if gets, all := srv.Count(s3test.Get), localObjects(t, logs); before > 0 && gets >= all {
		t.Errorf("the final run fetched %d of %d objects: what the killed runs stored (%d rows) was fetched again", gets, all, before)
	} else {
		t.Logf("the killed runs stored %d rows; the final run fetched %d of %d objects", before, gets, all)
	}
}

// TestIngestS3_Errors: what cannot be read is named, with what to do, and
// the rest is read.
func TestIngestS3_Errors(t *testing.T) {
	srv, _ := s3Logs(t)
	_, sum := sampleLogs(t)
	cfg := sampleConfig(t)

	// Access denied below one account: named, the rest ingested.
	denied := "AWSLogs/" + cfg.Accounts[len(cfg.Accounts)-1] + "/"
	srv.Deny("trail", denied)
	st := t.TempDir()
	s, errOut, code := ingestJSON(t, "--store", st, "--endpoint-url", srv.URL, "--cloudtrail", "s3://trail/")
	if code != 0 {
		t.Fatalf("denied prefix: exit %d: %s", code, errOut)
	}
	skipped, _ := s["prefixes_not_listed"].([]any)
	if len(skipped) == 0 || !strings.Contains(skipped[0].(string), denied) {
		t.Errorf("denied prefix not reported: %v", s["prefixes_not_listed"])
	}
	if ct, _, _, _ := counts(t, st); ct == 0 || ct >= int64(sum.CloudTrail.Records) {
		t.Errorf("denied prefix: stored %d of %d events; want the other accounts' only", ct, sum.CloudTrail.Records)
	}
	_, errOut, _ = run(t, "ingest", "--store", t.TempDir(), "--endpoint-url", srv.URL, "--cloudtrail", "s3://trail/")
	if !strings.Contains(errOut, denied) || !strings.Contains(errOut, "s3:ListBucket") {
		t.Errorf("text summary does not name the denied prefix and the permission:\n%s", errOut)
	}
	srv.ClearFaults()

	for _, tt := range []struct {
		name string
		args []string
		env  [2]string
		want string
		code int
	}{
		{"no such bucket", []string{"--cloudtrail", "s3://no-such-bucket/"}, [2]string{"AKIAS3TESTEXAMPLE", "x"}, "no-such-bucket", 1},
		{"not an S3 URL", []string{"--cloudtrail", "s3://"}, [2]string{"AKIAS3TESTEXAMPLE", "x"}, "s3://", 1},
		{"no credentials", []string{"--cloudtrail", "s3://trail/"}, [2]string{"", ""}, "credentials", 1},
		{"no logs there", []string{"--cloudtrail", "s3://logs/"}, [2]string{"AKIAS3TESTEXAMPLE", "x"}, "not logs of the type their flag says", 0},
		{"empty prefix", []string{"--cloudtrail", "s3://trail/nothing-here/"}, [2]string{"AKIAS3TESTEXAMPLE", "x"}, "holds no CloudTrail", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			awsTestEnv(t, tt.env[0], tt.env[1])
			_, errOut, code := run(t, append([]string{"ingest", "--store", t.TempDir(), "--endpoint-url", srv.URL}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q, want it to say %q", code, tt.code, errOut, tt.want)
			}
		})
	}
}

// TestParseS3: `keytrail parse s3://bucket/key` prints an object's records
// as the local file gives them.
func TestParseS3(t *testing.T) {
	srv, logs := s3Logs(t)
	var rel string
	filepath.WalkDir(filepath.Join(logs, "cloudtrail"), func(p string, d os.DirEntry, err error) error {
		if err == nil && rel == "" && strings.HasSuffix(p, ".json.gz") && !strings.Contains(p, "Digest") {
			rel, _ = filepath.Rel(filepath.Join(logs, "cloudtrail"), p)
		}
		return nil
	})
	remote, errOut, code := run(t, "parse", "--endpoint-url", srv.URL, "s3://trail/"+filepath.ToSlash(rel))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	local, _, _ := run(t, "parse", filepath.Join(logs, "cloudtrail", rel))
	if remote == "" || remote != local {
		t.Errorf("parse of the S3 object differs from the local file's (%d and %d bytes)", len(remote), len(local))
	}
	if _, errOut, code := run(t, "parse", "--endpoint-url", srv.URL, "s3://trail/no/such/key.json.gz"); code != 1 || !strings.Contains(errOut, "no/such/key.json.gz") {
		t.Errorf("missing object: exit %d, %s", code, errOut)
	}
}

// TestIngestS3_Resume: objects that could not be fetched are reported and
// left out of the manifest; the next run fetches exactly those.
func TestIngestS3_Resume(t *testing.T) {
	srv, _ := s3Logs(t)
	_, sum := sampleLogs(t)
	st := t.TempDir()
	args := []string{"--store", st, "--endpoint-url", srv.URL, "--cloudtrail", "s3://trail/", "--s3-access-logs", "s3://logs/"}
	srv.FailNext(s3test.Get, 5, 403, "AccessDenied")
	s1, errOut, code := ingestJSON(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if errs, _ := s1["file_errors"].([]any); len(errs) != 5 {
		t.Fatalf("%d objects reported unreadable, want the 5 denied: %v", len(errs), s1["file_errors"])
	}
	srv.Reset()
	s2, errOut, code := ingestJSON(t, args...)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	if gets := srv.Count(s3test.Get); gets != 5 || s2["objects_read"].(float64) != 5 {
		t.Errorf("second run: %d GETs, %v objects read; want the 5 that failed", gets, s2["objects_read"])
	}
	wantSample(t, st, sum, "after a run with denied objects and a second run")
}
