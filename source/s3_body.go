package source

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail"
)

// Open returns a reader of the object's bytes as stored, streamed from a
// GetObject request (never held in memory whole). o.Key is the
// s3://bucket/key URL that List gave. When o.ETag is set the requests
// carry If-Match, so that an object overwritten since it was listed is
// reported (an error wrapping ErrObjectChanged) instead of read.
//
// Throttling (503 SlowDown), 500s, RequestTimeout, connection resets and
// timeouts before the body starts are retried by the SDK's retryer, with
// exponential backoff and jitter. When the body breaks off (connection
// reset, a body shorter than its Content-Length, no data for
// S3Options.ReadTimeout) the reader re-requests the rest with
// Range: bytes=N- and If-Match, and goes on: what it returns is exactly
// the object's bytes, with nothing lost or repeated. After
// S3Options.MaxRetries attempts in a row that bring no new byte, Read
// returns an error naming the object and how far it got. The context
// governs the whole read, not only Open. The reader is for one goroutine;
// Close releases the connection.
func (s *S3) Open(ctx context.Context, o keytrail.Object) (io.ReadCloser, error) {
	rest, ok := cutPrefixFold(o.Key, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return nil, keytrail.Errorf(keytrail.EINVALID, "%q is not an object of %s: give s3://bucket/key", o.Key, s.String())
	}
	b := &s3Body{s: s, ctx: ctx, bucket: bucket, key: key, url: o.Key, size: -1, listedSize: o.Size}
	if o.ETag != "" {
		b.etag = `"` + strings.Trim(o.ETag, `"`) + `"`
	}
	if err := b.get(); err != nil {
		return nil, err
	}
	return b, nil
}

// s3Body reads one object, resuming with ranged GETs when the body breaks.
type s3Body struct {
	s           *S3
	ctx         context.Context
	bucket, key string
	url         string
	etag        string // quoted ETag for If-Match; "" until known

	size       int64 // the object's size, -1 until known
	listedSize int64 // the size List gave, used if S3 sends no Content-Length
	off        int64 // bytes returned so far

	body   io.ReadCloser      // the current response's body; nil when broken
	cancel context.CancelFunc // ends the current request
	stall  atomic.Bool        // the current request was ended for lack of progress

	failures int   // attempts in a row that brought no new byte
	resumes  int   // ranged requests made
	lastErr  error // why the body last broke
	closed   bool
	eof      bool // every byte was returned: further reads return io.EOF
}

// Read returns the object's next bytes, resuming the download when the
// connection breaks (see Open).
func (b *s3Body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, fmt.Errorf("%s: read after close", b.url)
	}
	if err := b.ctx.Err(); err != nil {
		b.drop()
		return 0, err
	}
	if b.eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if b.body == nil {
			if err := b.resume(); err != nil {
				return 0, err
			}
		}
		n, err := b.readBody(p)
		if n > 0 {
			b.off += int64(n)
			b.failures = 0
		}
		if b.size >= 0 && b.off > b.size {
			return n, fmt.Errorf("%s: S3 sent more than the object's %d bytes", b.url, b.size)
		}
		switch {
		case err == nil:
			return n, nil
		case err == io.EOF && b.size < 0, b.size >= 0 && b.off == b.size:
			// All the bytes are in (a connection that breaks after the last
			// byte lost nothing).
			b.drop()
			b.eof = true
			return n, io.EOF
		case err == io.EOF:
			err = fmt.Errorf("body ended at byte %d of %d: %w", b.off, b.size, io.ErrUnexpectedEOF)
		case b.ctx.Err() != nil:
			b.drop()
			return n, b.ctx.Err()
		case b.stall.Load():
			err = fmt.Errorf("no data for %s", b.s.readTimeout)
		}
		b.lastErr = err
		b.drop()
		if n > 0 {
			return n, nil // the rest comes from a new request on the next Read
		}
	}
}

// readBody reads from the current body, ending its request when a read
// makes no progress for the read timeout.
func (b *s3Body) readBody(p []byte) (int, error) {
	cancel := b.cancel
	t := time.AfterFunc(b.s.readTimeout, func() {
		b.stall.Store(true)
		cancel()
	})
	n, err := b.body.Read(p)
	t.Stop()
	return n, err
}

// drop closes the current body and ends its request.
func (b *s3Body) drop() {
	if b.body != nil {
		b.body.Close()
		b.body = nil
	}
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
}

// resume waits (exponential backoff with jitter) and requests the bytes
// from b.off on. The request itself is retried by the SDK's retryer; an
// error from it ends the read.
func (b *s3Body) resume() error {
	if b.failures >= b.s.maxRetries || b.resumes >= 10*b.s.maxRetries {
		at := fmt.Sprintf("byte %d", b.off)
		if b.size >= 0 {
			at += fmt.Sprintf(" of %d", b.size)
		}
		if b.failures >= b.s.maxRetries {
			return fmt.Errorf("%s: the download broke off at %s and %d attempts in a row to resume it brought nothing: %w", b.url, at, b.failures, b.lastErr)
		}
		return fmt.Errorf("%s: the download broke off %d times, the last at %s; giving up: %w", b.url, b.resumes+1, at, b.lastErr)
	}
	b.failures++
	delay := min(b.s.maxBackoff, 100*time.Millisecond<<min(b.failures-1, 20))
	delay = delay/2 + rand.N(delay/2+1)
	t := time.NewTimer(delay)
	select {
	case <-b.ctx.Done():
		t.Stop()
		return b.ctx.Err()
	case <-t.C:
	}
	b.resumes++
	return b.get()
}

// get requests the object from b.off on and makes its body current.
func (b *s3Body) get() error {
	ctx, cancel := context.WithCancel(b.ctx)
	in := &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.key)}
	if b.etag != "" {
		in.IfMatch = aws.String(b.etag)
	}
	if b.off > 0 {
		in.Range = aws.String("bytes=" + strconv.FormatInt(b.off, 10) + "-")
	}
	out, err := b.s.client.GetObject(ctx, in, b.s.callOptions)
	if err != nil {
		cancel()
		return b.explain(err)
	}
	if b.etag == "" && out.ETag != nil {
		b.etag = *out.ETag // resumes must read the same object
	}
	n := aws.ToInt64(out.ContentLength)
	switch cr := aws.ToString(out.ContentRange); {
	case b.off == 0 && out.ContentLength != nil:
		b.size = n
	case b.off == 0 && b.listedSize > 0:
		b.size = b.listedSize
	case cr != "":
		// "bytes START-END/SIZE"
		start, size, ok := parseContentRange(cr)
		if !ok || start != b.off {
			out.Body.Close()
			cancel()
			return fmt.Errorf("%s: asked for the bytes from %d on and got %q", b.url, b.off, cr)
		}
		if size >= 0 {
			b.size = size
		}
	default:
		// The whole object again (the Range was not honoured): skip what
		// was read already.
		if _, err := io.CopyN(io.Discard, out.Body, b.off); err != nil {
			out.Body.Close()
			cancel()
			return fmt.Errorf("%s: re-reading the first %d bytes: %w", b.url, b.off, err)
		}
	}
	b.body, b.cancel = out.Body, cancel
	b.stall.Store(false)
	return nil
}

// explain turns a GetObject error into one that names the object.
func (b *s3Body) explain(err error) error {
	if b.ctx.Err() != nil {
		return b.ctx.Err()
	}
	switch apiCode(err) {
	case "PreconditionFailed":
		return fmt.Errorf("%s: %w (its ETag is no longer %s): list it again to read the new content", b.url, ErrObjectChanged, b.etag)
	case "NoSuchKey":
		return fmt.Errorf("%s no longer exists (NoSuchKey): it was deleted after it was listed: %w", b.url, err)
	case "InvalidObjectState":
		return fmt.Errorf("%s is archived (InvalidObjectState): restore it from Glacier before reading it: %w", b.url, err)
	}
	if statusOf(err) == http.StatusPreconditionFailed {
		return fmt.Errorf("%s: %w (its ETag is no longer %s): list it again to read the new content", b.url, ErrObjectChanged, b.etag)
	}
	doing := "cannot read " + b.url
	if b.off > 0 {
		doing += fmt.Sprintf(" from byte %d", b.off)
	}
	return b.s.explain(doing, b.url, err)
}

// parseContentRange reads "bytes START-END/SIZE" (SIZE may be "*").
func parseContentRange(s string) (start, size int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, total, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	size = -1
	if total != "*" {
		if size, err = strconv.ParseInt(total, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return start, size, true
}

// Close ends the request; the reader cannot be used after.
func (b *s3Body) Close() error {
	b.closed = true
	b.drop()
	return nil
}
