package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/keytrail/keytrail"
)

// validCases are values checkValue must judge as jsontext does with decOpts.
var validCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.25E-3`, `true`, `false`, `null`,
	` { "a" : [ 1 , 2 , { } , [ ] , "x" ] , "b" : null } `,
	`{"a":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"}`, "\"\xff\xfe invalid UTF-8 passes\"",
	`{"a":1,"a":2}`, `"a long string without anything special in it, longer than eight bytes"`,
	`{"Records":[{"eventVersion":"1.08","x":{"y":[true,false,null,0.5]}}]}`,
	// Invalid:
	``, ` `, `{`, `[`, `"`, `"abc`, `{"a"`, `{"a":`, `{"a":1`, `[1,`, `[1,]`, `{"a":1,}`, `{,}`,
	`{"a" 1}`, `{a:1}`, `[1 2]`, `{"a":1 "b":2}`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`,
	`tru`, `trux`, `nul`, `nulll`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"tab\tinside\"", "\"nl\ninside\"",
	"\"a long string with a control \x01 character past eight bytes\"", `}`, `]`, `{}}`, `[]]`, `1 2`,
	`{"a":[}`, `[{]`, `{"a":{"b":[1,2,{"c":"d"]}}`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat("[", 9999) + strings.Repeat("]", 9999),
}

func TestCheckValue_AgreesWithJSONText(t *testing.T) {
	for _, c := range validCases {
		agree(t, []byte(c))
	}
}

// FuzzCheckValue compares checkValue with jsontext on arbitrary input: the
// same verdict, and on complete input, no errIncomplete for a prefix that
// jsontext finds wrong before its end.
func FuzzCheckValue(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	files, _ := filepath.Glob("../testdata/cloudtrail/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 16<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) { agree(t, b) })
}

func agree(t *testing.T, b []byte) {
	t.Helper()
	want := jsontext.Value(b).IsValid(decOpts...)
	got, problem := validJSON(b)
	if got != want {
		t.Fatalf("%.80q: valid %v (%s), jsontext says %v", b, got, problem, want)
	}
	// Cut anywhere, a valid value is incomplete, never wrong. Every cut is
	// checked, so the cost is quadratic: the bound keeps each execution (and
	// the fuzzer's minimization, which runs it thousands of times) cheap.
	if want && len(b) <= 1024 {
		for n := 0; n < len(b); n++ {
			p := b[:n]
			if len(bytes.TrimSpace(p)) == 0 {
				continue
			}
			_, err := checkValue(p, 0, false)
			var se *syntaxError
			if errors.As(err, &se) {
				t.Fatalf("%.80q cut at %d: %v, want incomplete", b, n, err)
			}
		}
	}
}

func TestCheckValue_ErrorOffsets(t *testing.T) {
	tests := []struct {
		in   string
		off  int
		want string
	}{
		{`{"a":1 "b":2}`, 7, `invalid character '"' after object value`},
		{`[1 2]`, 3, `after array element`},
		{`{"a" 1}`, 5, `after object name (expecting ':')`},
		{`{1:2}`, 1, `at start of object name`},
		{"\"ab\x01\"", 3, `invalid control character '\x01' within string`},
		{"\"abcdefghijkl\x1f\"", 13, `control character`},
		{`"abc\q"`, 4, `invalid escape sequence "\\q"`},
		{`"abc\u12x4"`, 4, `invalid escape sequence "\\u12x"`},
		{`nulx`, 3, `in literal null (expecting 'l')`},
		{`-x`, 1, `in number (expecting a digit)`},
		{`x`, 0, `invalid character 'x' at start of value`},
	}
	for _, tt := range tests {
		_, err := checkValue([]byte(tt.in), 0, true)
		var se *syntaxError
		if !errors.As(err, &se) || se.off != tt.off || !strings.Contains(se.msg, tt.want) {
			t.Errorf("%q: %v (offset %v), want %q at %d", tt.in, err, se, tt.want, tt.off)
		}
	}
}

func BenchmarkCheckValue(b *testing.B) {
	body := recordsBody(b)
	b.Run("keytrail", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := checkValue(body, 0, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jsontext", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if !jsontext.Value(body).IsValid(decOpts...) {
				b.Fatal("invalid")
			}
		}
	})
}

// recordsBody is a Records file of the fixture's records, repeated to 4 MiB.
func recordsBody(tb testing.TB) []byte {
	raw, err := os.ReadFile("../testdata/peers/open-telemetry_opentelemetry-collector-contrib/cloudtraillog/cloudtrail_log.json")
	if err != nil {
		tb.Fatal(err)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, raw); err != nil {
		tb.Fatal(err)
	}
	i, j := bytes.IndexByte(c.Bytes(), '['), bytes.LastIndexByte(c.Bytes(), ']')
	elems := c.Bytes()[i+1 : j]
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	for buf.Len() < 4<<20 {
		if buf.Len() > 12 {
			buf.WriteByte(',')
		}
		buf.Write(elems)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// FuzzReader_Syntax wraps arbitrary bytes as the elements of a Records file
// and checks that the Reader finds the file malformed exactly when jsontext
// does (reading every top-level value of the stream, as the Reader does).
func FuzzReader_Syntax(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`{"eventName":"a\"]}\\","eventID":"x"},{"userIdentity":{"sessionContext":{"attributes":{}}}}`))
	f.Add([]byte(`{"resources":[{"ARN":"a"},{"type":1}],"eventTime":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{}]} {"Records":[{"eventID":"x"}`))
	f.Fuzz(func(t *testing.T, elems []byte) {
		body := append(append([]byte(`{"Records":[`), elems...), "]}"...)
		if bytes.Count(body, []byte("["))+bytes.Count(body, []byte("{")) > maxDepth-10 {
			return // the depth limit counts from the element here, from the file in jsontext
		}
		want := true
		d := jsontext.NewDecoder(bytes.NewReader(body), decOpts...)
		for {
			if _, err := d.ReadValue(); err != nil {
				want = err == io.EOF
				break
			}
		}
		// Malformed JSON ends a Records file (a *keytrail.FileError) or, in
		// a file read as NDJSON, rejects a line.
		r := NewReader(bytes.NewReader(body), "fuzz")
		var ev keytrail.Event
		malformed := false
		for n := 0; n <= len(body); n++ {
			err := r.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil && (strings.Contains(err.Error(), "not CloudTrail JSON") || strings.Contains(err.Error(), "not a CloudTrail file")) {
				return // not the shape of a CloudTrail file: the reader stops there
			}
			if err != nil && strings.Contains(err.Error(), "malformed JSON") {
				malformed = true
			}
		}
		if malformed == want {
			t.Fatalf("%.200q: reader finds malformed JSON: %v; jsontext finds it valid: %v", body, malformed, want)
		}
	})
}
