package s3access_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/s3access"
)

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReader_TruncatedGzip cuts a gzip stream in the middle: the lines
// before the cut come out as records, then a FileError that ends the file.
func TestReader_TruncatedGzip(t *testing.T) {
	lines := genLines(3000, 7)
	data := append(bytes.Join(lines, []byte("\n")), '\n')
	gz := gzipped(t, data)
	zr, err := gzip.NewReader(bytes.NewReader(gz[:len(gz)/2]))
	if err != nil {
		t.Fatal(err)
	}
	r := s3access.NewReader(zr, "s3://logs/2026-04-24-10-00-00-ABCDEF0123456789.gz")
	var (
		rec    keytrail.AccessLogRecord
		n      int
		offset int64
	)
	for {
		err = r.Next(&rec)
		if err != nil {
			break
		}
		if want := mustParse(t, string(lines[n])); !reflect.DeepEqual(&rec, want) {
			t.Fatalf("record %d differs from its line", n+1)
		}
		if r.Line() != int64(n+1) || r.Offset() != offset {
			t.Fatalf("record %d: Line %d Offset %d, want %d %d", n+1, r.Line(), r.Offset(), n+1, offset)
		}
		offset += int64(len(lines[n]) + 1)
		n++
	}
	var fe *keytrail.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Next = %v, want a *keytrail.FileError", err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("FileError does not wrap io.ErrUnexpectedEOF: %v", err)
	}
	if n == 0 || n >= len(lines) {
		t.Errorf("%d records before the cut, want some but not all %d", n, len(lines))
	}
	if fe.Line != int64(n+1) || fe.Offset != offset || !strings.HasPrefix(fe.Source, "s3://logs/") {
		t.Errorf("FileError = %+v, want line %d offset %d", fe, n+1, offset)
	}
	t.Logf("%d of %d lines before the cut: %v", n, len(lines), err)
	if err2 := r.Next(&rec); err2 != err {
		t.Errorf("Next after the FileError = %v, want the same error", err2)
	}
}

// errAfter returns data, then err.
type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReader_ReadError(t *testing.T) {
	boom := errors.New("connection reset")
	line := []byte(a26)
	for _, tt := range []struct {
		name    string
		data    []byte
		records int
		line    int64
		offset  int64
	}{
		{"AtLineStart", append(append(bytes.Clone(line), '\n'), append(bytes.Clone(line), '\n')...), 2, 3, int64(2 * (len(line) + 1))},
		{"MidLine", append(append(bytes.Clone(line), '\n'), line[:100]...), 1, 2, int64(len(line) + 1)},
		{"MidLongLine", append(append(bytes.Clone(line), '\n'), bytes.Repeat([]byte("x"), 200<<10)...), 1, 2, int64(len(line) + 1)},
		{"Immediately", nil, 0, 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s3access.NewReader(&errAfter{tt.data, boom}, "f.log")
			var rec keytrail.AccessLogRecord
			var n int
			var err error
			for err = r.Next(&rec); err == nil; err = r.Next(&rec) {
				n++
			}
			var fe *keytrail.FileError
			if !errors.As(err, &fe) || !errors.Is(err, boom) {
				t.Fatalf("Next = %v, want a FileError wrapping %v", err, boom)
			}
			if n != tt.records || fe.Line != tt.line || fe.Offset != tt.offset || fe.Source != "f.log" {
				t.Errorf("%d records, FileError %+v; want %d records, line %d, offset %d", n, fe, tt.records, tt.line, tt.offset)
			}
		})
	}
}

// longLine returns a valid line of exactly n bytes, padding the request URI.
func longLine(t *testing.T, n int) []byte {
	t.Helper()
	pad := n - len(a26)
	if pad < 0 {
		t.Fatal("n too small")
	}
	l := strings.Replace(a26, "?versioning", "?versioning"+strings.Repeat("a", pad), 1)
	if len(l) != n {
		t.Fatalf("line is %d bytes, want %d", len(l), n)
	}
	return []byte(l)
}

func TestReader_LongLines(t *testing.T) {
	maxLine := longLine(t, s3access.MaxLineLen)
	tooLong := longLine(t, s3access.MaxLineLen+1)
	var data []byte
	for _, l := range [][]byte{[]byte(a26), maxLine, tooLong, []byte(a26), tooLong} {
		data = append(append(data, l...), '\n')
	}
	data = append(data, tooLong...) // and one at EOF without "\n"

	for _, src := range []struct {
		name string
		r    io.Reader
	}{
		{"Plain", bytes.NewReader(data)},
		{"HalfReader", iotest.HalfReader(bytes.NewReader(data))},
	} {
		t.Run(src.name, func(t *testing.T) {
			r := s3access.NewReader(src.r, "long.log")
			var rec keytrail.AccessLogRecord
			offset := int64(0)
			for i, want := range []struct {
				ok   bool
				size int
			}{{true, len(a26)}, {true, len(maxLine)}, {false, len(tooLong)}, {true, len(a26)}, {false, len(tooLong)}, {false, len(tooLong)}} {
				err := r.Next(&rec)
				var re *keytrail.RecordError
				switch {
				case want.ok && err != nil:
					t.Fatalf("line %d: %v", i+1, err)
				case want.ok:
					if len(rec.RequestURI) != want.size-len(a26)+len(`"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1"`) {
						t.Errorf("line %d: RequestURI is %d bytes", i+1, len(rec.RequestURI))
					}
				case !errors.As(err, &re):
					t.Fatalf("line %d: Next = %v, want a RecordError", i+1, err)
				default:
					if re.Line != int64(i+1) || re.Offset != offset || len(re.Raw) != s3access.MaxRawLen ||
						!bytes.Equal(re.Raw, tooLong[:s3access.MaxRawLen]) || !strings.Contains(re.Reason, "longer than the limit") {
						t.Errorf("line %d: RecordError line %d offset %d (want %d) raw %d, %s", i+1, re.Line, re.Offset, offset, len(re.Raw), re.Reason)
					}
				}
				offset += int64(want.size + 1)
			}
			if err := r.Next(&rec); err != io.EOF {
				t.Errorf("Next at the end = %v, want io.EOF", err)
			}
		})
	}
}

// TestReader_RawIsCopied checks that RecordError.Raw stays valid after the
// reader moves on.
func TestReader_RawIsCopied(t *testing.T) {
	bad := "not an access log line"
	data := strings.Repeat(bad+"\n"+a26+"\n", 2000)
	r := s3access.NewReader(strings.NewReader(data), "x")
	var rec keytrail.AccessLogRecord
	var errs []*keytrail.RecordError
	for {
		err := r.Next(&rec)
		if err == io.EOF {
			break
		}
		var re *keytrail.RecordError
		if errors.As(err, &re) {
			errs = append(errs, re)
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if len(errs) != 2000 {
		t.Fatalf("%d RecordErrors, want 2000", len(errs))
	}
	for _, re := range errs {
		if string(re.Raw) != bad {
			t.Fatalf("Raw = %q", re.Raw)
		}
	}
}

// TestReader_Allocs checks that reading does not allocate per line beyond
// the line's string (memory does not grow with the stream).
func TestReader_Allocs(t *testing.T) {
	lines := genLines(1000, 3)
	data := append(bytes.Join(lines, []byte("\n")), '\n')
	var rec keytrail.AccessLogRecord
	allocs := testing.AllocsPerRun(5, func() {
		r := s3access.NewReader(bytes.NewReader(data), "x")
		for r.Next(&rec) == nil {
		}
	})
	if perLine := allocs / float64(len(lines)); perLine > 1.05 {
		t.Errorf("%.2f allocations per line, want 1", perLine)
	}
}
