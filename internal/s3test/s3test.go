// Package s3test runs a real S3-protocol server on the loopback interface for
// tests: gofakes3 with its in-memory backend behind an httptest.Server, wrapped
// by a handler that counts requests by kind, fills in what gofakes3 does not
// do the way S3 does (see below), and injects faults chosen at run time:
// throttling, connections reset or cut short in the middle of a body, access
// denied below a prefix, rejected credentials.
//
// Where the wrapper stands in for gofakes3 v1.2.0:
//   - ListObjectsV2 is answered by the wrapper, over the backend's keys:
//     gofakes3 repeats a common prefix on the next page when a page ends
//     inside it (so a client pages through every key below a folder it was
//     told about), and reports IsTruncated when only keys outside the
//     prefix follow (one more, empty, page). Request counts would not be
//     S3's.
//   - GET and HEAD of an object honour If-Match (412 PreconditionFailed);
//     gofakes3 honours it only on PUT.
//   - HeadBucket answers with the x-amz-bucket-region header, and a request
//     signed for a region other than the bucket's gets 301 PermanentRedirect
//     with that header, as S3 does; gofakes3 knows no regions (and its
//     GetBucketLocation answers 204 with no body).
//
// Requests must use path-style addressing (http://127.0.0.1:port/bucket/key),
// which Client sets up. Signatures are not checked.
package s3test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Request kinds, as Count and Request.Kind name them.
const (
	Any        = ""           // matches every kind in fault settings
	List       = "LIST"       // ListObjectsV2 (or V1)
	Get        = "GET"        // GetObject
	Head       = "HEAD"       // HeadObject
	HeadBucket = "HEADBUCKET" // HeadBucket
	Put        = "PUT"        // PutObject (and other writes below a bucket)
	Other      = "OTHER"      // anything else: ListBuckets, CreateBucket, GetBucketLocation, …
)

// DefaultRegion is the region of buckets made by CreateBucket and of Client.
const DefaultRegion = "us-east-1"

// Request is one request the server received, as Requests returns it.
type Request struct {
	Kind       string
	Bucket     string
	Key        string // object key (GET, HEAD, PUT)
	Prefix     string // list prefix
	Delimiter  string
	StartAfter string
	Token      bool   // the list request carried a continuation token
	Range      string // Range header of a GET
	IfMatch    string // If-Match header
	Region     string // the region the request was signed for
}

// Server is a loopback S3 server. Its methods may be called from any
// goroutine while requests are served.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:port, to use with path-style
	// addressing.
	URL string

	tb      testing.TB
	backend *s3mem.Backend
	fake    http.Handler
	hs      *httptest.Server

	mu       sync.Mutex
	counts   map[string]int
	log      []Request
	faults   []*fault
	regions  map[string]string // bucket → region
	pageSize int
	authCode string
}

// fault is one injected failure; see the Server methods that add them.
type fault struct {
	kind   string
	bucket string
	prefix string
	deny   bool          // applies to requests whose key or list prefix is below prefix
	skip   int           // matching requests let through before the fault starts
	times  int           // how many requests it hits; 0 means no limit
	every  int           // hit every nth matching request instead of the next ones
	action int           // one of the act constants
	after  int64         // body bytes sent before a reset, truncation or stall
	stall  time.Duration // how long a stalled body waits before closing
	status int           // HTTP status of an error response
	code   string
	seen   int // matching requests so far
	hits   int
}

const (
	actError = iota
	actReset
	actTruncate
	actStall
)

// Start runs a server until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	backend := s3mem.New()
	fake := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()), gofakes3.WithAutoBucket(false))
	s := &Server{
		tb:      tb,
		backend: backend,
		fake:    fake.Server(),
		counts:  map[string]int{},
		regions: map[string]string{},
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve)) // listens on 127.0.0.1
	s.URL = s.hs.URL
	tb.Cleanup(s.hs.Close)
	return s
}

// Config returns an AWS configuration for the server: static credentials,
// region us-east-1, the server's URL as base endpoint, and the test
// server's HTTP client, whose connections end with the server.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAS3TESTEXAMPLE", "s3test-secret", ""),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   s.hs.Client(),
	}
}

// Client returns an S3 client for the server: path-style addressing,
// static credentials, region us-east-1, the SDK's default retryer.
func (s *Server) Client() *s3.Client {
	return s3.NewFromConfig(s.Config(), func(o *s3.Options) { o.UsePathStyle = true })
}

// CreateBucket creates a bucket in us-east-1.
func (s *Server) CreateBucket(bucket string) { s.CreateBucketIn(bucket, DefaultRegion) }

// CreateBucketIn creates a bucket that answers as a bucket of region does:
// HeadBucket names the region, and requests signed for another region get
// 301 PermanentRedirect.
func (s *Server) CreateBucketIn(bucket, region string) {
	s.tb.Helper()
	if err := s.backend.CreateBucket(bucket); err != nil {
		s.tb.Fatalf("s3test: create bucket %s: %v", bucket, err)
	}
	s.mu.Lock()
	s.regions[bucket] = region
	s.mu.Unlock()
}

// Put stores an object (without a request: it is not counted) and returns
// its ETag without quotes, the hex MD5 of data.
func (s *Server) Put(bucket, key string, data []byte) string {
	s.tb.Helper()
	meta := map[string]string{
		"Last-Modified": time.Now().UTC().Format(http.TimeFormat),
		"Content-Type":  "application/octet-stream",
	}
	if _, err := s.backend.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		s.tb.Fatalf("s3test: put s3://%s/%s: %v", bucket, key, err)
	}
	obj, err := s.backend.HeadObject(bucket, key)
	if err != nil {
		s.tb.Fatalf("s3test: head s3://%s/%s: %v", bucket, key, err)
	}
	return fmt.Sprintf("%x", obj.Hash)
}

// UploadDir stores every regular file below dir at prefix + its path
// relative to dir (with "/" separators), like `aws s3 cp --recursive`, and
// returns how many files it stored.
func (s *Server) UploadDir(bucket, prefix, dir string) int {
	s.tb.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s.Put(bucket, prefix+filepath.ToSlash(rel), data)
		n++
		return nil
	})
	if err != nil {
		s.tb.Fatalf("s3test: upload %s: %v", dir, err)
	}
	return n
}

// Count returns how many requests of kind the server received since Start
// or the last Reset; Any counts all.
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind == Any {
		return len(s.log)
	}
	return s.counts[kind]
}

// Requests returns the requests received since Start or the last Reset, in
// arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Reset forgets the requests counted so far (faults stay).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.log = nil
}

// ClearFaults removes every injected fault and stops rejecting credentials.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.authCode = ""
}

// SetPageSize caps the keys of one list page at n (S3's cap is 1000), so
// that tests see continuation tokens with few objects; 0 restores 1000.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// ThrottleNext answers the next n requests of kind with 503 SlowDown.
func (s *Server) ThrottleNext(kind string, n int) {
	s.FailNext(kind, n, http.StatusServiceUnavailable, "SlowDown")
}

// ThrottleEvery answers every nth request of kind with 503 SlowDown, from
// now until ClearFaults.
func (s *Server) ThrottleEvery(kind string, n int) {
	s.addFault(&fault{kind: kind, every: n, action: actError, status: http.StatusServiceUnavailable, code: "SlowDown"})
}

// FailNext answers the next n requests of kind with an S3 error of status
// and code, such as 500 InternalError or 400 RequestTimeout.
func (s *Server) FailNext(kind string, n, status int, code string) {
	s.addFault(&fault{kind: kind, times: n, action: actError, status: status, code: code})
}

// ResetGet makes the nth object GET from now (1 is the next one) send its
// headers and the first after bytes of its body, then reset the TCP
// connection (RST), as a broken network does.
func (s *Server) ResetGet(nth int, after int64) {
	s.addFault(&fault{kind: Get, skip: nth - 1, times: 1, action: actReset, after: after})
}

// TruncateGet makes the nth object GET from now send its headers, with the
// full Content-Length, and the first after bytes of its body, then close
// the connection cleanly: the client sees a body shorter than announced.
func (s *Server) TruncateGet(nth int, after int64) {
	s.addFault(&fault{kind: Get, skip: nth - 1, times: 1, action: actTruncate, after: after})
}

// TruncateEveryGet cuts every object GET from now on, until ClearFaults,
// as TruncateGet does.
func (s *Server) TruncateEveryGet(after int64) {
	s.addFault(&fault{kind: Get, action: actTruncate, after: after})
}

// StallGet makes the nth object GET from now send its headers and the
// first after bytes of its body, then send nothing more for d (or until
// the client gives up), then close the connection.
func (s *Server) StallGet(nth int, after int64, d time.Duration) {
	s.addFault(&fault{kind: Get, skip: nth - 1, times: 1, action: actStall, after: after, stall: d})
}

// Deny answers 403 AccessDenied to list requests whose prefix starts with
// prefix and to GET and HEAD requests of keys starting with prefix, in
// bucket, until ClearFaults. A list of a parent folder still shows the
// denied folder, as with an IAM policy that limits s3:prefix.
func (s *Server) Deny(bucket, prefix string) {
	s.addFault(&fault{bucket: bucket, prefix: prefix, deny: true, action: actError, status: http.StatusForbidden, code: "AccessDenied"})
}

// RejectCredentials answers every request with 403 and code, such as
// InvalidAccessKeyId, SignatureDoesNotMatch or ExpiredToken, until
// ClearFaults; "" stops it.
func (s *Server) RejectCredentials(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authCode = code
}

func (s *Server) addFault(f *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// serve classifies and counts the request, applies faults and the
// behaviours gofakes3 lacks, and hands the rest to gofakes3.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := classify(r)
	s.mu.Lock()
	s.counts[req.Kind]++
	s.log = append(s.log, req)
	region, known := s.regions[req.Bucket]
	authCode := s.authCode
	var hit *fault
	for _, f := range s.faults {
		if f.matches(req) {
			f.seen++
			if hit == nil && f.fires() { // the first fault added wins
				f.hits++
				hit = f
			}
		}
	}
	pageSize := s.pageSize
	s.mu.Unlock()

	if req.Kind == HeadBucket && known {
		w.Header().Set("X-Amz-Bucket-Region", region)
	}
	if authCode != "" {
		writeError(w, r, http.StatusForbidden, authCode, "The request was rejected: "+authCode+".")
		return
	}
	if known && req.Region != "" && req.Region != region {
		w.Header().Set("X-Amz-Bucket-Region", region)
		writeError(w, r, http.StatusMovedPermanently, "PermanentRedirect",
			"The bucket you are attempting to access must be addressed using the specified endpoint.")
		return
	}
	if hit != nil && hit.action == actError {
		msg := map[string]string{
			"SlowDown":      "Please reduce your request rate.",
			"AccessDenied":  "Access Denied",
			"InternalError": "We encountered an internal error. Please try again.",
		}[hit.code]
		if msg == "" {
			msg = hit.code
		}
		writeError(w, r, hit.status, hit.code, msg)
		return
	}
	if (req.Kind == Get || req.Kind == Head) && req.IfMatch != "" {
		obj, err := s.backend.HeadObject(req.Bucket, req.Key)
		if err == nil {
			obj.Contents.Close()
			etag := fmt.Sprintf("%x", obj.Hash)
			if want := strings.Trim(req.IfMatch, `"`); want != "*" && want != etag {
				writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed",
					"At least one of the pre-conditions you specified did not hold")
				return
			}
		}
	}
	if req.Kind == List && r.URL.Query().Get("list-type") == "2" {
		s.listV2(w, r, req, pageSize)
		return
	}
	if hit != nil && hit.action != actError {
		cw := &cutWriter{ResponseWriter: w, left: hit.after}
		s.fake.ServeHTTP(cw, r)
		if !cw.cut {
			return // the body was shorter than the cut: nothing to break
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		switch hit.action {
		case actTruncate:
			panic(http.ErrAbortHandler) // net/http closes the connection quietly
		case actStall:
			t := time.NewTimer(hit.stall)
			select {
			case <-r.Context().Done():
			case <-t.C:
			}
			t.Stop()
			panic(http.ErrAbortHandler)
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // close with RST, not FIN
		}
		conn.Close()
		return
	}
	s.fake.ServeHTTP(&cutWriter{ResponseWriter: w, left: -1}, r)
}

func (f *fault) matches(req Request) bool {
	if f.deny {
		if req.Bucket != f.bucket {
			return false
		}
		switch req.Kind {
		case List:
			return strings.HasPrefix(req.Prefix, f.prefix)
		case Get, Head:
			return strings.HasPrefix(req.Key, f.prefix)
		}
		return false
	}
	return f.kind == Any || f.kind == req.Kind
}

func (f *fault) fires() bool {
	switch {
	case f.deny:
		return true
	case f.every > 0:
		return f.seen%f.every == 0
	case f.seen <= f.skip:
		return false
	default:
		return f.times == 0 || f.hits < f.times
	}
}

// classify reads a path-style request.
func classify(r *http.Request) Request {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	req := Request{
		Bucket:  bucket,
		Key:     key,
		Range:   r.Header.Get("Range"),
		IfMatch: r.Header.Get("If-Match"),
		Region:  signingRegion(r),
	}
	switch {
	case bucket == "":
		req.Kind = Other
	case key == "":
		switch {
		case r.Method == http.MethodHead:
			req.Kind = HeadBucket
		case r.Method == http.MethodGet && !q.Has("location") && !q.Has("versioning") && !q.Has("versions") && !q.Has("uploads"):
			req.Kind = List
			req.Prefix = q.Get("prefix")
			req.Delimiter = q.Get("delimiter")
			req.StartAfter = q.Get("start-after")
			req.Token = q.Has("continuation-token")
		default:
			req.Kind = Other
		}
	case r.Method == http.MethodGet && !subresource(q):
		req.Kind = Get
	case r.Method == http.MethodGet:
		req.Kind = Other
	case r.Method == http.MethodHead:
		req.Kind = Head
	default:
		req.Kind = Put
	}
	return req
}

// subresource reports whether an object request names a subresource
// (?acl, ?tagging, …) rather than the object's bytes. The SDK's ?x-id=… is
// not one.
func subresource(q url.Values) bool {
	for _, k := range []string{"acl", "tagging", "attributes", "retention", "legal-hold", "torrent", "uploadId", "uploads", "restore", "select"} {
		if q.Has(k) {
			return true
		}
	}
	return false
}

// signingRegion reads the region of a SigV4 Authorization header:
// "AWS4-HMAC-SHA256 Credential=AKID/20260424/us-east-1/s3/aws4_request, …".
func signingRegion(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[2]
}

// errorBody is S3's error document.
type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// writeError sends an S3 error: status, and for anything but HEAD the XML
// <Error> document.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	id := strconv.FormatInt(time.Now().UnixNano(), 16)
	w.Header().Set("X-Amz-Request-Id", id)
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	body, _ := xml.Marshal(errorBody{Code: code, Message: msg, RequestID: id, HostID: base64.StdEncoding.EncodeToString([]byte(id))})
	body = append([]byte(xml.Header), body...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// errCut stops gofakes3's copy of a body that a fault cuts short.
var errCut = errors.New("s3test: body cut by a fault")

// cutWriter passes the headers (once: gofakes3 tries to send an error
// status when a client goes away mid-body) and the first left bytes of the
// body through, then refuses further writes; left < 0 means no limit.
type cutWriter struct {
	http.ResponseWriter
	left  int64
	cut   bool
	wrote bool
}

func (c *cutWriter) WriteHeader(status int) {
	if !c.wrote {
		c.wrote = true
		c.ResponseWriter.WriteHeader(status)
	}
}

func (c *cutWriter) Write(p []byte) (int, error) {
	c.wrote = true
	if c.cut {
		return 0, errCut
	}
	if c.left < 0 || int64(len(p)) <= c.left {
		n, err := c.ResponseWriter.Write(p)
		if c.left >= 0 {
			c.left -= int64(n)
		}
		return n, err
	}
	n, _ := c.ResponseWriter.Write(p[:c.left])
	c.left -= int64(n)
	c.cut = true
	return n, errCut
}

// listV2 answers ListObjectsV2 as S3 does: keys in UTF-8 binary order after
// start-after or the continuation token, rolled up into common prefixes at
// the delimiter, max-keys entries (keys and prefixes) a page.
func (s *Server) listV2(w http.ResponseWriter, r *http.Request, req Request, pageSize int) {
	q := r.URL.Query()
	exists, err := s.backend.BucketExists(req.Bucket)
	if err != nil || !exists {
		writeError(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, r, http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range")
			return
		}
		maxKeys = min(n, 1000)
	}
	if pageSize > 0 {
		maxKeys = min(maxKeys, pageSize)
	}
	if maxKeys == 0 {
		maxKeys = 1000
	}
	after := req.StartAfter
	if req.Token {
		tok, err := base64.RawURLEncoding.DecodeString(q.Get("continuation-token"))
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
			return
		}
		after = string(tok)
	}
	prefix := gofakes3.Prefix{HasPrefix: req.Prefix != "", Prefix: req.Prefix}
	objs, err := s.backend.ListBucket(req.Bucket, &prefix, gofakes3.ListBucketPage{})
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	contents := objs.Contents
	sort.Slice(contents, func(i, j int) bool { return contents[i].Key < contents[j].Key })

	res := &gofakes3.ListBucketResultV2{
		ListBucketResultBase: gofakes3.ListBucketResultBase{
			Xmlns:     "http://s3.amazonaws.com/doc/2006-03-01/",
			Name:      req.Bucket,
			Prefix:    req.Prefix,
			Delimiter: req.Delimiter,
			MaxKeys:   int64(maxKeys),
		},
		StartAfter:        req.StartAfter,
		ContinuationToken: q.Get("continuation-token"),
	}
	i := sort.Search(len(contents), func(i int) bool { return contents[i].Key > after })
	var last string
	n := 0
	for ; i < len(contents); i++ {
		key := contents[i].Key
		entry := key
		isPrefix := false
		if req.Delimiter != "" {
			if j := strings.Index(key[len(req.Prefix):], req.Delimiter); j >= 0 {
				entry = key[:len(req.Prefix)+j+len(req.Delimiter)]
				isPrefix = true
			}
		}
		if isPrefix && entry == last {
			continue
		}
		if isPrefix && req.Token && strings.HasPrefix(after, entry) {
			continue // the previous page ended with this prefix
		}
		if n == maxKeys {
			res.IsTruncated = true
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		if isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, gofakes3.CommonPrefix{Prefix: entry})
		} else {
			c := *contents[i]
			c.Owner = nil
			res.Contents = append(res.Contents, &c)
		}
		last = entry
		n++
	}
	res.KeyCount = int64(n)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(res); err != nil {
		writeError(w, r, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}
