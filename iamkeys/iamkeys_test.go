package iamkeys_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/iamkeys"
)

// The fake AWS below speaks the query protocol of IAM (2010-05-08) and STS
// (2011-06-15) on one loopback server: form-encoded POSTs to /, XML answers,
// <ErrorResponse> errors. It checks every request's SigV4 signature by signing
// it again with the secret it knows.

const (
	homeAccount    = "111122223333"
	foreignAccount = "444455556666"
	analystARN     = "arn:aws:iam::111122223333:user/analyst"
	accessKeyID    = "AKIDANALYSTTEST00001" // the credentials Lookup uses
	secretKey      = "fake/secret/key/for/the/loopback/server"
	iamNS          = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNS          = "https://sts.amazonaws.com/doc/2011-06-15/"
	pageSize       = 2 // ListAccessKeys page size, so that alice's keys take two pages
)

// Key ids of the table.
const (
	aliceUsed     = "AKIAALICEUSED0000001"
	aliceOther    = "AKIAALICEOTHER000002"
	aliceOld      = "AKIAALICEOLD00000003"
	bobNever      = "AKIABOBNEVERUSED0001"
	deletedKey    = "AKIADELETEDKEY000001"
	foreignKey    = "AKIAFOREIGNKEY000001"
	temporaryKey  = "ASIAANALYSTSESSION01"
	lastUsedAlice = "2026-04-24T13:05:00Z"
)

type fakeKey struct {
	id, status      string
	created         time.Time
	lastUsed        time.Time // zero: never used
	service, region string
}

type fakeUser struct {
	name, path string
	created    time.Time
	keys       []fakeKey
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var fakeUsers = []fakeUser{
	{name: "alice", path: "/engineering/", created: day("2023-01-10T08:00:00Z"), keys: []fakeKey{
		{id: aliceUsed, status: "Active", created: day("2024-03-01T09:30:00Z"), lastUsed: day(lastUsedAlice), service: "s3", region: "us-east-1"},
		{id: aliceOther, status: "Active", created: day("2025-06-01T10:00:00Z")},
		{id: aliceOld, status: "Inactive", created: day("2023-01-15T11:00:00Z"), lastUsed: day("2023-12-01T00:00:00Z"), service: "iam", region: "us-east-1"},
	}},
	{name: "bob", path: "/", created: day("2026-04-20T07:00:00Z"), keys: []fakeKey{
		{id: bobNever, status: "Active", created: day("2026-04-20T07:05:00Z")},
	}},
}

// keyAccounts are the accounts sts:GetAccessKeyInfo gives for keys that are
// not a user's in the table (those are in homeAccount).
var keyAccounts = map[string]string{
	deletedKey:   homeAccount,
	foreignKey:   foreignAccount,
	temporaryKey: homeAccount,
}

// params are the parameters each action may have besides Action and Version;
// the required ones are marked with a *.
var params = map[string][]string{
	"sts:GetCallerIdentity":    {},
	"sts:GetAccessKeyInfo":     {"*AccessKeyId"},
	"iam:GetAccessKeyLastUsed": {"*AccessKeyId"},
	"iam:GetUser":              {"*UserName"},
	"iam:ListAccessKeys":       {"*UserName", "Marker", "MaxItems"},
}

type fakeAWS struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	deny     map[string]bool // actions answered AccessDenied
	throttle map[string]int  // actions answered Throttling this many times first
	calls    []string        // every request's action, in order
}

func newFake(t *testing.T) *fakeAWS {
	f := &fakeAWS{t: t, deny: map[string]bool{}, throttle: map[string]int{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// config is an aws.Config pointed at the fake with cfg.BaseEndpoint.
func (f *fakeAWS) config() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, ""),
		BaseEndpoint: aws.String(f.srv.URL),
	}
}

func (f *fakeAWS) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("reading request: %v", err)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		f.t.Errorf("request %s %s (Content-Type %q): want a form-encoded POST to /", r.Method, r.URL, r.Header.Get("Content-Type"))
		writeError(w, iamNS, http.StatusBadRequest, "InvalidAction", "not a query request")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		f.t.Errorf("request body %q: %v", body, err)
		writeError(w, iamNS, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	var service, ns string
	switch form.Get("Version") {
	case "2010-05-08":
		service, ns = "iam", iamNS
	case "2011-06-15":
		service, ns = "sts", stsNS
	default:
		f.t.Errorf("request %q: unknown Version", body)
		writeError(w, iamNS, http.StatusBadRequest, "InvalidAction", "unknown version")
		return
	}
	action := service + ":" + form.Get("Action")
	allowed, known := params[action]
	if !known {
		f.t.Errorf("request %q: unexpected action %s", body, action)
		writeError(w, ns, http.StatusBadRequest, "InvalidAction", "Could not find operation "+form.Get("Action"))
		return
	}
	for name := range form {
		if name != "Action" && name != "Version" && !slices.Contains(allowed, name) && !slices.Contains(allowed, "*"+name) {
			f.t.Errorf("%s: unexpected parameter %s in %q", action, name, body)
		}
	}
	for _, p := range allowed {
		if strings.HasPrefix(p, "*") && form.Get(p[1:]) == "" {
			f.t.Errorf("%s: missing parameter %s in %q", action, p[1:], body)
			writeError(w, ns, http.StatusBadRequest, "ValidationError", "1 validation error detected: "+p[1:]+" must not be null")
			return
		}
	}
	if code, msg := f.checkSignature(r, body, service); code != "" {
		writeError(w, ns, http.StatusForbidden, code, msg)
		return
	}

	f.mu.Lock()
	f.calls = append(f.calls, action)
	denied := f.deny[action]
	throttled := f.throttle[action] > 0
	if throttled {
		f.throttle[action]--
	}
	f.mu.Unlock()
	switch {
	case throttled:
		writeError(w, ns, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	case denied:
		writeError(w, ns, http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: %s because no identity-based policy allows the %s action", analystARN, action, action))
		return
	}

	switch action {
	case "sts:GetCallerIdentity":
		writeResult(w, ns, "GetCallerIdentity", "<Arn>"+esc(analystARN)+"</Arn><UserId>AIDAANALYST000000001</UserId><Account>"+homeAccount+"</Account>")
	case "sts:GetAccessKeyInfo":
		id := form.Get("AccessKeyId")
		account := keyAccounts[id]
		if _, _, ok := findKey(id); ok {
			account = homeAccount
		}
		if account == "" {
			writeError(w, ns, http.StatusBadRequest, "InvalidParameterValue", "Invalid access key id")
			return
		}
		writeResult(w, ns, "GetAccessKeyInfo", "<Account>"+account+"</Account>")
	case "iam:GetAccessKeyLastUsed":
		id := form.Get("AccessKeyId")
		u, k, ok := findKey(id)
		switch {
		case !ok && keyAccounts[id] == homeAccount:
			writeError(w, ns, http.StatusNotFound, "NoSuchEntity", "The Access Key with id "+id+" cannot be found")
			return
		case !ok:
			writeError(w, ns, http.StatusForbidden, "AccessDenied", "User: "+analystARN+" is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key "+id)
			return
		}
		last := "<ServiceName>N/A</ServiceName><Region>N/A</Region>"
		if !k.lastUsed.IsZero() {
			last = "<LastUsedDate>" + k.lastUsed.Format(time.RFC3339) + "</LastUsedDate><ServiceName>" + k.service + "</ServiceName><Region>" + k.region + "</Region>"
		}
		writeResult(w, ns, "GetAccessKeyLastUsed", "<UserName>"+esc(u.name)+"</UserName><AccessKeyLastUsed>"+last+"</AccessKeyLastUsed>")
	case "iam:GetUser":
		u, ok := findUser(form.Get("UserName"))
		if !ok {
			writeError(w, ns, http.StatusNotFound, "NoSuchEntity", "The user with name "+form.Get("UserName")+" cannot be found.")
			return
		}
		writeResult(w, ns, "GetUser", "<User><Path>"+esc(u.path)+"</Path><UserName>"+esc(u.name)+"</UserName><UserId>AIDA"+strings.ToUpper(u.name)+"000000000</UserId><Arn>"+
			esc("arn:aws:iam::"+homeAccount+":user"+u.path+u.name)+"</Arn><CreateDate>"+u.created.Format(time.RFC3339)+"</CreateDate></User>")
	case "iam:ListAccessKeys":
		u, ok := findUser(form.Get("UserName"))
		if !ok {
			writeError(w, ns, http.StatusNotFound, "NoSuchEntity", "The user with name "+form.Get("UserName")+" cannot be found.")
			return
		}
		start := 0
		if m := form.Get("Marker"); m != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(m, "page-"))
			if err != nil || !strings.HasPrefix(m, "page-") || n <= 0 || n >= len(u.keys) {
				f.t.Errorf("ListAccessKeys: Marker %q was not given by the server", m)
				writeError(w, ns, http.StatusBadRequest, "ValidationError", "bad marker")
				return
			}
			start = n
		}
		end := min(start+pageSize, len(u.keys))
		var b strings.Builder
		b.WriteString("<AccessKeyMetadata>")
		for _, k := range u.keys[start:end] {
			fmt.Fprintf(&b, "<member><UserName>%s</UserName><AccessKeyId>%s</AccessKeyId><Status>%s</Status><CreateDate>%s</CreateDate></member>",
				esc(u.name), k.id, k.status, k.created.Format(time.RFC3339))
		}
		b.WriteString("</AccessKeyMetadata>")
		if end < len(u.keys) {
			fmt.Fprintf(&b, "<IsTruncated>true</IsTruncated><Marker>page-%d</Marker>", end)
		} else {
			b.WriteString("<IsTruncated>false</IsTruncated>")
		}
		writeResult(w, ns, "ListAccessKeys", b.String())
	}
}

// checkSignature checks r's SigV4 Authorization header: the scope names
// service in us-east-1, the key id is the fake's (else InvalidClientTokenId,
// as AWS says), and the signature is what the fake's secret gives.
func (f *fakeAWS) checkSignature(r *http.Request, body []byte, service string) (code, msg string) {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		f.t.Errorf("request without a SigV4 Authorization header: %q", auth)
		return "MissingAuthenticationToken", "Request is missing Authentication Token"
	}
	fields := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[2] != "us-east-1" || scope[3] != service || scope[4] != "aws4_request" || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		f.t.Errorf("Authorization %q: want a credential scope .../us-east-1/%s/aws4_request", auth, service)
		return "IncompleteSignature", "Authorization header requires a valid Credential"
	}
	if scope[0] != accessKeyID {
		return "InvalidClientTokenId", "The security token included in the request is invalid."
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		f.t.Errorf("X-Amz-Date %q: %v", r.Header.Get("X-Amz-Date"), err)
		return "IncompleteSignature", "missing X-Amz-Date"
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	again.Host = r.Host
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		if h != "host" && h != "content-length" {
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), service, "us-east-1", when); err != nil {
		f.t.Fatal(err)
	}
	if got := again.Header.Get("Authorization"); got != auth {
		f.t.Errorf("signature does not verify:\n got  %s\n want %s", auth, got)
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
	}
	return "", ""
}

func findKey(id string) (fakeUser, fakeKey, bool) {
	for _, u := range fakeUsers {
		for _, k := range u.keys {
			if k.id == id {
				return u, k, true
			}
		}
	}
	return fakeUser{}, fakeKey{}, false
}

func findUser(name string) (fakeUser, bool) {
	for _, u := range fakeUsers {
		if u.name == name {
			return u, true
		}
	}
	return fakeUser{}, false
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeResult(w http.ResponseWriter, ns, op, inner string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%[1]sResponse xmlns="%[2]s"><%[1]sResult>%[3]s</%[1]sResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></%[1]sResponse>`, op, ns, inner)
}

func writeError(w http.ResponseWriter, ns string, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	kind := "Sender"
	if status >= 500 {
		kind = "Receiver"
	}
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>4b7f0a8e-EXAMPLE</RequestId></ErrorResponse>`, ns, kind, code, esc(msg))
}

// The expected answers.

func utc(s string) *time.Time {
	t := day(s)
	return &t
}

var aliceOwner = iamkeys.Owner{
	KeyID: aliceUsed, Account: homeAccount, UserName: "alice", ARN: "arn:aws:iam::111122223333:user/engineering/alice",
	LastUsed: utc(lastUsedAlice), LastService: "s3", LastRegion: "us-east-1",
	Keys: []iamkeys.Key{ // oldest first
		{ID: aliceOld, Status: "Inactive", Created: day("2023-01-15T11:00:00Z")},
		{ID: aliceUsed, Status: "Active", Created: day("2024-03-01T09:30:00Z")},
		{ID: aliceOther, Status: "Active", Created: day("2025-06-01T10:00:00Z")},
	},
}

func with(o iamkeys.Owner, fn func(*iamkeys.Owner)) iamkeys.Owner {
	fn(&o)
	return o
}

var (
	whoAmI     = "sts:GetCallerIdentity"
	keyInfo    = "sts:GetAccessKeyInfo"
	lastUsed   = "iam:GetAccessKeyLastUsed"
	getUser    = "iam:GetUser"
	listKeys   = "iam:ListAccessKeys"
	allActions = []string{whoAmI, keyInfo, lastUsed, getUser, listKeys, listKeys} // alice's keys take two pages
)

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		name     string
		key      string
		deny     []string
		throttle map[string]int
		want     iamkeys.Owner // Notes are checked with notes
		notes    []string      // a substring of each note, in order
		code     string        // keytrail.ErrorCode of the error; "" for none
		errHas   []string      // substrings of the error message
		calls    []string      // the requests the fake must see, in order
	}{{
		name:  "used key, user with an active and an inactive other key",
		key:   aliceUsed,
		want:  aliceOwner,
		calls: allActions,
	}, {
		name: "never used key",
		key:  bobNever,
		want: iamkeys.Owner{KeyID: bobNever, Account: homeAccount, UserName: "bob", ARN: "arn:aws:iam::111122223333:user/bob",
			Keys: []iamkeys.Key{{ID: bobNever, Status: "Active", Created: day("2026-04-20T07:05:00Z")}}},
		calls: []string{whoAmI, keyInfo, lastUsed, getUser, listKeys},
	}, {
		name:  "GetUser denied: ARN built without the path",
		key:   aliceUsed,
		deny:  []string{getUser},
		want:  with(aliceOwner, func(o *iamkeys.Owner) { o.ARN = "arn:aws:iam::111122223333:user/alice" }),
		notes: []string{"iam:GetUser denied: ARN built from the user name, without the user's path"},
		calls: allActions,
	}, {
		name:  "ListAccessKeys denied",
		key:   aliceUsed,
		deny:  []string{listKeys},
		want:  with(aliceOwner, func(o *iamkeys.Owner) { o.Keys = nil }),
		notes: []string{"iam:ListAccessKeys denied: other keys of alice unknown"},
		calls: []string{whoAmI, keyInfo, lastUsed, getUser, listKeys},
	}, {
		name:  "IAM denied, STS tells the account",
		key:   aliceUsed,
		deny:  []string{lastUsed},
		want:  iamkeys.Owner{KeyID: aliceUsed, Account: homeAccount},
		notes: []string{"iam:GetAccessKeyLastUsed denied: the key's owner and last use are unknown"},
		calls: []string{whoAmI, keyInfo, lastUsed},
	}, {
		name:   "everything denied",
		key:    aliceUsed,
		deny:   []string{keyInfo, lastUsed, getUser, listKeys},
		want:   iamkeys.Owner{KeyID: aliceUsed},
		notes:  []string{"sts:GetAccessKeyInfo denied", "iam:GetAccessKeyLastUsed denied"},
		code:   keytrail.EINVALID,
		errHas: []string{analystARN, "sts:GetAccessKeyInfo and iam:GetAccessKeyLastUsed were denied", "grant them", "--offline"},
		calls:  []string{whoAmI, keyInfo, lastUsed},
	}, {
		name:   "key of another account",
		key:    foreignKey,
		want:   iamkeys.Owner{KeyID: foreignKey, Account: foreignAccount},
		notes:  []string{"belongs to account 444455556666, not to 111122223333"},
		code:   keytrail.ENOTFOUND,
		errHas: []string{"belongs to AWS account 444455556666", "not to 111122223333", "credentials of that account"},
		calls:  []string{whoAmI, keyInfo}, // IAM is not asked
	}, {
		name:  "deleted key",
		key:   deletedKey,
		want:  iamkeys.Owner{KeyID: deletedKey, Account: homeAccount},
		notes: []string{"iam:GetAccessKeyLastUsed failed (NoSuchEntity: The Access Key with id AKIADELETEDKEY000001 cannot be found): IAM of this account has no such key"},
		calls: []string{whoAmI, keyInfo, lastUsed},
	}, {
		name:  "temporary key",
		key:   temporaryKey,
		want:  iamkeys.Owner{KeyID: temporaryKey, Account: homeAccount},
		notes: []string{"temporary key (ASIA…) issued by STS"},
		calls: []string{whoAmI, keyInfo},
	}, {
		name:     "throttled once, then answered",
		key:      aliceUsed,
		throttle: map[string]int{lastUsed: 1},
		want:     aliceOwner,
		calls:    []string{whoAmI, keyInfo, lastUsed, lastUsed, getUser, listKeys, listKeys},
	}, {
		name:     "throttled beyond the retries",
		key:      aliceUsed,
		deny:     []string{keyInfo},
		throttle: map[string]int{lastUsed: 5},
		want:     iamkeys.Owner{KeyID: aliceUsed},
		notes:    []string{"sts:GetAccessKeyInfo denied", "iam:GetAccessKeyLastUsed failed (Throttling: Rate exceeded)"},
		code:     keytrail.EINVALID,
		errHas:   []string{"sts:GetAccessKeyInfo was denied", "grant it"},
		calls:    []string{whoAmI, keyInfo, lastUsed, lastUsed, lastUsed},
	}, {
		name:   "invalid key id",
		key:    "akia-not-a-key",
		want:   iamkeys.Owner{KeyID: "akia-not-a-key"},
		code:   keytrail.EINVALID,
		errHas: []string{`"akia-not-a-key" is not an access key id`, "AKIA"},
		calls:  []string{},
	}, {
		name:   "user id instead of a key id",
		key:    "AIDAALICE00000000001",
		want:   iamkeys.Owner{KeyID: "AIDAALICE00000000001"},
		code:   keytrail.EINVALID,
		errHas: []string{"is not an access key id"},
		calls:  []string{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			for _, a := range tc.deny {
				f.deny[a] = true
			}
			for a, n := range tc.throttle {
				f.throttle[a] = n
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			got, err := iamkeys.Lookup(ctx, f.config(), tc.key)
			t.Logf("notes %q; error: %v", got.Notes, err)
			checkError(t, err, tc.code, tc.errHas)
			checkOwner(t, got, tc.want, tc.notes)
			if calls := f.called(); !slices.Equal(calls, tc.calls) {
				t.Errorf("requests:\n got  %q\n want %q", calls, tc.calls)
			}
		})
	}
}

func checkError(t *testing.T, err error, code string, has []string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("Lookup: unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Lookup: no error, want one with code %s", code)
	}
	var ke *keytrail.Error
	if !errors.As(err, &ke) {
		t.Errorf("error %v (%T) is not a *keytrail.Error", err, err)
	}
	if got := keytrail.ErrorCode(err); got != code {
		t.Errorf("error code %q, want %q (error: %v)", got, code, err)
	}
	for _, s := range has {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func checkOwner(t *testing.T, got *iamkeys.Owner, want iamkeys.Owner, notes []string) {
	t.Helper()
	if got == nil {
		t.Fatal("Lookup returned a nil *Owner")
	}
	gotNotes := got.Notes
	g := *got
	g.Notes = nil
	gj, _ := json.MarshalIndent(g, "", "  ")
	wj, _ := json.MarshalIndent(want, "", "  ")
	if string(gj) != string(wj) {
		t.Errorf("owner:\n%s\nwant:\n%s", gj, wj)
	}
	if got.LastUsed != nil && got.LastUsed.Location() != time.UTC {
		t.Errorf("LastUsed %v is not in UTC", got.LastUsed)
	}
	for _, k := range got.Keys {
		if k.Created.Location() != time.UTC {
			t.Errorf("key %s: Created %v is not in UTC", k.ID, k.Created)
		}
	}
	if len(gotNotes) != len(notes) {
		t.Errorf("notes %q, want %d like %q", gotNotes, len(notes), notes)
		return
	}
	for i, n := range notes {
		if !strings.Contains(gotNotes[i], n) {
			t.Errorf("note %d %q does not contain %q", i, gotNotes[i], n)
		}
	}
}

func TestLookupUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: &endpoint,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, "")}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := iamkeys.Lookup(ctx, cfg, aliceUsed)
	t.Logf("notes %q; error: %v", got.Notes, err)
	checkError(t, err, keytrail.EINTERNAL, []string{"cannot reach AWS", "--offline"})
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Errorf("Lookup used up the caller's context instead of failing on its own: %v", err)
	}
	checkOwner(t, got, iamkeys.Owner{KeyID: aliceUsed}, []string{"sts:GetCallerIdentity got no answer"})
}

func TestLookupNoCredentials(t *testing.T) {
	f := newFake(t)
	for name, provider := range map[string]aws.CredentialsProvider{
		"none":      nil,
		"anonymous": aws.AnonymousCredentials{},
		"failing": aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("failed to refresh cached credentials, no EC2 IMDS role found")
		}),
	} {
		t.Run(name, func(t *testing.T) {
			cfg := f.config()
			cfg.Credentials = provider
			got, err := iamkeys.Lookup(t.Context(), cfg, aliceUsed)
			if !errors.Is(err, iamkeys.ErrNoCredentials) {
				t.Errorf("error %v does not wrap ErrNoCredentials", err)
			}
			checkError(t, err, keytrail.EINVALID, []string{"no AWS credentials", "AWS_PROFILE", "--offline"})
			checkOwner(t, got, iamkeys.Owner{KeyID: aliceUsed}, nil)
		})
	}
	if calls := f.called(); len(calls) != 0 {
		t.Errorf("requests without credentials: %q", calls)
	}
}

func TestLookupCredentialsRejected(t *testing.T) {
	f := newFake(t)
	cfg := f.config()
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDSOMEONEELSE00001", "wrong", "")
	got, err := iamkeys.Lookup(t.Context(), cfg, aliceUsed)
	checkError(t, err, keytrail.EINVALID, []string{"AWS rejected", "InvalidClientTokenId", "--offline"})
	checkOwner(t, got, iamkeys.Owner{KeyID: aliceUsed}, []string{"sts:GetCallerIdentity was refused"})
}

func TestLookupCanceled(t *testing.T) {
	f := newFake(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := iamkeys.Lookup(ctx, f.config(), aliceUsed)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want one wrapping context.Canceled", err)
	}
}

// TestLookupEndpointFromEnvironment checks the route the end-to-end CLI tests
// take: config.LoadDefaultConfig reading credentials, region and the
// AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS endpoints from the environment.
func TestLookupEndpointFromEnvironment(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           accessKeyID,
		"AWS_SECRET_ACCESS_KEY":       secretKey,
		"AWS_REGION":                  "us-east-1",
		"AWS_ENDPOINT_URL_IAM":        f.srv.URL,
		"AWS_ENDPOINT_URL_STS":        f.srv.URL,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint != nil {
		t.Fatalf("BaseEndpoint %q: the endpoints must come from the per-service variables", *cfg.BaseEndpoint)
	}
	got, err := iamkeys.Lookup(ctx, cfg, aliceUsed)
	checkError(t, err, "", nil)
	checkOwner(t, got, aliceOwner, nil)
	if calls := f.called(); !slices.Equal(calls, allActions) {
		t.Errorf("requests:\n got  %q\n want %q", calls, allActions)
	}
}
