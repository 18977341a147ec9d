package cloudtrail_test

import (
	"bytes"
	"testing"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/cloudtrail"
)

// TestReader_ValueShapes decodes the value shapes the event scanner has to
// find the ends of: strings with escaped quotes and brackets, nested and
// pretty-printed objects (kept as compact JSON text), other types in
// string fields, escaped member names, unknown members of every type.
func TestReader_ValueShapes(t *testing.T) {
	for _, tc := range []struct {
		name, record string
		check        func(*keytrail.Event) (got, want string)
	}{
		{"escaped quote and brackets in a string", `{"eventName":"a\"]}\\","eventID":"x"}`,
			func(e *keytrail.Event) (string, string) { return e.EventName.String, `a"]}\` }},
		{"escaped member name", `{"\u0065ventName":"Get","eventID":"x"}`,
			func(e *keytrail.Event) (string, string) { return e.EventName.String, "Get" }},
		{"pretty-printed parameters become compact", "{\"eventID\":\"x\",\n  \"requestParameters\": {\n    \"a\": [1, 2, {\"b\": \"c d\"}],\n    \"e\": \"]\"\n  }\n}",
			func(e *keytrail.Event) (string, string) {
				return e.RequestParameters.String, `{"a":[1,2,{"b":"c d"}],"e":"]"}`
			}},
		{"compact parameters kept as written", `{"eventID":"x","requestParameters":{"k":"v\u00e9","n":-1.5e3}}`,
			func(e *keytrail.Event) (string, string) {
				return e.RequestParameters.String, `{"k":"v\u00e9","n":-1.5e3}`
			}},
		{"number and boolean in string fields", `{"eventID":"x","readOnly":true,"eventVersion":1.08}`,
			func(e *keytrail.Event) (string, string) {
				return e.ReadOnly.String + " " + e.EventVersion.String, "true 1.08"
			}},
		{"unknown members of every type", `{"u1":{"a":"}"},"u2":["]",[{}]],"u3":null,"u4":-0,"eventName":"N","eventID":"x"}`,
			func(e *keytrail.Event) (string, string) { return e.EventName.String, "N" }},
		{"null is absent", `{"eventID":"x","errorCode":null}`,
			func(e *keytrail.Event) (string, string) {
				if e.ErrorCode.Valid {
					return "valid", "absent"
				}
				return "absent", "absent"
			}},
		{"nested identity with spaces", "{ \"eventID\" : \"x\" , \"userIdentity\" : { \"sessionContext\" : { \"sessionIssuer\" : { \"arn\" : \"arn:aws:iam::1:role/R\" } } } }",
			func(e *keytrail.Event) (string, string) {
				return e.UserIdentity.SessionContext.SessionIssuer.ARN.String, "arn:aws:iam::1:role/R"
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cloudtrail.NewReader(bytes.NewReader([]byte(`{"Records":[`+tc.record+`]}`)), "t")
			var ev keytrail.Event
			if err := r.Next(&ev); err != nil {
				t.Fatal(err)
			}
			if got, want := tc.check(&ev); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}
