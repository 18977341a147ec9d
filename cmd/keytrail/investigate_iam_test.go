package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/iamtest"
	"github.com/keytrail/keytrail/investigate"
)

// TestInvestigate_IAM: a key that no log names is resolved through IAM
// (a local endpoint speaking the IAM and STS query protocols), its owner's
// access-log requests become the evidence, IAM's other active keys make
// them ambiguous, and a last use that the store does not show is a finding.
// --offline asks nothing; a denied IAM is reported, not fatal.
func TestInvestigate_IAM(t *testing.T) {
	st := sampleStore(t)
	const key = "AKIAZZZZZZZZZZZZZZZZ"
	lastUsed := time.Date(2024, 6, 20, 9, 0, 0, 0, time.UTC) // after the sample's days
	created := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	srv := iamtest.Start(t, gen.IncidentAccount, "arn:aws:iam::"+gen.IncidentAccount+":user/analyst", iamtest.User{
		Name: "deploy-bot",
		Keys: []iamtest.Key{
			{ID: key, Status: "Active", Created: created, LastUsed: &lastUsed, Service: "s3", Region: "us-east-1"},
			{ID: gen.IncidentSecondKey, Status: "Active", Created: created},
		},
	})
	id, secret := srv.Credentials()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": iamtest.Region,
		"AWS_ENDPOINT_URL_IAM": srv.URL, "AWS_ENDPOINT_URL_STS": srv.URL} {
		t.Setenv(k, v)
	}
	report := func(t *testing.T, args ...string) (*investigate.Report, string) {
		t.Helper()
		out, errOut, code := run(t, append([]string{"investigate", "key", key, "--store", st, "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var rep investigate.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		text, _, _ := run(t, append([]string{"investigate", "key", key, "--store", st}, args...)...)
		return &rep, text
	}
	codes := func(rep *investigate.Report) []string {
		var c []string
		for _, f := range rep.Findings {
			c = append(c, f.Code)
		}
		return c
	}

	rep, text := report(t)
	if rep.IAM == nil || rep.IAM.ARN != gen.IncidentUser || rep.IAM.LastUsed == nil || !rep.IAM.LastUsed.Equal(lastUsed) {
		t.Fatalf("IAM part %+v; want %s, last used %v", rep.IAM, gen.IncidentUser, lastUsed)
	}
	if len(rep.Principals) != 1 || rep.Principals[0].ARN != gen.IncidentUser || !slices.Contains(rep.Principals[0].Source, "iam-api") {
		t.Errorf("principals %+v; want %s from iam-api", rep.Principals, gen.IncidentUser)
	}
	if len(rep.Principals) == 1 && !slices.Contains(rep.Principals[0].OtherKeys, gen.IncidentSecondKey) {
		t.Errorf("other keys %v; want IAM's active %s", rep.Principals[0].OtherKeys, gen.IncidentSecondKey)
	}
	if len(rep.Actors) == 0 || rep.Actors[0].SourceIP != gen.IncidentIP {
		t.Errorf("actors %+v; want the owner's access-log requests, %s first", rep.Actors, gen.IncidentIP)
	}
	for _, want := range []string{"ambiguous", "iam-newer-use"} {
		if !slices.Contains(codes(rep), want) {
			t.Errorf("findings %v lack %s", codes(rep), want)
		}
	}
	if slices.Contains(codes(rep), "principal-unknown") {
		t.Errorf("IAM named the owner, yet the report says it is unknown")
	}
	if !strings.Contains(text, "last used 2024-06-20 09:00") || !strings.Contains(text, "on s3 in us-east-1") {
		t.Errorf("the text report does not show IAM's last use:\n%s", text)
	}

	// --offline: no call, and the owner is unknown again.
	calls := len(srv.Called())
	rep, _ = report(t, "--offline")
	if n := len(srv.Called()); n != calls {
		t.Errorf("--offline made %d AWS calls", n-calls)
	}
	if rep.IAM != nil || !slices.Contains(codes(rep), "principal-unknown") {
		t.Errorf("--offline: IAM %+v, findings %v; want no IAM part and principal-unknown", rep.IAM, codes(rep))
	}

	// Everything denied: said in the report, the rest of it still there.
	srv.Deny(iamtest.GetCallerIdentity, iamtest.GetAccessKeyInfo, iamtest.GetAccessKeyLastUsed, iamtest.GetUser, iamtest.ListAccessKeys)
	rep, _ = report(t)
	if !slices.Contains(codes(rep), "iam-not-asked") || !slices.Contains(codes(rep), "principal-unknown") {
		t.Errorf("IAM denied: findings %v; want iam-not-asked and principal-unknown", codes(rep))
	}
}
