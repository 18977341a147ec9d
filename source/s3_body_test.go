package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/internal/s3test"
)

// blob returns n deterministic random bytes.
func blob(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// readAll reads rc through a small odd-sized buffer and returns the bytes'
// SHA-256 and count.
func readAll(rc io.Reader) ([32]byte, int64, error) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, rc, make([]byte, 7001))
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum, n, err
}

// listOne lists the one object of src.
func listOne(t *testing.T, src *S3) keytrail.Object {
	t.Helper()
	objs := list(t, src, keytrail.CloudTrail, keytrail.TimeRange{}, 0)
	if len(objs) != 1 {
		t.Fatalf("listed %d objects", len(objs))
	}
	return objs[0]
}

// TestS3OpenResumes breaks GETs in the middle of the body in every way the
// server can: the bytes read are exactly the object's.
func TestS3OpenResumes(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	data := blob(1<<20+123, 7)
	const key = "AWSLogs/big.json.gz"
	srv.Put("logs", key, data)
	want := sha256.Sum256(data)
	size := int64(len(data))

	cases := []struct {
		name   string
		faults func()
		gets   int     // GET requests in all
		ranges []int64 // the offsets of the ranged GETs, in order; nil: any, increasing
	}{
		{"clean", func() {}, 1, nil},
		{"reset before the body", func() { srv.ResetGet(1, 0) }, 2, nil},
		// a reset discards what the client's kernel had not delivered yet:
		// the resume starts at or before the cut
		{"reset mid-body", func() { srv.ResetGet(1, 300_001) }, 2, nil},
		{"truncated mid-body", func() { srv.TruncateGet(1, 524_288) }, 2, []int64{524_288}},
		{"truncated one byte short", func() { srv.TruncateGet(1, size-1) }, 2, []int64{size - 1}},
		{"broken three times", func() {
			srv.ResetGet(1, 100_000)
			srv.TruncateGet(2, 50_000)
			srv.ResetGet(3, 1)
		}, 4, nil},
		{"throttled, then reset", func() {
			srv.ThrottleNext(s3test.Get, 2)
			srv.ResetGet(3, 4096)
		}, 4, nil},
		{"resume throttled", func() {
			srv.TruncateGet(1, 65536)
			srv.ThrottleNext(s3test.Get, 2) // the resume, and its first retry
		}, 4, []int64{65536}},
		{"stalled", func() { srv.StallGet(1, 8192, 10*time.Second) }, 2, []int64{8192}},
	}
	src := newS3(t, srv, "s3://logs/", S3Options{ReadTimeout: 200 * time.Millisecond})
	obj := listOne(t, src)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv.ClearFaults()
			c.faults()
			srv.Reset()
			rc, err := src.Open(context.Background(), obj)
			if err != nil {
				t.Fatal(err)
			}
			sum, n, err := readAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if n != size || sum != want {
				t.Fatalf("read %d bytes, sha256 %x; want %d bytes, %x", n, sum[:4], size, want[:4])
			}
			var ranges []int64
			gets := 0
			for _, r := range srv.Requests() {
				if r.Kind != s3test.Get {
					continue
				}
				gets++
				if r.IfMatch != `"`+obj.ETag+`"` {
					t.Errorf("GET with If-Match %q, want the listed ETag", r.IfMatch)
				}
				if r.Range != "" {
					var off int64
					if _, err := fmt.Sscanf(r.Range, "bytes=%d-", &off); err != nil {
						t.Errorf("Range %q", r.Range)
					}
					if len(ranges) == 0 || ranges[len(ranges)-1] != off {
						ranges = append(ranges, off)
					}
				}
			}
			if c.ranges == nil {
				if !slices.IsSorted(ranges) {
					t.Errorf("ranges from %v", ranges)
				}
				c.ranges = ranges
			}
			if gets != c.gets || fmt.Sprint(ranges) != fmt.Sprint(c.ranges) {
				t.Errorf("%d GETs with ranges from %v; want %d from %v", gets, ranges, c.gets, c.ranges)
			}
		})
	}
}

// TestS3OpenRetries throttles and fails GETs before the body: the SDK's
// retryer recovers.
func TestS3OpenRetries(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	data := blob(200_000, 3)
	srv.Put("logs", "AWSLogs/x.json.gz", data)
	src := newS3(t, srv, "s3://logs/", S3Options{})
	obj := listOne(t, src)
	for _, c := range []struct {
		name  string
		fault func()
	}{
		{"SlowDown", func() { srv.ThrottleNext(s3test.Get, 4) }},
		{"every other SlowDown", func() { srv.ThrottleEvery(s3test.Get, 2) }},
		{"InternalError", func() { srv.FailNext(s3test.Get, 3, 500, "InternalError") }},
		{"RequestTimeout", func() { srv.FailNext(s3test.Get, 2, 400, "RequestTimeout") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv.ClearFaults()
			c.fault()
			for i := 0; i < 2; i++ {
				rc, err := src.Open(context.Background(), obj)
				if err != nil {
					t.Fatal(err)
				}
				sum, _, err := readAll(rc)
				rc.Close()
				if err != nil || sum != sha256.Sum256(data) {
					t.Fatalf("read: %v, or the bytes differ", err)
				}
			}
		})
	}
}

// TestS3OpenGivesUp breaks every GET: Read ends with an error that names
// the object and how far it got.
func TestS3OpenGivesUp(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	srv.Put("logs", "AWSLogs/x.json.gz", blob(100_000, 5))
	src := newS3(t, srv, "s3://logs/", S3Options{MaxRetries: 3})
	obj := listOne(t, src)

	srv.TruncateGet(1, 5000)
	srv.TruncateEveryGet(0)
	srv.Reset()
	rc, err := src.Open(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_, n, err := readAll(rc)
	if err == nil || n != 5000 || !strings.Contains(err.Error(), obj.Key) || !strings.Contains(err.Error(), "byte 5000") {
		t.Fatalf("read %d bytes, error %v; want 5000 and an error naming %s and byte 5000", n, err, obj.Key)
	}
	if g := srv.Count(s3test.Get); g != 4 {
		t.Errorf("%d GETs, want 4 (the first and 3 attempts to resume)", g)
	}

	// Progress each time, but never to the end: the total is bounded too.
	srv.ClearFaults()
	srv.TruncateEveryGet(10)
	srv.Reset()
	rc2, err := src.Open(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	defer rc2.Close()
	if _, _, err := readAll(rc2); err == nil {
		t.Fatal("no error")
	}
	if g := srv.Count(s3test.Get); g > 40 {
		t.Errorf("%d GETs", g)
	}
}

// TestS3OpenChanged overwrites an object after it was listed, and in the
// middle of a read: both are reported as ErrObjectChanged.
func TestS3OpenChanged(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	const key = "AWSLogs/x.json.gz"
	first := blob(50_000, 1)
	srv.Put("logs", key, first)
	src := newS3(t, srv, "s3://logs/", S3Options{})
	obj := listOne(t, src)
	ctx := context.Background()

	srv.Put("logs", key, blob(50_000, 2))
	_, err := src.Open(ctx, obj)
	if !errors.Is(err, ErrObjectChanged) || !strings.Contains(err.Error(), obj.Key) {
		t.Errorf("Open of a changed object: %v", err)
	}

	srv.Put("logs", key, first) // the listed ETag again
	srv.TruncateGet(1, 1000)
	rc, err := src.Open(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head := make([]byte, 1000)
	if _, err := io.ReadFull(rc, head); err != nil || !bytes.Equal(head, first[:1000]) {
		t.Fatalf("first 1000 bytes: %v", err)
	}
	srv.Put("logs", key, blob(50_000, 3))
	if _, err := io.ReadAll(rc); !errors.Is(err, ErrObjectChanged) {
		t.Errorf("resuming a changed object: %v", err)
	}

	// Without a listed ETag the first response's ETag guards the resumes.
	srv.ClearFaults()
	srv.TruncateGet(1, 1000)
	rc, err = src.Open(ctx, keytrail.Object{Key: obj.Key})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatal(err)
	}
	srv.Put("logs", key, blob(50_000, 4))
	if _, err := io.ReadAll(rc); !errors.Is(err, ErrObjectChanged) {
		t.Errorf("resuming a changed object without a listed ETag: %v", err)
	}
}

// TestS3OpenErrors: denied, missing and cancelled reads say so.
func TestS3OpenErrors(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	srv.Put("logs", "secret/x.json", []byte("{}"))
	srv.Put("logs", "AWSLogs/y.json", blob(300_000, 9))
	src := newS3(t, srv, "s3://logs/", S3Options{})
	ctx := context.Background()
	srv.Deny("logs", "secret/")
	_, err := src.Open(ctx, keytrail.Object{Key: "s3://logs/secret/x.json"})
	if err == nil || !strings.Contains(err.Error(), "access denied to s3://logs/secret/x.json") || !strings.Contains(err.Error(), "s3:GetObject") {
		t.Errorf("denied: %v", err)
	}
	_, err = src.Open(ctx, keytrail.Object{Key: "s3://logs/AWSLogs/gone.json", ETag: "abc"})
	if err == nil || !strings.Contains(err.Error(), "no longer exists") {
		t.Errorf("missing: %v", err)
	}
	_, err = src.Open(ctx, keytrail.Object{Key: "/local/path"})
	if keytrail.ErrorCode(err) != keytrail.EINVALID {
		t.Errorf("not an s3 URL: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	rc, err := src.Open(cctx, keytrail.Object{Key: "s3://logs/AWSLogs/y.json"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := rc.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(rc); !errors.Is(err, context.Canceled) {
		t.Errorf("read after cancel: %v", err)
	}
}
