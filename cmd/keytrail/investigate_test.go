package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/store"
)

// sampleStore ingests the sample logs once (both sources, all days).
var sampleStoreOnce = struct {
	once sync.Once
	dir  string
	err  string
}{}

func sampleStore(t testing.TB) string {
	t.Helper()
	logs, _ := sampleLogs(t)
	sampleStoreOnce.once.Do(func() {
		dir, err := os.MkdirTemp("", "keytrail-store-")
		if err != nil {
			sampleStoreOnce.err = err.Error()
			return
		}
		sampleStoreOnce.dir = dir
		_, errOut, code := run(t, "ingest", "-q", "--store", dir, "--cloudtrail", filepath.Join(logs, "cloudtrail"), "--s3-access-logs", filepath.Join(logs, "s3-access-logs"))
		if code != 0 {
			sampleStoreOnce.err = errOut
		}
	})
	if sampleStoreOnce.err != "" {
		t.Fatal(sampleStoreOnce.err)
	}
	return sampleStoreOnce.dir
}

// TestInvestigate runs the investigations of the sample incident and
// compares the reports (text, markdown and JSON) with golden files.
func TestInvestigate(t *testing.T) {
	st := sampleStore(t)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"key", []string{"investigate", "key", gen.IncidentKey}, 0},
		{"key_json", []string{"investigate", "key", gen.IncidentKey, "--format", "json"}, 0},
		{"key_markdown", []string{"investigate", "key", gen.IncidentKey, "--format", "markdown"}, 0},
		{"key_one_day", []string{"investigate", "key", gen.IncidentKey, "--from", "2024-05-07", "--to", "2024-05-07"}, 0},
		{"second_key", []string{"investigate", "key", gen.IncidentSecondKey}, 0},
		{"unknown_key", []string{"investigate", "key", "AKIAZZZZZZZZZZZZZZZZ"}, 0},
		{"unknown_key_with_principal", []string{"investigate", "key", "AKIAZZZZZZZZZZZZZZZZ", "--principal", gen.IncidentUser}, 0},
		{"principal", []string{"investigate", "principal", gen.IncidentUser}, 0},
		{"ip", []string{"investigate", "ip", gen.IncidentIP}, 0},
		{"ip_laptop", []string{"investigate", "ip", gen.IncidentLaptopIP, "--format", "json"}, 0},
		{"bad_key", []string{"investigate", "key", "not-a-key"}, 1},
		{"bad_arn", []string{"investigate", "principal", "deploy-bot"}, 1},
		{"bad_ip", []string{"investigate", "ip", "10.0.3"}, 1},
		{"bad_object", []string{"investigate", "object", "acme-prod-backups/x"}, 1},
		{"bad_format", []string{"investigate", "key", gen.IncidentKey, "--format", "yaml"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, append(tt.args, "--store", st)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut)
			}
			golden(t, filepath.Join("investigate", tt.name+".out"), strings.ReplaceAll(out+errOut, st, "$STORE"))
		})
	}
}

// TestInvestigate_Story checks the facts of the story, so that a wrong
// golden file cannot hide them.
func TestInvestigate_Story(t *testing.T) {
	st := sampleStore(t)
	out, errOut, code := run(t, "investigate", "key", gen.IncidentKey, "--format", "json", "--store", st)
	if code != 0 {
		t.Fatal(errOut)
	}
	var rep struct {
		Conclusion string
		Principals []struct {
			ARN       string
			OtherKeys []string `json:"other_active_keys"`
		}
		Actors []struct {
			SourceIP   string `json:"source_ip"`
			UserAgent  string `json:"user_agent"`
			Requests   int
			Operations map[string]int
			Interval   struct {
				Median    float64
				Scheduled bool
			} `json:"interval_seconds"`
			Attribution struct {
				Kind       string
				InstanceID string `json:"instance_id"`
			}
		}
		Findings []struct{ Severity, Code string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Principals) == 0 || rep.Principals[0].ARN != gen.IncidentUser {
		t.Errorf("principals %+v, want %s", rep.Principals, gen.IncidentUser)
	}
	if len(rep.Principals) > 0 && strings.Join(rep.Principals[0].OtherKeys, ",") != gen.IncidentSecondKey {
		t.Errorf("other keys %v, want %s", rep.Principals[0].OtherKeys, gen.IncidentSecondKey)
	}
	a := rep.Actors[0]
	if a.SourceIP != gen.IncidentIP || a.UserAgent != gen.IncidentUserAgent || a.Operations["REST.PUT.OBJECT"] != a.Requests {
		t.Errorf("top actor %s %q %v, want the uploader", a.SourceIP, a.UserAgent, a.Operations)
	}
	if !a.Interval.Scheduled || a.Interval.Median < 280 || a.Interval.Median > 320 {
		t.Errorf("interval %+v, want about %v, scheduled", a.Interval, gen.IncidentUploadInterval)
	}
	if a.Attribution.Kind != "ec2-instance" || a.Attribution.InstanceID != gen.IncidentInstance {
		t.Errorf("attribution %+v, want instance %s", a.Attribution, gen.IncidentInstance)
	}
	first := strings.SplitN(rep.Conclusion, ";", 2)[0]
	for _, want := range []string{gen.IncidentIP, gen.IncidentInstance, "command/s3.cp", "every 5 min (scheduled)", "REST.PUT.OBJECT"} {
		if !strings.Contains(first, want) {
			t.Errorf("conclusion %q does not say %q", first, want)
		}
	}
	codes := map[string]bool{}
	for _, f := range rep.Findings {
		codes[f.Code] = true
	}
	for _, c := range []string{"no-s3-data-events", "ambiguous", "deactivated"} {
		if !codes[c] {
			t.Errorf("finding %s missing: %v", c, codes)
		}
	}
}

// TestInvestigate_BlindSpots builds stores that miss things and checks that
// each blind spot is reported: CloudTrail without access logs (buckets the
// key used have none), a day missing from CloudTrail, S3 data events
// recorded (and joined with the access logs), and activity after the key
// was deactivated.
func TestInvestigate_BlindSpots(t *testing.T) {
	logs, sum := sampleLogs(t)
	ct := filepath.Join(logs, "cloudtrail")
	day := func(n int) string { return sum.CloudTrail.First.AddDate(0, 0, n).Format("2006-01-02") }

	t.Run("no_access_logs_and_a_missing_day", func(t *testing.T) {
		st := t.TempDir()
		for _, d := range []string{day(0), day(2)} {
			if _, errOut, code := run(t, "ingest", "-q", "--store", st, "--cloudtrail", ct, "--from", d, "--to", d); code != 0 {
				t.Fatal(errOut)
			}
		}
		out, errOut, code := run(t, "investigate", "key", gen.IncidentKey, "--store", st, "--from", day(0), "--to", day(2))
		if code != 0 {
			t.Fatal(errOut)
		}
		golden(t, "investigate/blind_no_access_logs.out", out)
		for _, want := range []string{"no S3 server access logs", "No CloudTrail events for 1 day(s) in the window (" + day(1) + ")"} {
			if !strings.Contains(out, want) {
				t.Errorf("report does not say %q", want)
			}
		}
	})

	t.Run("data_events_joined", func(t *testing.T) {
		dir := t.TempDir()
		cfg := sampleConfig(t)
		cfg.DataEvents = true
		if _, err := gen.Generate(dir, cfg); err != nil {
			t.Fatal(err)
		}
		st := t.TempDir()
		if _, errOut, code := run(t, "ingest", "-q", "--store", st, "--cloudtrail", filepath.Join(dir, "cloudtrail"), "--s3-access-logs", filepath.Join(dir, "s3-access-logs")); code != 0 {
			t.Fatal(errOut)
		}
		out, errOut, code := run(t, "investigate", "principal", "arn:aws:iam::111122223333:user/svc-reporting", "--store", st, "--format", "json")
		if code != 0 {
			t.Fatal(errOut)
		}
		golden(t, "investigate/data_events_principal.json", out)
		if strings.Contains(out, "no-s3-data-events") {
			t.Error("reported no S3 data events on a trail that records them")
		}
		// An object of the data events: the manifest's counts of S3 events
		// naming a key must not hide it.
		out, errOut, code = run(t, "query", "--store", st, "--format", "csv", `SELECT 's3://' || json_extract_string(requestparameters, '$.bucketName') || '/' || json_extract_string(requestparameters, '$.key')
			FROM cloudtrail_logs WHERE eventcategory = 'Data' AND json_extract_string(requestparameters, '$.key') IS NOT NULL ORDER BY eventtimestamp DESC LIMIT 1`)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		obj := lines[len(lines)-1]
		if code != 0 || !strings.HasPrefix(obj, "s3://") {
			t.Fatalf("no object in the data events: %q %s", obj, errOut)
		}
		out, _, _ = run(t, "investigate", "object", obj, "--store", st, "--format", "json")
		if !strings.Contains(out, `"cloudtrail"`) {
			t.Errorf("the investigation of %s found no CloudTrail data event:\n%s", obj, out)
		}
		indexMatchesScan(t, st, [][]string{{"investigate", "object", obj}, {"investigate", "principal", "arn:aws:iam::111122223333:user/svc-reporting"}})
	})

	t.Run("after_deactivation", func(t *testing.T) {
		// One more CloudTrail file: a call with the key an hour after the
		// UpdateAccessKey that deactivated it.
		extra := t.TempDir()
		when := sum.CloudTrail.Last.Add(-time.Minute).UTC()
		ev := `{"Records":[{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"` + gen.IncidentUser + `","accountId":"` + gen.IncidentAccount + `","accessKeyId":"` + gen.IncidentKey + `","userName":"deploy-bot"},"eventTime":"` + when.Format(time.RFC3339) + `","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"curl/8.5.0","requestID":"LATE1","eventID":"late-1","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"` + gen.IncidentAccount + `","eventCategory":"Management"}]}`
		os.WriteFile(filepath.Join(extra, "late.json"), []byte(ev), 0o644)
		st := t.TempDir()
		if _, errOut, code := run(t, "ingest", "-q", "--store", st, "--cloudtrail", ct, "--cloudtrail", extra, "--s3-access-logs", filepath.Join(logs, "s3-access-logs")); code != 0 {
			t.Fatal(errOut)
		}
		out, errOut, code := run(t, "investigate", "key", gen.IncidentKey, "--store", st)
		if code != 0 {
			t.Fatal(errOut)
		}
		if !strings.Contains(out, "[high]") || !strings.Contains(out, "after it was deactivated") {
			t.Errorf("no high finding for activity after deactivation:\n%s", out)
		}
	})
}

// TestInvestigate_IndexMatchesScan checks that the index tables answer as
// the events do: the same investigations on a copy of the sample store
// whose manifest no longer says its files are indexed (a store written
// before the indexes existed, which is read by scanning) give the same
// reports, windows starting and ending inside a day included. The same
// holds for logs outside AWS's folder layout (no account or region).
func TestInvestigate_IndexMatchesScan(t *testing.T) {
	questions := [][]string{
		{"investigate", "key", gen.IncidentKey},
		{"investigate", "key", gen.IncidentKey, "--from", "2024-05-07T10:30:00Z", "--to", "2024-05-09T06:00:00Z"},
		{"investigate", "key", gen.IncidentKey, "--from", "2024-05-08T01:00:00Z", "--to", "2024-05-08T23:00:00Z"},
		{"investigate", "key", gen.IncidentSecondKey},
		{"investigate", "principal", gen.IncidentUser},
		{"investigate", "ip", gen.IncidentIP},
		{"investigate", "object", "s3://" + gen.IncidentBucket + "/backups/none.tar.gz"},
	}
	indexMatchesScan(t, sampleStore(t), questions)

	// Events that name no account or region, in a file outside AWS's
	// layout: their account and region are NULL.
	dir := t.TempDir()
	var records []string
	for i, at := range []string{"2024-05-07T23:50:00Z", "2024-05-08T00:10:00Z", "2024-05-08T12:00:00Z", "2024-05-09T08:00:00Z"} {
		records = append(records, fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"%s","accessKeyId":"%s","userName":"deploy-bot"},
			"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","sourceIPAddress":"%s","userAgent":"%s",
			"requestID":"R%d","eventID":"e%d","eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management"}`,
			gen.IncidentUser, gen.IncidentKey, at, gen.IncidentIP, gen.IncidentUserAgent, i, i))
	}
	if err := os.WriteFile(filepath.Join(dir, "events.json"), []byte(`{"Records":[`+strings.Join(records, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	st := filepath.Join(t.TempDir(), "store")
	if _, errOut, code := run(t, "ingest", "-q", "--store", st, "--cloudtrail", dir); code != 0 {
		t.Fatal(errOut)
	}
	if out, _, _ := run(t, "query", "--store", st, "--format", "csv", "SELECT count(*) FROM cloudtrail_logs WHERE account IS NULL AND region IS NULL"); !strings.Contains(out, "4") {
		t.Fatalf("the events have an account or region: %s", out)
	}
	indexMatchesScan(t, st, questions[:3])
}

// unindexed removes the index marks from a manifest file's text, as if a
// build without indexes had written it, and counts them.
func unindexed(manifest string) (string, int) {
	mark := fmt.Sprintf(`,"index":%d`, store.IndexVersion)
	return strings.ReplaceAll(manifest, mark, ""), strings.Count(manifest, mark)
}

// indexMatchesScan asks the questions of the store st and of a copy whose
// manifest says no file is indexed, and compares the JSON reports.
func indexMatchesScan(t *testing.T, st string, questions [][]string) {
	t.Helper()
	scan := filepath.Join(t.TempDir(), "store")
	if err := os.CopyFS(scan, os.DirFS(st)); err != nil {
		t.Fatal(err)
	}
	manifests, _ := filepath.Glob(filepath.Join(scan, "_manifest", "*.json"))
	stripped := 0
	for _, m := range manifests {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		text, n := unindexed(string(b))
		stripped += n
		if err := os.WriteFile(m, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if stripped == 0 {
		t.Fatalf("the manifest of %s marks no file indexed", st)
	}
	for _, args := range questions {
		args = append(args, "--format", "json")
		want, errOut, code := run(t, append(args, "--store", scan)...)
		if code != 0 {
			t.Fatalf("%v on the scanned store: %s", args, errOut)
		}
		got, errOut, code := run(t, append(args, "--store", st)...)
		if code != 0 {
			t.Fatalf("%v on the indexed store: %s", args, errOut)
		}
		if got != want {
			t.Errorf("%v: the indexed store answers\n%s\nthe scan answers\n%s", args, got, want)
		}
	}
}
