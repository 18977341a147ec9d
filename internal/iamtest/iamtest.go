// Package iamtest runs a fake AWS IAM and STS on the loopback interface for
// tests: one httptest.Server speaking the query protocols of IAM (2010-05-08)
// and STS (2011-06-15), that is form-encoded POSTs to / answered in XML, with
// errors as <ErrorResponse>. It answers from the users and keys given to
// Start, and injects the faults chosen at run time with Deny and ThrottleNext.
//
// The contract:
//
//   - It knows five actions: sts:GetCallerIdentity, sts:GetAccessKeyInfo,
//     iam:GetAccessKeyLastUsed, iam:GetUser and iam:ListAccessKeys (the
//     constants below). Any other action, a parameter these actions do not
//     take, a missing required parameter, or a request that is not a
//     form-encoded POST to / fails the test (tb.Errorf) and gets the error
//     AWS would give.
//   - Every request must carry a SigV4 signature for region us-east-1 and the
//     service its Version names. The server signs the request again with the
//     credentials that Credentials returns: a request by another access key
//     gets 403 InvalidClientTokenId (a test may do that on purpose); a wrong
//     signature by the server's key, or a malformed Authorization header,
//     fails the test and gets 403 SignatureDoesNotMatch or
//     IncompleteSignature.
//   - The credentials belong to callerAccount and callerARN:
//     sts:GetCallerIdentity says so, and IAM answers about the users of
//     callerAccount only.
//   - sts:GetAccessKeyInfo gives the account of any key in the data, whatever
//     its account, and 400 InvalidParameterValue for a key not in it.
//   - iam:GetAccessKeyLastUsed answers for the keys of callerAccount's users;
//     a key of callerAccount that no user holds (a User with no Name: a
//     deleted key, a temporary ASIA… key) gets 404 NoSuchEntity, and a key of
//     another account, or not in the data, 403 AccessDenied.
//   - iam:GetUser and iam:ListAccessKeys answer for callerAccount's users by
//     name, else 404 NoSuchEntity. ListAccessKeys lists a user's keys in the
//     order given, at most PageSize a page (fewer if MaxItems asks).
//   - Faults come before the answer: a throttled action gets 400 Throttling,
//     then a denied one 403 AccessDenied, as AWS words them.
//
// Requests are recorded (Called) once their signature verified, faulted
// ones included. A Server's methods may be called from any goroutine while
// it serves.
package iamtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// The actions the server knows, as Deny, ThrottleNext and Called name them.
const (
	GetCallerIdentity    = "sts:GetCallerIdentity"
	GetAccessKeyInfo     = "sts:GetAccessKeyInfo"
	GetAccessKeyLastUsed = "iam:GetAccessKeyLastUsed"
	GetUser              = "iam:GetUser"
	ListAccessKeys       = "iam:ListAccessKeys"
)

// Region is the region requests must be signed for, and Config's region.
const Region = "us-east-1"

// PageSize is the most keys one iam:ListAccessKeys answer holds, small so
// that a user with three keys takes two pages.
const PageSize = 2

// The credentials the server accepts.
const (
	accessKeyID = "AKIDANALYSTTEST00001"
	secretKey   = "fake/secret/key/for/the/loopback/server"
)

const (
	iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// params are the parameters each action takes besides Action and Version;
// the required ones are marked with a *.
var params = map[string][]string{
	GetCallerIdentity:    {},
	GetAccessKeyInfo:     {"*AccessKeyId"},
	GetAccessKeyLastUsed: {"*AccessKeyId"},
	GetUser:              {"*UserName"},
	ListAccessKeys:       {"*UserName", "Marker", "MaxItems"},
}

// Key is an access key.
type Key struct {
	ID      string
	Status  string // "Active" or "Inactive"; "" is "Active"
	Created time.Time
	// LastUsed is when the key was last used, with Service and Region; nil
	// if never (IAM then says N/A).
	LastUsed        *time.Time
	Service, Region string
}

// User is an IAM user and its keys. A User with no Name holds keys of its
// account that no IAM user has: STS knows their account, IAM does not know
// them (deleted keys, temporary ASIA… keys).
type User struct {
	Name    string
	Path    string // "" is "/"
	Account string // "" is the caller's account
	UserID  string // "" is made from Name
	Created time.Time
	Keys    []Key
}

// Server is a fake IAM and STS.
type Server struct {
	// URL is the endpoint of both services, http://127.0.0.1:port.
	URL string

	tb                       testing.TB
	hs                       *httptest.Server
	callerAccount, callerARN string
	users                    []User
	keys                     map[string]keyRef // by key id

	mu       sync.Mutex
	deny     map[string]bool // actions answered AccessDenied
	throttle map[string]int  // actions answered Throttling this many more times
	calls    []string        // every verified request's action, in order
}

// keyRef locates a key in Server.users.
type keyRef struct{ user, key int }

// Start runs a server until the test ends. The credentials it accepts are
// those of callerARN, in callerAccount (whose partition callerARN gives);
// users are the IAM users and keys it knows, of any account. Users of one
// account must have distinct names, and keys distinct ids.
func Start(tb testing.TB, callerAccount, callerARN string, users ...User) *Server {
	tb.Helper()
	s := &Server{
		tb:            tb,
		callerAccount: callerAccount,
		callerARN:     callerARN,
		keys:          map[string]keyRef{},
		deny:          map[string]bool{},
		throttle:      map[string]int{},
	}
	names := map[string]bool{}
	for i, u := range users {
		u.Keys = slices.Clone(u.Keys)
		if u.Account == "" {
			u.Account = callerAccount
		}
		if u.Name != "" {
			if names[u.Account+"/"+u.Name] {
				tb.Fatalf("iamtest: two users %s in account %s", u.Name, u.Account)
			}
			names[u.Account+"/"+u.Name] = true
		}
		if u.Path == "" {
			u.Path = "/"
		}
		if u.UserID == "" {
			u.UserID = "AIDA" + strings.ToUpper(u.Name) + "000000000"
		}
		if u.Created.IsZero() {
			u.Created = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			for _, k := range u.Keys {
				if !k.Created.IsZero() && k.Created.Before(u.Created) {
					u.Created = k.Created
				}
			}
		}
		for j, k := range u.Keys {
			switch k.Status {
			case "":
				u.Keys[j].Status = "Active"
			case "Active", "Inactive":
			default:
				tb.Fatalf("iamtest: key %s: status %q, want Active or Inactive", k.ID, k.Status)
			}
			if _, dup := s.keys[k.ID]; dup || k.ID == "" {
				tb.Fatalf("iamtest: key id %q missing or given twice", k.ID)
			}
			s.keys[k.ID] = keyRef{i, j}
		}
		s.users = append(s.users, u)
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve)) // listens on 127.0.0.1
	s.URL = s.hs.URL
	tb.Cleanup(s.hs.Close)
	return s
}

// Config returns an AWS configuration for the server: its credentials,
// region us-east-1, its URL as base endpoint (of IAM and STS), and the test
// server's HTTP client, whose connections end with the server.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, ""),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   s.hs.Client(),
	}
}

// Credentials returns the access key id and secret the server accepts, for
// tests that configure the SDK through the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION=us-east-1, and URL as
// AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS).
func (s *Server) Credentials() (id, secret string) {
	return accessKeyID, secretKey
}

// Deny makes the server answer every further request of the actions with
// 403 AccessDenied. It panics on an action the server does not know.
func (s *Server) Deny(actions ...string) {
	for _, a := range actions {
		known(a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range actions {
		s.deny[a] = true
	}
}

// ThrottleNext makes the server answer the next n requests of action with
// 400 Throttling (Rate exceeded), replacing any count left. It panics on an
// action the server does not know.
func (s *Server) ThrottleNext(action string, n int) {
	known(action)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle[action] = n
}

// known panics unless the server knows action (a typo in a test).
func known(action string) {
	if _, ok := params[action]; !ok {
		panic(fmt.Sprintf("iamtest: unknown action %q; the server knows %s, %s, %s, %s and %s",
			action, GetCallerIdentity, GetAccessKeyInfo, GetAccessKeyLastUsed, GetUser, ListAccessKeys))
	}
}

// Called returns the actions of the requests received, in arrival order:
// one per attempt, so a retried call appears more than once. Requests
// whose signature did not verify are left out.
func (s *Server) Called() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.tb.Errorf("iamtest: reading request: %v", err)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		s.tb.Errorf("iamtest: request %s %s (Content-Type %q): want a form-encoded POST to /", r.Method, r.URL, r.Header.Get("Content-Type"))
		writeError(w, iamNS, http.StatusBadRequest, "InvalidAction", "not a query request")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.tb.Errorf("iamtest: request body %q: %v", body, err)
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
		s.tb.Errorf("iamtest: request %q: unknown Version", body)
		writeError(w, iamNS, http.StatusBadRequest, "InvalidAction", "unknown version")
		return
	}
	action := service + ":" + form.Get("Action")
	allowed, known := params[action]
	if !known {
		s.tb.Errorf("iamtest: request %q: unexpected action %s", body, action)
		writeError(w, ns, http.StatusBadRequest, "InvalidAction", "Could not find operation "+form.Get("Action"))
		return
	}
	for name := range form {
		if name != "Action" && name != "Version" && !slices.Contains(allowed, name) && !slices.Contains(allowed, "*"+name) {
			s.tb.Errorf("iamtest: %s: unexpected parameter %s in %q", action, name, body)
		}
	}
	for _, p := range allowed {
		if strings.HasPrefix(p, "*") && form.Get(p[1:]) == "" {
			s.tb.Errorf("iamtest: %s: missing parameter %s in %q", action, p[1:], body)
			writeError(w, ns, http.StatusBadRequest, "ValidationError", "1 validation error detected: "+p[1:]+" must not be null")
			return
		}
	}
	if code, msg := s.checkSignature(r, body, service); code != "" {
		writeError(w, ns, http.StatusForbidden, code, msg)
		return
	}

	s.mu.Lock()
	s.calls = append(s.calls, action)
	denied := s.deny[action]
	throttled := s.throttle[action] > 0
	if throttled {
		s.throttle[action]--
	}
	s.mu.Unlock()
	switch {
	case throttled:
		writeError(w, ns, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	case denied:
		writeError(w, ns, http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: %s because no identity-based policy allows the %s action", s.callerARN, action, action))
		return
	}

	switch action {
	case GetCallerIdentity:
		writeResult(w, ns, "GetCallerIdentity", "<Arn>"+esc(s.callerARN)+"</Arn><UserId>"+esc(s.callerUserID())+"</UserId><Account>"+esc(s.callerAccount)+"</Account>")
	case GetAccessKeyInfo:
		ref, ok := s.keys[form.Get("AccessKeyId")]
		if !ok {
			writeError(w, ns, http.StatusBadRequest, "InvalidParameterValue", "Invalid access key id")
			return
		}
		writeResult(w, ns, "GetAccessKeyInfo", "<Account>"+esc(s.users[ref.user].Account)+"</Account>")
	case GetAccessKeyLastUsed:
		id := form.Get("AccessKeyId")
		ref, ok := s.keys[id]
		if !ok || s.users[ref.user].Account != s.callerAccount {
			writeError(w, ns, http.StatusForbidden, "AccessDenied", "User: "+s.callerARN+" is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key "+id)
			return
		}
		u, k := s.users[ref.user], s.users[ref.user].Keys[ref.key]
		if u.Name == "" {
			writeError(w, ns, http.StatusNotFound, "NoSuchEntity", "The Access Key with id "+id+" cannot be found")
			return
		}
		last := "<ServiceName>N/A</ServiceName><Region>N/A</Region>"
		if k.LastUsed != nil {
			last = "<LastUsedDate>" + k.LastUsed.UTC().Format(time.RFC3339) + "</LastUsedDate><ServiceName>" + esc(k.Service) + "</ServiceName><Region>" + esc(k.Region) + "</Region>"
		}
		writeResult(w, ns, "GetAccessKeyLastUsed", "<UserName>"+esc(u.Name)+"</UserName><AccessKeyLastUsed>"+last+"</AccessKeyLastUsed>")
	case GetUser:
		u, ok := s.user(form.Get("UserName"))
		if !ok {
			writeError(w, ns, http.StatusNotFound, "NoSuchEntity", "The user with name "+form.Get("UserName")+" cannot be found.")
			return
		}
		writeResult(w, ns, "GetUser", "<User><Path>"+esc(u.Path)+"</Path><UserName>"+esc(u.Name)+"</UserName><UserId>"+esc(u.UserID)+"</UserId><Arn>"+
			esc("arn:"+s.partition()+":iam::"+u.Account+":user"+u.Path+u.Name)+"</Arn><CreateDate>"+u.Created.UTC().Format(time.RFC3339)+"</CreateDate></User>")
	case ListAccessKeys:
		u, ok := s.user(form.Get("UserName"))
		if !ok {
			writeError(w, ns, http.StatusNotFound, "NoSuchEntity", "The user with name "+form.Get("UserName")+" cannot be found.")
			return
		}
		start := 0
		if m := form.Get("Marker"); m != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(m, "page-"))
			if err != nil || !strings.HasPrefix(m, "page-") || n <= 0 || n >= len(u.Keys) {
				s.tb.Errorf("iamtest: ListAccessKeys: Marker %q was not given by the server", m)
				writeError(w, ns, http.StatusBadRequest, "ValidationError", "bad marker")
				return
			}
			start = n
		}
		size := PageSize
		if m := form.Get("MaxItems"); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil || n < 1 || n > 1000 {
				writeError(w, ns, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value '"+m+"' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000")
				return
			}
			size = min(size, n)
		}
		end := min(start+size, len(u.Keys))
		var b strings.Builder
		b.WriteString("<AccessKeyMetadata>")
		for _, k := range u.Keys[start:end] {
			fmt.Fprintf(&b, "<member><UserName>%s</UserName><AccessKeyId>%s</AccessKeyId><Status>%s</Status><CreateDate>%s</CreateDate></member>",
				esc(u.Name), esc(k.ID), k.Status, k.Created.UTC().Format(time.RFC3339))
		}
		b.WriteString("</AccessKeyMetadata>")
		if end < len(u.Keys) {
			fmt.Fprintf(&b, "<IsTruncated>true</IsTruncated><Marker>page-%d</Marker>", end)
		} else {
			b.WriteString("<IsTruncated>false</IsTruncated>")
		}
		writeResult(w, ns, "ListAccessKeys", b.String())
	}
}

// checkSignature checks r's SigV4 Authorization header: the scope names
// service in us-east-1, the key id is the server's (else
// InvalidClientTokenId, as AWS says), and the signature is what the server's
// secret gives.
func (s *Server) checkSignature(r *http.Request, body []byte, service string) (code, msg string) {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		s.tb.Errorf("iamtest: request without a SigV4 Authorization header: %q", auth)
		return "MissingAuthenticationToken", "Request is missing Authentication Token"
	}
	fields := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[2] != Region || scope[3] != service || scope[4] != "aws4_request" || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		s.tb.Errorf("iamtest: Authorization %q: want a credential scope .../%s/%s/aws4_request", auth, Region, service)
		return "IncompleteSignature", "Authorization header requires a valid Credential"
	}
	if scope[0] != accessKeyID {
		return "InvalidClientTokenId", "The security token included in the request is invalid."
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		s.tb.Errorf("iamtest: X-Amz-Date %q: %v", r.Header.Get("X-Amz-Date"), err)
		return "IncompleteSignature", "missing X-Amz-Date"
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		s.tb.Errorf("iamtest: rebuilding the request to sign: %v", err)
		return "IncompleteSignature", err.Error()
	}
	again.Host = r.Host
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		if h != "host" && h != "content-length" {
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), service, Region, when); err != nil {
		s.tb.Errorf("iamtest: signing the request again: %v", err)
		return "IncompleteSignature", err.Error()
	}
	if got := again.Header.Get("Authorization"); got != auth {
		s.tb.Errorf("iamtest: signature does not verify:\n got  %s\n want %s", auth, got)
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
	}
	return "", ""
}

// user finds a user of the caller's account by name.
func (s *Server) user(name string) (User, bool) {
	for _, u := range s.users {
		if u.Name != "" && u.Name == name && u.Account == s.callerAccount {
			return u, true
		}
	}
	return User{}, false
}

// callerUserID is the UserId of GetCallerIdentity: that of the caller's
// user if the data has it.
func (s *Server) callerUserID() string {
	for _, u := range s.users {
		if u.Name != "" && u.Account == s.callerAccount && s.callerARN == "arn:"+s.partition()+":iam::"+u.Account+":user"+u.Path+u.Name {
			return u.UserID
		}
	}
	return "AIDAIAMTESTCALLER0001"
}

// partition is the partition of callerARN ("aws" when it names none).
func (s *Server) partition() string {
	if p := strings.Split(s.callerARN, ":"); len(p) > 2 && p[0] == "arn" && p[1] != "" {
		return p[1]
	}
	return "aws"
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
