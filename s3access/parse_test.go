package s3access_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/s3access"
)

// a26 is a 26-field line to edit in table tests.
const a26 = `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes`

// a18 is a26 cut to its first 18 fields.
var a18 = a26[:strings.Index(a26, " s9lz")]

func TestParseLine_Errors(t *testing.T) {
	for _, tt := range []struct {
		name, line, want string
	}{
		{"Empty", "", "1 fields, want at least 18"},
		{"Spaces", "   ", "4 fields, want at least 18"},
		{"17 fields", a18[:strings.LastIndexByte(a18, ' ')], "17 fields, want at least 18"},
		{"BytesSentWord", strings.Replace(a26, " 113 ", " abc ", 1), `field 12 (bytessent): not a number or -: "abc"`},
		{"BytesSentEmpty", strings.Replace(a26, " 113 ", "  ", 1), `field 12 (bytessent)`},
		{"BytesSentOverflow", strings.Replace(a26, " 113 ", " 9223372036854775808 ", 1), `field 12 (bytessent)`},
		{"ObjectSizeNegative", strings.Replace(a26, " 113 - 7", " 113 -1 7", 1), `field 13 (objectsize)`},
		{"NoBracket", strings.Replace(a26, "[06/Feb/2019:00:00:38 +0000]", "06/Feb/2019:00:00:38", 1), "field 3 (requestdatetime)"},
		{"NoClosingBracket", strings.Replace(a26, "[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:00:00:38 +0000", 1)[:150], "field 3 (requestdatetime): no closing ]"},
		{"TextAfterBracket", strings.Replace(a26, "+0000]", "+0000]x", 1), "no space after ]"},
		{"BadMonth", strings.Replace(a26, "Feb", "Fev", 1), "bad time"},
		{"Feb30", strings.Replace(a26, "06/Feb", "30/Feb", 1), "bad time"},
		{"Feb29NotLeap", strings.Replace(a26, "06/Feb/2019", "29/Feb/2019", 1), "bad time"},
		{"Hour24", strings.Replace(a26, ":00:00:38", ":24:00:38", 1), "bad time"},
		{"Second60", strings.Replace(a26, ":00:00:38", ":00:00:60", 1), "bad time"},
		{"NoSign", strings.Replace(a26, "+0000", "0000 ", 1), "bad time"},
		{"BadOffsetMinutes", strings.Replace(a26, "+0000", "+0060", 1), "bad time"},
		{"TwoDigitYear", strings.Replace(a26, "2019", "19", 1), "bad time"},
		{"DayZero", strings.Replace(a26, "06/Feb", "00/Feb", 1), "bad time"},
		{"Unterminated", strings.Replace(a26, `"S3Console/0.4"`, `"S3Console/0.4`, 1), "field 17 (useragent): unterminated quoted text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := keytrail.AccessLogRecord{Bucket: "stale", Extra: []string{"stale"}}
			err := s3access.ParseLine([]byte(tt.line), &rec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseLine = %v, want an error containing %q", err, tt.want)
			}
			if !reflect.DeepEqual(rec, keytrail.AccessLogRecord{}) {
				t.Errorf("rec not zeroed after an error: %+v", rec)
			}
		})
	}
}

func TestParseLine_Fields(t *testing.T) {
	oai := "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E15MNIMTCFKK4C"
	for _, tt := range []struct {
		name  string
		line  string
		check func(r *keytrail.AccessLogRecord) bool
	}{
		{"26 fields", a26, func(r *keytrail.AccessLogRecord) bool {
			return r.ACLRequired == keytrail.S("Yes") && !r.SourceRegion.Valid && r.Extra == nil &&
				r.BytesSent == keytrail.NullInt64{Int64: 113, Valid: true} && !r.ObjectSize.Valid &&
				r.RequestURI == `"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1"` && r.Referrer == `"-"`
		}},
		{"CRLF", a26 + "\r\n", func(r *keytrail.AccessLogRecord) bool { return r.ACLRequired == keytrail.S("Yes") }},
		{"18 fields", a18, func(r *keytrail.AccessLogRecord) bool {
			return r.VersionID == "-" && !r.HostID.Valid && !r.SigV.Valid && !r.ACLRequired.Valid
		}},
		{"EmptyTrailingField", a26 + " us-east-1 ", func(r *keytrail.AccessLogRecord) bool {
			return r.SourceRegion == keytrail.S("us-east-1") && reflect.DeepEqual(r.Extra, []string{""})
		}},
		{"OAI", strings.Replace(a26, "192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", "192.0.2.3 "+oai, 1),
			func(r *keytrail.AccessLogRecord) bool {
				return r.Requester == oai && r.RequestID == "3E57427F3EXAMPLE" && r.Operation == "REST.GET.VERSIONING" &&
					r.ACLRequired == keytrail.S("Yes") && r.Extra == nil
			}},
		{"UnknownOperationNoSpaces", strings.Replace(a26, "REST.GET.VERSIONING", "FUTURE.GET.THING", 1), func(r *keytrail.AccessLogRecord) bool {
			return r.Operation == "FUTURE.GET.THING" && r.RequestID == "3E57427F3EXAMPLE" && r.ACLRequired == keytrail.S("Yes")
		}},
		{"LowerCaseMonth", strings.Replace(a26, "Feb", "feb", 1), func(r *keytrail.AccessLogRecord) bool {
			return r.RequestDateTime == "06/feb/2019:00:00:38 +0000" && r.Time.Month() == 2
		}},
		{"QuotedDashBytes", strings.Replace(a26, " 113 ", ` "-" `, 1), func(r *keytrail.AccessLogRecord) bool { return !r.BytesSent.Valid }},
		{"BigNumber", strings.Replace(a26, " 113 ", " 9223372036854775807 ", 1), func(r *keytrail.AccessLogRecord) bool {
			return r.BytesSent.Int64 == 1<<63-1
		}},
		{"AnyFieldQuoted", strings.Replace(a26, " TLSV1.2 ", ` "TLS V1.2" `, 1), func(r *keytrail.AccessLogRecord) bool {
			return r.TLSVersion == keytrail.S(`"TLS V1.2"`) && r.ACLRequired == keytrail.S("Yes")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, tt.line)
			if !tt.check(r) {
				t.Errorf("unexpected record: %+v", r)
			}
		})
	}
}

// TestParseLine_Reuse checks that a reused record carries nothing over.
func TestParseLine_Reuse(t *testing.T) {
	long := a26 + " us-east-1 Extra1"
	short := a18
	var rec keytrail.AccessLogRecord
	if err := s3access.ParseLine([]byte(long), &rec); err != nil {
		t.Fatal(err)
	}
	if err := s3access.ParseLine([]byte(short), &rec); err != nil {
		t.Fatal(err)
	}
	if want := mustParse(t, short); !reflect.DeepEqual(&rec, want) {
		t.Errorf("reused record = %+v, want %+v", rec, want)
	}
}

// TestFormat_Fixtures checks that every fixture line writes back byte for
// byte.
func TestFormat_Fixtures(t *testing.T) {
	for _, path := range peerLogFiles(t) {
		for i, line := range fileLines(t, path) {
			var rec keytrail.AccessLogRecord
			if err := s3access.ParseLine([]byte(line), &rec); err != nil {
				continue // too_few_values.log
			}
			if got := string(s3access.Format(&rec)); got != line {
				t.Errorf("%s:%d: Format =\n%s\nwant\n%s", path, i+1, got, line)
			}
		}
	}
}

func TestFormat_Record(t *testing.T) {
	rec := mustParse(t, a26)
	rec.RequestDateTime = "" // Format falls back to Time
	rec.ACLRequired = keytrail.NullString{}
	rec.Extra = []string{"x"}
	want := strings.Replace(a26, " Yes", " - - x", 1)
	if got := string(s3access.Format(rec)); got != want {
		t.Errorf("Format =\n%s\nwant\n%s", got, want)
	}
	if got := string(s3access.AppendFormat([]byte("> "), rec)); got != "> "+want {
		t.Errorf("AppendFormat = %s", got)
	}
}

func TestSniff(t *testing.T) {
	cut := strings.Index(a26, "] ") + 1
	for _, tt := range []struct {
		name string
		in   string
		want bool
	}{
		{"Line", a26, true},
		{"LineAndMore", a26 + "\n" + a26 + "\n", true},
		{"CutAfterTime", a26[:cut], true},
		{"CutAfterTimeSpace", a26[:cut+1], true},
		{"LeadingBlankLines", "\n\r\n  " + a26, true},
		{"OffsetNotUTC", strings.Replace(a26, "+0000", "-0700", 1), true},
		{"CutInsideTime", a26[:cut-3], false},
		{"BadTime", strings.Replace(a26, "Feb", "Fev", 1), false},
		{"Empty", "", false},
		{"CloudTrail", `{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser"}}]}`, false},
		{"NDJSON", `{"eventVersion":"1.08"}` + "\n", false},
		{"Gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00", false},
		{"ApacheCommonLog", `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`, false},
		{"CSV", "a,b,c\n1,2,3\n", false},
		{"TimeFirst", "[06/Feb/2019:00:00:38 +0000] a b", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := s3access.Sniff([]byte(tt.in)); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
	for _, path := range peerLogFiles(t) {
		if !s3access.Sniff(readFile(t, path)) {
			t.Errorf("Sniff(%s) = false", path)
		}
	}
}
