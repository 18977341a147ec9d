package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	peers := "../../testdata/peers/"
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"cloudtrail_records", []string{"parse", peers + "open-telemetry_opentelemetry-collector-contrib/cloudtraillog/cloudtrail_log.json"}, 0},
		{"cloudtrail_invalid_json", []string{"parse", peers + "awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-examples.md.block6_iam_CreateRole_INVALID_JSON.json", peers + "awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-examples.md.block1_ec2_StartInstances.json"}, 1},
		{"cloudtrail_digest", []string{"parse", peers + "open-telemetry_opentelemetry-collector-contrib/cloudtraillog/cloudtrail_digest.json"}, 0},
		{"ndjson_mixed", []string{"parse", "../../testdata/cloudtrail/ndjson_mixed.jsonl"}, 1},
		{"s3access_detected", []string{"parse", peers + "open-telemetry_opentelemetry-collector-contrib/s3-access-log/too_many_values.log"}, 0},
		{"s3access_too_few", []string{"parse", "--type", "s3access", peers + "open-telemetry_opentelemetry-collector-contrib/s3-access-log/too_few_values.log"}, 1},
		{"unknown_type", []string{"parse", "--type", "elb", "x"}, 2},
		{"no_files", []string{"parse"}, 2},
		{"missing_file", []string{"parse", "does-not-exist.json"}, 1},
		{"undetectable", []string{"parse", "../../testdata/cloudtrail/not_json.csv"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			golden(t, filepath.Join("parse", tt.name+".stdout"), out)
			golden(t, filepath.Join("parse", tt.name+".stderr"), errOut)
		})
	}
}

// TestParse_TruncatedGzip: the records before the cut are printed, the
// error names the file and the place, and the exit status is 1.
func TestParse_TruncatedGzip(t *testing.T) {
	src, err := os.ReadFile("../../testdata/peers/open-telemetry_opentelemetry-collector-contrib/cloudtraillog/cloudtrail_log.json")
	if err != nil {
		t.Fatal(err)
	}
	// Repeat the records so the cut falls after some complete ones.
	var body bytes.Buffer
	body.WriteString(`{"Records":[`)
	var f struct{ Records []json.RawMessage }
	json.Unmarshal(src, &f)
	for i := 0; i < 200; i++ {
		for j, r := range f.Records {
			if i > 0 || j > 0 {
				body.WriteByte(',')
			}
			body.Write(r)
		}
	}
	body.WriteString(`]}`)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body.Bytes())
	zw.Close()
	path := filepath.Join(t.TempDir(), "111122223333_CloudTrail_us-east-1_20260424T1305Z_x.json.gz")
	os.WriteFile(path, gz.Bytes()[:gz.Len()*2/3], 0o644)
	out, errOut, code := run(t, "parse", path)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	n := strings.Count(out, "\n")
	if n == 0 || n >= 1400 {
		t.Errorf("%d records printed before the cut, want some but not all 1400", n)
	}
	if !strings.Contains(errOut, path+": byte ") || !strings.Contains(errOut, "unexpected") {
		t.Errorf("stderr does not name the file, offset and problem: %s", errOut)
	}
}
