package s3access_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/s3access"
)

var update = flag.Bool("update", false, "update golden files")

// goldenEntry is one line's outcome in a *.golden.json file.
type goldenEntry struct {
	Line   int64                     `json:"line"`
	Offset int64                     `json:"offset"`
	Record *keytrail.AccessLogRecord `json:"record,omitempty"`
	Error  string                    `json:"error,omitempty"`
	RawLen int                       `json:"raw_len,omitempty"`
}

// readAll reads a stream with a Reader and describes each line's outcome.
// It fails the test on anything but records, RecordErrors and io.EOF.
func readAll(t *testing.T, r io.Reader, source string) []goldenEntry {
	t.Helper()
	var out []goldenEntry
	rd := s3access.NewReader(r, source)
	for {
		var rec keytrail.AccessLogRecord
		err := rd.Next(&rec)
		if err == io.EOF {
			return out
		}
		var re *keytrail.RecordError
		switch {
		case err == nil:
			out = append(out, goldenEntry{Line: rd.Line(), Offset: rd.Offset(), Record: &rec})
		case errors.As(err, &re):
			if re.Line != rd.Line() || re.Offset != rd.Offset() {
				t.Errorf("RecordError at %d/%d, Reader at %d/%d", re.Line, re.Offset, rd.Line(), rd.Offset())
			}
			out = append(out, goldenEntry{Line: re.Line, Offset: re.Offset, Error: re.Error(), RawLen: len(re.Raw)})
		default:
			t.Fatalf("Next: %v", err)
		}
	}
}

// TestReader_Golden reads each testdata/s3access/*.log and compares the
// outcome of every line with *.golden.json (go test -update rewrites them).
// The inputs cover:
//
//	field_counts    18-, 24-, 25-, 26-, 27-field lines, 28 and 29 fields (Extra, one quoted)
//	dashes          "-" request URI, - httpstatus/bytessent/objectsize/times, - remote IP,
//	                requester -, S3.EXPIRE.OBJECT by AmazonS3, "-" in bytessent (absent)
//	remote_ip       IPv6 (full and ::1), -, IPv4
//	requesters      CloudFront OAI requesters with spaces (26 and 18 fields), assumed role,
//	                REST.COPY.OBJECT_GET, BATCH.DELETE.OBJECT, SOAP.*, service principal
//	quoted_spaces   spaces inside quoted request URI, referrer and user agent; unescaped
//	                quotes inside them, as S3 writes them ("GET /" HTTP/1.1", a user agent
//	                ending "", quote-space inside referrer and user agent), also with an
//	                OAI requester
//	non_utf8        Latin-1 and invalid UTF-8 bytes in the URI and user agent (JSON shows
//	                U+FFFD; TestParseLine_NonUTF8 checks the bytes are kept)
//	time_offsets    +0000, -0700, +0530, offsets crossing a day and a year, 29 Feb
//	crlf            \r\n line endings
//	bad_lines       non-numeric bytessent, negative objectsize, a truncated line, empty
//	                and blank lines, 31 Feb, unknown month, missing space before the
//	                offset, an unterminated quote, no final newline
//	long_uri        a 74 KB line (longer than the reader's buffer), then a normal line
func TestReader_Golden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no inputs in %s (%v)", goldenDir, err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".log")
		t.Run(name, func(t *testing.T) {
			data := readFile(t, path)
			got := readAll(t, bytes.NewReader(data), filepath.Base(path))
			js := goldenJSON(t, got)
			golden := strings.TrimSuffix(path, ".log") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, js, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := readFile(t, golden); !bytes.Equal(js, want) {
				t.Errorf("%s differs from %s (run go test -update and review the diff):\n%s", name, golden, js)
			}

			// Reading in small pieces gives the same outcome.
			for _, slow := range []io.Reader{iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))} {
				if js2 := goldenJSON(t, readAll(t, slow, filepath.Base(path))); !bytes.Equal(js2, js) {
					t.Errorf("reading %T differs", slow)
				}
			}

			// Every record writes back as its line (CR and numbers aside).
			lines := strings.Split(strings.TrimPrefix(string(data), "\ufeff"), "\n") // the reader skips a byte order mark
			for _, e := range got {
				if e.Record == nil {
					continue
				}
				line := strings.TrimRight(lines[e.Line-1], "\r")
				line = strings.Replace(line, ` "-" 2048 35`, " - 2048 35", 1) // bytessent "-" is written -
				if f := string(s3access.Format(e.Record)); f != line {
					t.Errorf("line %d: Format =\n%.300q\nwant\n%.300q", e.Line, f, line)
				}
			}
		})
	}
}

// goldenJSON encodes entries for a golden file: indented, without HTML
// escaping (URIs keep their '&'), ending in a newline.
func goldenJSON(t *testing.T, entries []goldenEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(entries); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseLine_TimeOffsets(t *testing.T) {
	base := string(genLines(1, 1)[0])
	start := strings.IndexByte(base, '[')
	end := strings.IndexByte(base, ']')
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"24/Apr/2026:10:15:02 +0000", time.Date(2026, 4, 24, 10, 15, 2, 0, time.UTC)},
		{"24/Apr/2026:03:15:02 -0700", time.Date(2026, 4, 24, 10, 15, 2, 0, time.UTC)},
		{"24/Apr/2026:15:45:02 +0530", time.Date(2026, 4, 24, 10, 15, 2, 0, time.UTC)},
		{"24/Apr/2026:20:00:00 -0530", time.Date(2026, 4, 25, 1, 30, 0, 0, time.UTC)},
		{"01/Jan/2026:01:00:00 +0200", time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)},
		{"31/Dec/2025:23:30:00 -0100", time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)},
		{"29/Feb/2024:12:00:00 +0000", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)},
		{"06/feb/2019:00:00:38 +0000", time.Date(2019, 2, 6, 0, 0, 38, 0, time.UTC)},
		{"31/DEC/1999:23:59:59 +1400", time.Date(1999, 12, 31, 9, 59, 59, 0, time.UTC)},
		{"15/Mar/1969:12:00:00 +0000", time.Date(1969, 3, 15, 12, 0, 0, 0, time.UTC)},
	} {
		t.Run(tt.in, func(t *testing.T) {
			rec := mustParse(t, base[:start+1]+tt.in+base[end:])
			if !rec.Time.Equal(tt.want) || rec.Time.Location() != time.UTC {
				t.Errorf("Time = %v, want %v", rec.Time, tt.want)
			}
			if rec.RequestDateTime != tt.in {
				t.Errorf("RequestDateTime = %q", rec.RequestDateTime)
			}
			// The hand parser agrees with time.Parse.
			if ref, err := time.Parse("02/Jan/2006:15:04:05 -0700", tt.in); err != nil || !ref.Equal(rec.Time) {
				t.Errorf("time.Parse = %v, %v", ref, err)
			}
		})
	}
}

func TestParseLine_NonUTF8(t *testing.T) {
	lines := fileLines(t, filepath.Join(goldenDir, "non_utf8.log"))
	rec := mustParse(t, lines[0])
	if want := "\"GET /amzn-s3-demo-bucket1/caf\xe9/\xff\xfe.txt HTTP/1.1\""; rec.RequestURI != want {
		t.Errorf("RequestURI = %q, want %q", rec.RequestURI, want)
	}
	rec = mustParse(t, lines[1])
	if !strings.Contains(rec.UserAgent, "command/s3.cp \xc3\x28 \x80\"") {
		t.Errorf("UserAgent = %q", rec.UserAgent)
	}
	if got := string(s3access.Format(rec)); got != lines[1] {
		t.Errorf("Format changed the bytes:\n%q\n%q", got, lines[1])
	}
}
