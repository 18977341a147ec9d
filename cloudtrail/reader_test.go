package cloudtrail_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/cloudtrail"
)

var update = flag.Bool("update", false, "rewrite golden files")

const peers = "../testdata/peers/"

// readAll parses a whole file and returns its events, the errors in order
// and the file kind.
func readAll(t testing.TB, r io.Reader, name string) ([]keytrail.Event, []error, cloudtrail.Kind) {
	t.Helper()
	cr := cloudtrail.NewReader(r, name)
	var evs []keytrail.Event
	var errs []error
	for i := 0; i < 1e6; i++ {
		var ev keytrail.Event
		err := cr.Next(&ev)
		if err == io.EOF {
			return evs, errs, cr.Kind()
		}
		if err != nil {
			errs = append(errs, err)
			var re *keytrail.RecordError
			if errors.As(err, &re) {
				continue
			}
			// A FileError ends the file: Next must say EOF from now on.
			if err2 := cr.Next(&ev); err2 != io.EOF {
				t.Fatalf("%s: Next after a file error = %v, want io.EOF", name, err2)
			}
			return evs, errs, cr.Kind()
		}
		evs = append(evs, ev)
	}
	t.Fatalf("%s: reader did not end", name)
	return nil, nil, 0
}

func readFile(t testing.TB, path string) ([]keytrail.Event, []error, cloudtrail.Kind) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readAll(t, f, filepath.Base(path))
}

// TestReader_Peers reads every CloudTrail sample of the peer fixtures.
func TestReader_Peers(t *testing.T) {
	tests := []struct {
		file    string
		kind    cloudtrail.Kind
		events  int
		fileErr string // a *keytrail.FileError whose message matches this
	}{
		{"awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-examples.md.block1_ec2_StartInstances.json", cloudtrail.KindRecords, 1, ""},
		{"awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-examples.md.block2_ec2_StopInstances.json", cloudtrail.KindRecords, 1, ""},
		{"awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-examples.md.block3_ec2_CreateKeyPair.json", cloudtrail.KindRecords, 1, ""},
		{"awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-examples.md.block4_iam_CreateUser.json", cloudtrail.KindRecords, 1, ""},
		{"awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-examples.md.block5_iam_AddUserToGroup.json", cloudtrail.KindRecords, 1, ""},
		{"awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-examples.md.block6_iam_CreateRole_INVALID_JSON.json", cloudtrail.KindRecords, 0, `block6_iam_CreateRole_INVALID_JSON.json: byte \d+: malformed JSON: .*control character`},
		{"awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-examples.md.block7_cloudtrail_UpdateTrail_error.json", cloudtrail.KindRecords, 1, ""},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block1_IAMUser_GetUserPolicy_invokedBy.json", cloudtrail.KindEvent, 1, ""},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block2_IAMUser_AssumeRole_crossaccount_caller.json", cloudtrail.KindEvent, 1, ""},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block3_AWSAccount_AssumeRole_crossaccount_target.json", cloudtrail.KindEvent, 1, ""},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block4_AssumedRole_rolechaining_sourceIdentity_tags.json", cloudtrail.KindEvent, 1, ""},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block5_AssumedRole_S3_DeleteBucket.json", cloudtrail.KindEvent, 1, ""},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block6_SAMLUser_AssumeRoleWithSAML_INVALID_JSON.json", cloudtrail.KindUnknown, 0, `block6_SAMLUser_AssumeRoleWithSAML_INVALID_JSON.json: byte \d+: malformed JSON: invalid character '"' after object value`},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block7_WebIdentityUser_AssumeRoleWithWebIdentity_INVALID_JSON.json", cloudtrail.KindUnknown, 0, `block7_WebIdentityUser_AssumeRoleWithWebIdentity_INVALID_JSON.json: byte \d+: malformed JSON`},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block8_IAMUser_ConsoleLogin_success_INVALID_JSON_mdescape.json", cloudtrail.KindUnknown, 0, `block8_IAMUser_ConsoleLogin_success_INVALID_JSON_mdescape.json: byte \d+: malformed JSON: invalid escape sequence`},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block9_IAMUser_ConsoleLogin_failure.json", cloudtrail.KindEvent, 1, ""},
		{"awsdocs_iam-user-guide/cloudtrail-integration.md.block10_ConsoleLogin_HIDDEN_DUE_TO_SECURITY_REASONS.json", cloudtrail.KindEvent, 1, ""},
		{"open-telemetry_opentelemetry-collector-contrib/cloudtraillog/cloudtrail_log.json", cloudtrail.KindRecords, 7, ""},
		{"open-telemetry_opentelemetry-collector-contrib/cloudtraillog/cloudtrail_log_cw.json", cloudtrail.KindCloudWatch, 1, ""},
		{"open-telemetry_opentelemetry-collector-contrib/cloudtraillog/cloudtrail_log_empty.json", cloudtrail.KindRecords, 0, ""},
		{"open-telemetry_opentelemetry-collector-contrib/cloudtraillog/cloudtrail_digest.json", cloudtrail.KindDigest, 0, ""},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			evs, errs, kind := readFile(t, peers+tt.file)
			if len(evs) != tt.events {
				t.Errorf("got %d events, want %d", len(evs), tt.events)
			}
			if kind != tt.kind {
				t.Errorf("kind %v, want %v", kind, tt.kind)
			}
			if tt.fileErr == "" {
				if len(errs) > 0 {
					t.Errorf("unexpected errors: %v", errs)
				}
				for _, ev := range evs {
					if ev.Time.IsZero() || (!ev.IsInsight() && (!ev.EventName.Valid || !ev.EventSource.Valid)) {
						t.Errorf("event without time, name or source: %+v", ev)
					}
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("got errors %v, want one file error", errs)
			}
			var fe *keytrail.FileError
			if !errors.As(errs[0], &fe) {
				t.Fatalf("error %v is a %T, want *keytrail.FileError", errs[0], errs[0])
			}
			if !regexp.MustCompile(tt.fileErr).MatchString(errs[0].Error()) {
				t.Errorf("error %q does not match %q", errs[0], tt.fileErr)
			}
		})
	}
}

// TestReader_OpenTelemetry compares the 7-record file field by field with
// the OpenTelemetry collector's expectation (cloudtrail_log_expected.yaml).
// Deliberate differences, each checked below:
//   - OpenTelemetry turns readOnly, managementEvent, mfaAuthenticated and
//     sessionCredentialFromConsole into booleans; keytrail keeps Athena's
//     strings 'true'/'false'.
//   - OpenTelemetry reports the TLS version as "1.2"; keytrail keeps the
//     logged "TLSv1.2", as Athena's tlsdetails.tlsversion does.
//   - OpenTelemetry expands requestParameters etc. into maps; keytrail keeps
//     them as compact JSON text, as Athena's STRING columns do (compared
//     here only for presence).
func TestReader_OpenTelemetry(t *testing.T) {
	dir := peers + "open-telemetry_opentelemetry-collector-contrib/cloudtraillog/"
	evs, errs, _ := readFile(t, dir+"cloudtrail_log.json")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := otelRecords(t, dir+"cloudtrail_log_expected.yaml")
	if len(want) != len(evs) {
		t.Fatalf("%d expected records, %d events", len(want), len(evs))
	}
	boolText := func(v string) string { return v } // 'true'/'false' in both
	for i, ev := range evs {
		ev := ev
		fields := map[string]func() keytrail.NullString{
			"aws.cloudtrail.event_version": func() keytrail.NullString { return ev.EventVersion },
			"aws.cloudtrail.event_id":      func() keytrail.NullString { return ev.EventID },
			"rpc.method":                   func() keytrail.NullString { return ev.EventName },
			"rpc.system":                   func() keytrail.NullString { return ev.EventType },
			"aws.cloudtrail.api_version":   func() keytrail.NullString { return ev.APIVersion },
			"rpc.service":                  func() keytrail.NullString { return ev.EventSource },
			"aws.request_id":               func() keytrail.NullString { return ev.RequestID },
			"aws.event.category":           func() keytrail.NullString { return ev.EventCategory },
			"aws.event.read_only":          func() keytrail.NullString { return ev.ReadOnly },
			"aws.event.management":         func() keytrail.NullString { return ev.ManagementEvent },
			"source.address":               func() keytrail.NullString { return ev.SourceIPAddress },
			"user_agent.original":          func() keytrail.NullString { return ev.UserAgent },
			"aws.session.console":          func() keytrail.NullString { return ev.SessionCredentialFromConsole },
			"user.name":                    func() keytrail.NullString { return ev.UserIdentity.UserName },
			"aws.user_identity.account_id": func() keytrail.NullString { return ev.UserIdentity.AccountID },
			"aws.access_key.id":            func() keytrail.NullString { return ev.UserIdentity.AccessKeyID },
			"aws.principal.id":             func() keytrail.NullString { return ev.UserIdentity.PrincipalID },
			"aws.principal.arn":            func() keytrail.NullString { return ev.UserIdentity.ARN },
			"aws.principal.type":           func() keytrail.NullString { return ev.UserIdentity.Type },
			"aws.user_identity.invoked_by": func() keytrail.NullString { return ev.UserIdentity.InvokedBy },
			"user.id":                      func() keytrail.NullString { return ev.UserIdentity.UserID },
			"aws.identity_store.arn":       func() keytrail.NullString { return ev.UserIdentity.IdentityStoreARN },
			"aws.user_identity.session_context.attributes.mfa_authenticated": func() keytrail.NullString {
				return ev.UserIdentity.SessionContext.Attributes.MFAAuthenticated
			},
			"aws.user_identity.session_context.attributes.creation_date": func() keytrail.NullString {
				return ev.UserIdentity.SessionContext.Attributes.CreationDate
			},
			"aws.user_identity.session_context.issuer.user_name":    func() keytrail.NullString { return ev.UserIdentity.SessionContext.SessionIssuer.UserName },
			"aws.user_identity.session_context.issuer.type":         func() keytrail.NullString { return ev.UserIdentity.SessionContext.SessionIssuer.Type },
			"aws.user_identity.session_context.issuer.principal_id": func() keytrail.NullString { return ev.UserIdentity.SessionContext.SessionIssuer.PrincipalID },
			"aws.user_identity.session_context.issuer.arn":          func() keytrail.NullString { return ev.UserIdentity.SessionContext.SessionIssuer.ARN },
			"aws.user_identity.session_context.issuer.account_id":   func() keytrail.NullString { return ev.UserIdentity.SessionContext.SessionIssuer.AccountID },
			"aws.shared_event_id":                                   func() keytrail.NullString { return ev.SharedEventID },
			"aws.error.code":                                        func() keytrail.NullString { return ev.ErrorCode },
			"aws.error.message":                                     func() keytrail.NullString { return ev.ErrorMessage },
			"tls.cipher":                                            func() keytrail.NullString { return ev.TLSDetails.CipherSuite },
			"server.address":                                        func() keytrail.NullString { return ev.TLSDetails.ClientProvidedHostHeader },
			"tls.protocol.version": func() keytrail.NullString {
				// Deliberate difference: keytrail keeps "TLSv1.2".
				v := ev.TLSDetails.TLSVersion
				v.String = strings.TrimPrefix(v.String, "TLSv")
				return v
			},
			"aws.request.parameters":               func() keytrail.NullString { return ev.RequestParameters },
			"aws.response.elements":                func() keytrail.NullString { return ev.ResponseElements },
			"aws.cloudtrail.additional_event_data": func() keytrail.NullString { return ev.AdditionalEventData },
			"aws.insight_details":                  func() keytrail.NullString { return ev.InsightDetails },
			"aws.resources": func() keytrail.NullString {
				return keytrail.NullString{Valid: len(ev.Resources) > 0}
			},
			"rpc.system.name": func() keytrail.NullString { return ev.EventType }, // a duplicate of rpc.system
		}
		for key, val := range want[i].attrs {
			get, ok := fields[key]
			if !ok {
				t.Errorf("record %d: no mapping for OpenTelemetry attribute %s", i, key)
				continue
			}
			got := get()
			if !got.Valid {
				t.Errorf("record %d: %s absent, OpenTelemetry has %q", i, key, val)
				continue
			}
			if val == "(structured)" {
				continue
			}
			if boolText(got.String) != val {
				t.Errorf("record %d: %s = %q, OpenTelemetry has %q", i, key, got.String, val)
			}
		}
		if want[i].timeNanos != ev.Time.UnixNano() {
			t.Errorf("record %d: time %v, OpenTelemetry has %v", i, ev.Time, time.Unix(0, want[i].timeNanos).UTC())
		}
		if ev.IsInsight() != (want[i].attrs["aws.insight_details"] != "") {
			t.Errorf("record %d: IsInsight = %v", i, ev.IsInsight())
		}
	}
}

type otelRecord struct {
	attrs     map[string]string // scalar values as text; "(structured)" for maps and lists
	timeNanos int64
}

// otelRecords reads the log-record attributes of an OpenTelemetry expected
// YAML file: only what this test needs, by indentation.
func otelRecords(t *testing.T, path string) []otelRecord {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []otelRecord
	attr := regexp.MustCompile(`^ {14}- key: (.+)$`)
	scalar := regexp.MustCompile(`^ {18}(stringValue|boolValue|intValue|doubleValue): (.+)$`)
	structured := regexp.MustCompile(`^ {18}(kvlistValue|arrayValue):`)
	tm := regexp.MustCompile(`^ {12}timeUnixNano: "(\d+)"$`)
	key := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "          - attributes:") {
			recs = append(recs, otelRecord{attrs: map[string]string{}})
			continue
		}
		if len(recs) == 0 {
			continue
		}
		cur := &recs[len(recs)-1]
		if m := attr.FindStringSubmatch(line); m != nil {
			key = m[1]
		} else if m := scalar.FindStringSubmatch(line); m != nil && key != "" {
			v := m[2]
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			} else if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
				v = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
			}
			cur.attrs[key] = v
			key = ""
		} else if structured.MatchString(line) && key != "" {
			cur.attrs[key] = "(structured)"
			key = ""
		} else if m := tm.FindStringSubmatch(line); m != nil {
			cur.timeNanos, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	return recs
}

// TestReader_IdentityFragments reads the userIdentity examples of the
// CloudTrail guide, each put into an event.
func TestReader_IdentityFragments(t *testing.T) {
	raw, err := os.ReadFile(peers + "awsdocs_aws-cloudtrail-user-guide/cloudtrail-event-reference-user-identity.md.fragments.json")
	if err != nil {
		t.Fatal(err)
	}
	var frags map[string]json.RawMessage
	if err := json.Unmarshal(raw, &frags); err != nil {
		t.Fatal(err)
	}
	delete(frags, "_note")
	for name, frag := range frags {
		t.Run(name, func(t *testing.T) {
			body := `{"eventVersion":"1.11","eventName":"X","userIdentity":` + string(frag) + `}`
			evs, errs, _ := readAll(t, strings.NewReader(body), name)
			if len(errs) > 0 || len(evs) != 1 {
				t.Fatalf("events %d, errors %v", len(evs), errs)
			}
			compareJSON(t, name, frag, evs[0].UserIdentity)
		})
	}
}

// TestReader_Panther reads the 475 events of Panther's rule tests (each the
// "log" member of a line, without Panther's p_* members) and checks every
// member against encoding/json's reading of the same bytes.
func TestReader_Panther(t *testing.T) {
	f, err := os.Open(peers + "panther-labs_panther-analysis/cloudtrail_rule_test_events.derived.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, notEvents := 0, 0
	for sc.Scan() {
		var line struct {
			TestName string                     `json:"test_name"`
			Log      map[string]json.RawMessage `json:"log"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		for k := range line.Log {
			if strings.HasPrefix(k, "p_") {
				delete(line.Log, k)
			}
		}
		body, _ := json.Marshal(line.Log)
		evs, errs, _ := readAll(t, bytes.NewReader(body), line.TestName)
		n++
		if len(errs) > 0 {
			// Partial test events with none of the members every event has
			// are rejected, with the reason.
			var re *keytrail.RecordError
			if !errors.As(errs[0], &re) || !strings.Contains(re.Reason, "not a CloudTrail event") {
				t.Errorf("%s: %v", line.TestName, errs)
			}
			notEvents++
			continue
		}
		compareJSON(t, line.TestName, body, evs[0])
	}
	if n != 475 {
		t.Errorf("read %d lines, want 475", n)
	}
	if notEvents > 25 {
		t.Errorf("%d of %d Panther events rejected", notEvents, n)
	}
}

// compareJSON checks that every member of the JSON object raw that keytrail
// knows has the value keytrail read: strings as they are, booleans and
// numbers as their text, objects and arrays that Athena keeps as text as
// equal JSON, nested structs member by member.
func compareJSON(t *testing.T, what string, raw []byte, got any) {
	t.Helper()
	gotJSON, _ := json.Marshal(got)
	var g map[string]any
	json.Unmarshal(gotJSON, &g)
	var w map[string]any
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	compareValues(t, what, w, g)
}

func compareValues(t *testing.T, path string, want, got map[string]any) {
	t.Helper()
	for k, wv := range want {
		gv, known := got[strings.ToLower(k)]
		if !known {
			continue // a member keytrail does not model: skipped, as Athena does
		}
		p := path + "." + k
		switch wv := wv.(type) {
		case nil:
			if gv != nil {
				t.Errorf("%s = %v, want null", p, gv)
			}
		case string:
			if gv != wv {
				t.Errorf("%s = %v, want %q", p, gv, wv)
			}
		case bool, float64:
			if gv != fmt.Sprint(wv) {
				t.Errorf("%s = %v, want %v", p, gv, wv)
			}
		case map[string]any:
			switch gv := gv.(type) {
			case map[string]any:
				if strings.HasSuffix(strings.ToLower(k), "attributes") && strings.Contains(p, "webIdFederationData") {
					continue
				}
				compareValues(t, p, wv, gv)
			case string:
				var gj any
				if err := json.Unmarshal([]byte(gv), &gj); err != nil || !reflect.DeepEqual(gj, wv) {
					t.Errorf("%s = %s, want %v", p, gv, wv)
				}
			default:
				t.Errorf("%s = %v (%T), want an object", p, gv, gv)
			}
		case []any:
			switch gv := gv.(type) {
			case []any:
				if len(gv) != len(wv) {
					t.Errorf("%s has %d elements, want %d", p, len(gv), len(wv))
					continue
				}
				for i := range wv {
					wm, ok1 := wv[i].(map[string]any)
					gm, ok2 := gv[i].(map[string]any)
					if ok1 && ok2 {
						compareValues(t, fmt.Sprintf("%s[%d]", p, i), wm, gm)
					}
				}
			case string:
				var gj any
				if err := json.Unmarshal([]byte(gv), &gj); err != nil || !reflect.DeepEqual(gj, wv) {
					t.Errorf("%s = %s, want %v", p, gv, wv)
				}
			default:
				t.Errorf("%s = %v (%T), want an array", p, gv, gv)
			}
		}
	}
}

// TestReader_Golden reads the edge cases under testdata/cloudtrail and
// compares events and errors with the golden files (-update rewrites them).
func TestReader_Golden(t *testing.T) {
	files, _ := filepath.Glob("../testdata/cloudtrail/*")
	n := 0
	for _, path := range files {
		if strings.HasSuffix(path, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(path), func(t *testing.T) {
			evs, errs, kind := readFile(t, path)
			var out bytes.Buffer
			fmt.Fprintf(&out, "# kind: %v\n", kind)
			for _, ev := range evs {
				b, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				out.Write(b)
				fmt.Fprintf(&out, "\n# time: %s insight: %v\n", ev.Time.Format(time.RFC3339Nano), ev.IsInsight())
			}
			for _, err := range errs {
				fmt.Fprintf(&out, "# error (%T): %v\n", err, err)
				var re *keytrail.RecordError
				if errors.As(err, &re) {
					fmt.Fprintf(&out, "# raw: %q\n", re.Raw)
				}
			}
			golden := path + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, out.String())
			}
		})
	}
	if n < 8 {
		t.Fatalf("only %d golden cases found", n)
	}
}

// TestReader_TruncatedGzip cuts a gzip Records file in the middle: the
// events before the cut are returned, then a FileError.
func TestReader_TruncatedGzip(t *testing.T) {
	body, n := benchBody(t, 256<<10)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body)
	zw.Close()
	cut := gz.Bytes()[:gz.Len()/2]
	zr, err := gzip.NewReader(bytes.NewReader(cut))
	if err != nil {
		t.Fatal(err)
	}
	evs, errs, _ := readAll(t, zr, "cut.json.gz")
	if len(evs) == 0 || len(evs) >= n {
		t.Errorf("got %d of %d events before the cut", len(evs), n)
	}
	if len(errs) != 1 {
		t.Fatalf("errors %v, want one", errs)
	}
	var fe *keytrail.FileError
	if !errors.As(errs[0], &fe) || !strings.Contains(errs[0].Error(), "cut.json.gz: byte ") || !strings.Contains(errs[0].Error(), "unexpected") {
		t.Errorf("error %v, want a FileError naming the file, offset and unexpected end", errs[0])
	}
}

// TestReader_MemoryIndependentOfSize streams a Records file much larger than
// the reader's buffers and checks the heap stays small.
func TestReader_MemoryIndependentOfSize(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MB")
	}
	body, n := benchBody(t, 1<<20)
	inner := body[len(`{"Records":[`) : len(body)-2]
	const copies = 200
	r := io.MultiReader(strings.NewReader(`{"Records":[`), &repeatReader{b: inner, sep: []byte{','}, n: copies}, strings.NewReader(`]}`))
	cr := cloudtrail.NewReader(r, "big.json")
	var ev keytrail.Event
	got := 0
	var peak uint64
	for {
		err := cr.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got++
		if got%20000 == 0 {
			if h := heapInUse(); h > peak {
				peak = h
			}
		}
	}
	if got != n*copies {
		t.Fatalf("got %d events, want %d", got, n*copies)
	}
	if peak > 64<<20 {
		t.Errorf("heap in use reached %d MB reading a %d MB file", peak>>20, copies*len(inner)>>20)
	}
}

type repeatReader struct {
	b, sep []byte
	n, i   int
	pos    int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.i >= r.n {
		return 0, io.EOF
	}
	cur := r.b
	if r.pos >= len(cur) {
		r.i++
		r.pos = 0
		if r.i >= r.n {
			return 0, io.EOF
		}
		return copy(p, r.sep), nil
	}
	k := copy(p, cur[r.pos:])
	r.pos += k
	return k, nil
}

// TestReader_BufferBoundaries reads Records files larger than the reader's
// buffer through a source that returns a few bytes at a time: records that
// straddle a refill, a record larger than the buffer, and errors past the
// first buffer, whose offsets must be the file's.
func TestReader_BufferBoundaries(t *testing.T) {
	record := func(i int, params string) string {
		return fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"2026-04-24T01:00:00Z","eventName":"E%d","eventID":"%d","requestParameters":{"p":"%s"}}`, i, i, params)
	}
	build := func(n int, big int) string {
		var b strings.Builder
		b.WriteString(`{"Records":[`)
		for i := range n {
			if i > 0 {
				b.WriteString(",\n ")
			}
			p := "x"
			if i == n/2 {
				p = strings.Repeat(`\"y`, big/3) // escapes all the way
			}
			b.WriteString(record(i, p))
		}
		b.WriteString("]}")
		return b.String()
	}
	body := build(20000, 3<<20)
	evs, errs, _ := readAll(t, &chunkReader{s: body, n: 1000}, "big.json")
	if len(errs) != 0 || len(evs) != 20000 {
		t.Fatalf("got %d events and errors %v, want 20000 and none", len(evs), errs)
	}
	for i, ev := range evs {
		if ev.EventName.String != fmt.Sprintf("E%d", i) {
			t.Fatalf("event %d is %q", i, ev.EventName.String)
		}
	}
	if got, want := evs[10000].RequestParameters.String, `{"p":"`+strings.Repeat(`\"y`, (3<<20)/3)+`"}`; got != want {
		t.Errorf("large parameters: %d bytes beginning %.20q, want %d bytes", len(got), got, len(want))
	}

	// A syntax error far into the file: its offset is the file's.
	bad := strings.Replace(body, `"eventName":"E15000"`, `"eventName" "E15000"`, 1)
	at := strings.Index(bad, `"eventName" "E15000"`) + len(`"eventName" `)
	evs, errs, _ = readAll(t, &chunkReader{s: bad, n: 777}, "bad.json")
	if len(evs) != 15000 || len(errs) != 1 || !strings.Contains(errs[0].Error(), fmt.Sprintf("bad.json: byte %d: malformed JSON: invalid character '\"' after object name", at)) {
		t.Errorf("got %d events and errors %v, want 15000 and malformed JSON at byte %d", len(evs), errs, at)
	}

	// Cut inside the large record: the events before it, and the end of
	// the data as the offset.
	cut := body[:strings.Index(body, `"E10000"`)+(2<<20)]
	evs, errs, _ = readAll(t, &chunkReader{s: cut, n: 4096}, "cut.json")
	if len(evs) != 10000 || len(errs) != 1 || !strings.Contains(errs[0].Error(), fmt.Sprintf("cut.json: byte %d: malformed JSON: unexpected end of data", len(cut))) {
		t.Errorf("got %d events and errors %v, want 10000 and a truncation at byte %d", len(evs), errs, len(cut))
	}
}

// chunkReader returns s at most n bytes per Read.
type chunkReader struct {
	s string
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.s) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[k:]
	return k, nil
}
