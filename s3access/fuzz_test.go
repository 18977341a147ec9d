package s3access_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/s3access"
)

// FuzzParseLine checks that ParseLine never panics, leaves rec zeroed on
// error, and that a parsed record written back with Format parses to the
// same record (and writes back to the same bytes). Seeds: every line of the
// access-log fixtures (peers and golden inputs), the logstash spec inputs
// and a few generated lines.
func FuzzParseLine(f *testing.F) {
	var files []string
	files = append(files, peerLogFiles(f)...)
	golden, _ := filepath.Glob(filepath.Join(goldenDir, "*.log"))
	files = append(files, golden...)
	for _, path := range files {
		for _, line := range bytes.Split(readFile(f, path), []byte("\n")) {
			f.Add(line)
		}
	}
	var doc struct {
		Cases []struct{ Input string } `json:"cases"`
	}
	if err := json.Unmarshal(readFile(f, filepath.Join(peersDir, "logstash-plugins_logstash-patterns-core", "S3_ACCESS_LOG_spec_cases.derived.json")), &doc); err != nil {
		f.Fatal(err)
	}
	for _, c := range doc.Cases {
		f.Add([]byte(c.Input))
	}
	for _, l := range genLines(20, 11) {
		f.Add(l)
	}

	f.Fuzz(func(t *testing.T, line []byte) {
		s3access.Sniff(line) // must not panic
		var rec keytrail.AccessLogRecord
		if err := s3access.ParseLine(line, &rec); err != nil {
			if !reflect.DeepEqual(rec, keytrail.AccessLogRecord{}) {
				t.Fatalf("rec not zeroed after error %v", err)
			}
			return
		}
		if len(rec.Extra) == 0 && rec.Extra != nil {
			t.Fatalf("Extra is empty but not nil")
		}
		out := s3access.Format(&rec)
		var again keytrail.AccessLogRecord
		if err := s3access.ParseLine(out, &again); err != nil {
			t.Fatalf("Format output does not parse: %v\nline   %q\nformat %q", err, line, out)
		}
		if !reflect.DeepEqual(rec, again) {
			t.Fatalf("round trip differs\nline   %q\nformat %q\nfirst  %+v\nsecond %+v", line, out, rec, again)
		}
		if out2 := s3access.Format(&again); !bytes.Equal(out, out2) {
			t.Fatalf("Format not stable: %q then %q", out, out2)
		}
		// Parsed string fields are substrings of the line (nothing invented).
		for _, v := range []string{rec.BucketOwner, rec.Requester, rec.RequestURI, rec.UserAgent} {
			if !strings.Contains(string(line), v) {
				t.Fatalf("field %q is not in the line", v)
			}
		}
	})
}
