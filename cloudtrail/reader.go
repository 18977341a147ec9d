// Package cloudtrail reads AWS CloudTrail logs: the key layout of trail
// buckets and the record format, in every shape users have (Records files,
// single events, NDJSON, CloudWatch Logs subscription envelopes, EventBridge
// events). It streams: a Records array is read one record at a time, so memory
// does not grow with the file.
package cloudtrail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/keytrail/keytrail"
)

// Kind is the shape of a CloudTrail file, known after the first call to Next.
type Kind int

// The shapes of CloudTrail files.
const (
	KindUnknown     Kind = iota
	KindRecords          // {"Records":[…]}, what trails deliver to S3
	KindEvent            // one event object
	KindNDJSON           // one event (or envelope) per line
	KindCloudWatch       // CloudWatch Logs subscription envelope(s): logEvents[].message
	KindEventBridge      // EventBridge "AWS API Call via CloudTrail" event(s): detail
	KindDigest           // a CloudTrail-Digest file: not events, skipped
	KindEmpty            // no content at all
)

func (k Kind) String() string {
	return [...]string{"unknown", "records", "event", "ndjson", "cloudwatch", "eventbridge", "digest", "empty"}[k]
}

// maxValue bounds a single JSON value (an element of a streamed Records
// array, an event, a line, an envelope; not the array) so that a hostile
// file cannot take all memory.
// CloudTrail records are at most a few hundred KB and CloudWatch Logs events
// at most 1 MiB.
const maxValue = 64 << 20

// Reader streams the events of one CloudTrail file. Create it with NewReader
// over the decompressed bytes; it is not safe for concurrent use.
type Reader struct {
	source string
	sticky *stickyReader
	br     *bufio.Reader
	st     stream // the file, when not NDJSON
	d      decoder
	kind   Kind

	started   bool
	done      bool
	inRecords bool // st is inside a streamed Records array
	afterElem bool // an element of it was read: ',' or ']' comes next

	ndjson  bool
	line    int64 // NDJSON: number of the line last read
	lineOff int64 // NDJSON: offset of the line last read
	nextOff int64 // NDJSON: offset of the next line

	top   []byte   // the current whole top-level value (or line)
	queue []queued // events found in top, not yet decoded
	qi    int
	sc    scanner // over one event's bytes

	last queued // where the event Next returned last lies (see Reject)
}

// queued is a raw event waiting to be decoded, with where it came from.
type queued struct {
	raw  []byte
	line int64
	off  int64
	err  string // when set, the element is rejected with this reason
}

// NewReader returns a Reader over r, which must yield the file's
// uncompressed bytes. source names the file in errors.
func NewReader(r io.Reader, source string) *Reader {
	rd := &Reader{
		sticky: &stickyReader{r: r},
		d:      newDecoder(),
	}
	rd.source = source
	rd.br = bufio.NewReaderSize(rd.sticky, 256<<10)
	return rd
}

// Reset makes the Reader read a new file, keeping its buffers: reading many
// small files (CloudTrail delivers one every five minutes per region) then
// allocates almost nothing per file.
func (r *Reader) Reset(rd io.Reader, source string) {
	*r.sticky = stickyReader{r: rd}
	r.br.Reset(r.sticky)
	*r = Reader{
		source: source, br: r.br, sticky: r.sticky, d: r.d, st: stream{buf: r.st.buf[:0]},
		top: r.top[:0], queue: r.queue[:0],
	}
}

// Reject returns the rejection of the event the last successful Next
// returned, for a caller that cannot use it: its bytes as written, line
// (NDJSON) and offset, and reason.
func (r *Reader) Reject(reason string) *keytrail.RecordError {
	return &keytrail.RecordError{Source: r.source, Line: r.last.line, Offset: r.last.off, Reason: reason, Raw: clip(r.last.raw)}
}

// Kind returns the file's shape; KindUnknown before the first Next.
func (r *Reader) Kind() Kind { return r.kind }

var decOpts = []jsontext.Options{
	jsontext.AllowDuplicateNames(true), // CloudTrail never repeats names; skip the bookkeeping
	jsontext.AllowInvalidUTF8(true),    // keep what the log holds rather than lose the record
}

// Next reads the next event into ev (which is reset first). It returns io.EOF
// at the end of the file (also for digest files, whose Kind is KindDigest),
// a *keytrail.RecordError for a record that cannot be used (Next may be called
// again), and a *keytrail.FileError when the file cannot be read further
// (malformed JSON in a Records file, a truncated or corrupt stream); events
// before it were delivered.
func (r *Reader) Next(ev *keytrail.Event) error {
	if r.done {
		return io.EOF
	}
	err := r.next(ev)
	if err == nil {
		return nil
	}
	var re *keytrail.RecordError
	if errors.As(err, &re) {
		return err
	}
	return r.finish(err)
}

func (r *Reader) next(ev *keytrail.Event) error {
	if !r.started {
		r.started = true
		if err := r.start(); err != nil {
			return err
		}
	}
	for {
		if r.qi < len(r.queue) {
			q := r.queue[r.qi]
			r.qi++
			return r.decodeQueued(q, ev)
		}
		if r.inRecords {
			return r.nextRecord(ev)
		}
		var err error
		if r.ndjson {
			err = r.readLineValue()
		} else {
			err = r.readTopValue()
		}
		if err != nil {
			return err
		}
	}
}

// finish ends the file with err, made into a *keytrail.FileError.
func (r *Reader) finish(err error) error {
	r.done = true
	if err == io.EOF {
		return err
	}
	var fe *keytrail.FileError
	if errors.As(err, &fe) {
		return err
	}
	if err == io.ErrUnexpectedEOF {
		err = errors.New("unexpected end of data (truncated file?)")
	}
	if r.ndjson {
		return &keytrail.FileError{Source: r.source, Line: r.line + 1, Offset: r.nextOff, Err: err}
	}
	off := r.st.offset()
	var se *streamError
	if errors.As(err, &se) {
		off = se.off
		err = errors.New("malformed JSON: " + se.msg)
	}
	return &keytrail.FileError{Source: r.source, Offset: off, Err: err}
}

// start finds out the file's shape from its first bytes.
func (r *Reader) start() error {
	if b, _ := r.br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		r.br.Discard(3)
		r.nextOff = 3
	}
	// A read error here is met again, at its place, by the reads that follow.
	b, err := r.br.Peek(r.br.Size())
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 && err == io.EOF {
		r.kind = KindEmpty
		return io.EOF
	}
	if len(t) > 0 && t[0] != '{' {
		// Lines of events after a bad first line are NDJSON, and only
		// that line is rejected.
		if !objectLineAfterFirst(t) {
			return fmt.Errorf("not CloudTrail JSON: the file starts with %q, not an object", firstRune(t))
		}
		r.ndjson = true
		r.kind = KindNDJSON
		return nil
	}
	// One complete object on the first non-blank line and more after it:
	// NDJSON, read line by line so that one bad line does not cost the rest.
	if i := bytes.IndexByte(t, '\n'); i > 0 {
		first := bytes.TrimSpace(t[:i])
		if ok, _ := validJSON(first); ok && len(bytes.TrimSpace(t[i:])) > 0 {
			r.ndjson = true
			r.kind = KindNDJSON
			return nil
		}
	}
	r.st.reset(r.br, r.nextOff)
	return nil
}

// objectLineAfterFirst reports whether one of the few lines after the
// first of b is a whole JSON object by itself.
func objectLineAfterFirst(b []byte) bool {
	_, b, _ = bytes.Cut(b, []byte("\n"))
	for range 8 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		if line = bytes.TrimSpace(line); len(line) > 0 && line[0] == '{' {
			if ok, _ := validJSON(line); ok {
				return true
			}
		}
		if len(b) == 0 {
			return false
		}
	}
	return false
}

// readTopValue reads the next top-level value of a non-NDJSON file: enters a
// Records array for streaming, or reads a whole (small) object and queues
// its events.
func (r *Reader) readTopValue() error {
	switch c, err := r.st.peek(); {
	case err != nil:
		return err // io.EOF at a clean end
	case c != '{':
		v, err := r.st.value()
		if err != nil {
			return err
		}
		return fmt.Errorf("not CloudTrail JSON: %s at the top level instead of an object", kindName(jsontext.Value(v).Kind()))
	}
	off := r.st.offset()
	if equalFold(r.firstName(), "records") {
		r.st.pos++                              // {
		if _, err := r.st.value(); err != nil { // "Records"
			return err
		}
		if err := r.st.expect(':', "after object name (expecting ':')"); err != nil {
			return err
		}
		r.setKind(KindRecords)
		c, err := r.st.next()
		if err != nil {
			return err
		}
		if c == '[' {
			r.st.pos++
			r.inRecords, r.afterElem = true, false
			return nil
		}
		v, err := r.st.value()
		if err != nil {
			return err
		}
		if c == 'n' {
			return r.closeTop()
		}
		return fmt.Errorf("not a CloudTrail file: Records is %s, not an array", kindName(jsontext.Value(v).Kind()))
	}
	v, err := r.st.value()
	if err != nil {
		return err
	}
	r.top = append(r.top[:0], v...)
	return r.expand(r.top, 0, off)
}

// firstName returns the first member name of the object the stream is
// about to read, from what it has buffered; "" if it cannot tell.
func (r *Reader) firstName() string {
	buf := r.st.ahead(256)
	i := skipWS(buf, 0)
	if i >= len(buf) || buf[i] != '{' {
		return ""
	}
	i = skipWS(buf, i+1)
	if i >= len(buf) || buf[i] != '"' {
		return ""
	}
	j := bytes.IndexByte(buf[i+1:], '"')
	if j < 0 {
		return ""
	}
	return string(buf[i+1 : i+1+j])
}

// nextRecord decodes the next element of a streamed Records array.
func (r *Reader) nextRecord(ev *keytrail.Event) error {
	c, err := r.st.next()
	if err != nil {
		return err
	}
	comma := false
	if r.afterElem {
		switch c {
		case ',':
			r.st.pos++
			comma = true
			if c, err = r.st.next(); err != nil {
				return err
			}
		case ']':
		default:
			return r.st.unexpected(c, "after array element (expecting ',' or ']')")
		}
	}
	if c == ']' && !comma { // not after a comma: the end
		r.st.pos++
		r.inRecords = false
		if err := r.closeTop(); err != nil {
			return err
		}
		return r.next(ev)
	}
	r.afterElem = true
	off := r.st.offset()
	if c == '{' {
		// Decode the record where it lies in the read buffer, checking its
		// syntax on the way: one pass over its bytes.
		for {
			win := r.st.buf[r.st.pos:]
			r.sc.reset(win)
			err := r.d.event(&r.sc, ev)
			if r.sc.err == errIncomplete {
				if err := r.st.more(); err != nil {
					return err
				}
				continue
			}
			if se, ok := r.sc.err.(*syntaxError); ok {
				return &streamError{off + int64(se.off), se.msg}
			}
			if err != nil || !r.sc.done() {
				break // not read whole: the slow way below says why
			}
			raw := win[:r.sc.i]
			r.st.pos += r.sc.i
			if !isEvent(ev) {
				return &keytrail.RecordError{Source: r.source, Offset: off, Reason: notEvent, Raw: clip(raw)}
			}
			r.last = queued{raw: raw, off: off}
			return nil
		}
	}
	// Read the element whole: the raw bytes are at hand to quarantine it.
	v, err := r.st.value()
	if err != nil {
		return err
	}
	if c == '{' {
		return r.decodeQueued(queued{raw: v, off: off}, ev)
	}
	return &keytrail.RecordError{Source: r.source, Offset: off, Reason: fmt.Sprintf("a Records element is %s, not an event object", kindName(jsontext.Value(v).Kind())), Raw: clip(v)}
}

// closeTop reads any members after a Records array and the closing brace.
func (r *Reader) closeTop() error {
	for {
		c, err := r.st.next()
		if err != nil {
			return err
		}
		switch c {
		case '}':
			r.st.pos++
			return nil
		case ',':
			r.st.pos++
			if c, err := r.st.next(); err != nil || c != '"' {
				if err != nil {
					return err
				}
				return r.st.unexpected(c, "at start of object name (expecting '\"')")
			}
			if _, err := r.st.value(); err != nil {
				return err
			}
			if err := r.st.expect(':', "after object name (expecting ':')"); err != nil {
				return err
			}
			if _, err := r.st.value(); err != nil {
				return err
			}
		default:
			return r.st.unexpected(c, "after object value (expecting ',' or '}')")
		}
	}
}

// readLineValue reads the next non-blank NDJSON line and queues its events;
// a line that is not a JSON object is queued as a rejected element.
func (r *Reader) readLineValue() error {
	for {
		line, err := r.readLine()
		if err != nil {
			return err
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		if ok, problem := validJSON(t); !ok {
			r.reject(t, r.line, r.lineOff, "malformed JSON: "+problem)
			return nil
		}
		if t[0] != '{' {
			r.reject(t, r.line, r.lineOff, fmt.Sprintf("%s, not an event object", kindName(jsontext.Value(t).Kind())))
			return nil
		}
		return r.expand(t, r.line, r.lineOff)
	}
}

// readLine returns the next line (without limit on its length up to
// maxValue) and advances the line counters.
func (r *Reader) readLine() ([]byte, error) {
	r.top = r.top[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.top = append(r.top, chunk...)
		if err == bufio.ErrBufferFull {
			if len(r.top) > maxValue {
				return nil, fmt.Errorf("a line longer than %d bytes", maxValue)
			}
			continue
		}
		if err == io.EOF && len(r.top) > 0 {
			err = nil
		}
		if err != nil {
			return nil, err
		}
		break
	}
	r.line++
	r.lineOff = r.nextOff
	r.nextOff += int64(len(r.top))
	return r.top, nil
}

// reject queues v as a rejected element.
func (r *Reader) reject(v []byte, line, off int64, reason string) {
	r.queue = append(r.queue[:0], queued{raw: v, line: line, off: off, err: reason})
	r.qi = 0
}

func (r *Reader) setKind(k Kind) {
	if r.kind == KindUnknown {
		r.kind = k
	}
}

// expand finds the events in one whole top-level object v and queues them:
// the object itself when it is an event, the elements of its Records array,
// the messages of a CloudWatch Logs envelope, the detail of an EventBridge
// event. Digest files hold no events.
func (r *Reader) expand(v []byte, line, off int64) error {
	r.queue, r.qi = r.queue[:0], 0
	m, err := members(v)
	if err != nil {
		r.reject(v, line, off, "malformed JSON: "+err.Error())
		return nil
	}
	switch {
	case m.has("records"):
		r.setKind(KindRecords)
		return r.queueArray(m.get("records"), line, off, "Records", func(e []byte) ([]byte, string) {
			if len(e) == 0 || e[0] != '{' {
				return nil, fmt.Sprintf("a Records element is %s, not an event object", kindName(jsontext.Value(e).Kind()))
			}
			return e, ""
		})
	case m.has("logevents"):
		r.setKind(KindCloudWatch)
		if t := m.get("messagetype"); len(t) > 0 && string(t) != `"DATA_MESSAGE"` {
			return nil // CONTROL_MESSAGE: CloudWatch's own check, no events
		}
		return r.queueArray(m.get("logevents"), line, off, "logEvents", func(e []byte) ([]byte, string) {
			em, err := members(e)
			if err != nil || len(em.get("message")) == 0 || em.get("message")[0] != '"' {
				return nil, "a CloudWatch log event without a message string"
			}
			msg, _ := jsontext.AppendUnquote(nil, em.get("message")) // invalid UTF-8 replaced, as in str
			msg = bytes.TrimSpace(msg)
			if ok, problem := validJSON(msg); !ok {
				return msg, "the CloudWatch log event message is not valid JSON: " + problem
			}
			if msg[0] != '{' {
				return msg, "the CloudWatch log event message is not a JSON object"
			}
			return msg, ""
		})
	case m.has("detail") && m.has("detail-type"):
		r.setKind(KindEventBridge)
		d := m.get("detail")
		if len(d) == 0 || d[0] != '{' {
			r.reject(v, line, off, "an EventBridge event whose detail is not an object")
			return nil
		}
		r.queue = append(r.queue, queued{raw: d, line: line, off: off})
		return nil
	case !m.has("eventversion") && !m.has("eventtime") && !m.has("eventname") &&
		(m.has("digeststarttime") || m.has("logfiles") || m.has("digests3object")):
		r.setKind(KindDigest)
		return nil
	}
	r.setKind(KindEvent)
	r.queue = append(r.queue, queued{raw: v, line: line, off: off})
	return nil
}

// queueArray queues the elements of the JSON array arr; check turns an
// element into the event bytes to decode, or a reason to reject it.
func (r *Reader) queueArray(arr []byte, line, off int64, what string, check func([]byte) ([]byte, string)) error {
	if len(arr) == 0 || string(arr) == "null" {
		return nil
	}
	if arr[0] != '[' {
		r.reject(arr, line, off, what+" is not an array")
		return nil
	}
	return elements(arr, func(e []byte, eoff int64) {
		ev, reason := check(e)
		if reason != "" {
			r.queue = append(r.queue, queued{raw: e, line: line, off: off + eoff, err: reason})
			return
		}
		r.queue = append(r.queue, queued{raw: ev, line: line, off: off + eoff})
	})
}

// decodeQueued decodes one queued event, or rejects it.
func (r *Reader) decodeQueued(q queued, ev *keytrail.Event) error {
	if q.err != "" {
		return &keytrail.RecordError{Source: r.source, Line: q.line, Offset: q.off, Reason: q.err, Raw: clip(q.raw)}
	}
	r.sc.reset(q.raw)
	if err := r.d.event(&r.sc, ev); err != nil {
		return &keytrail.RecordError{Source: r.source, Line: q.line, Offset: q.off, Reason: "malformed JSON: " + problemOf(q.raw), Raw: clip(q.raw)}
	}
	if !isEvent(ev) {
		return &keytrail.RecordError{Source: r.source, Line: q.line, Offset: q.off, Reason: notEvent, Raw: clip(q.raw)}
	}
	r.last = q
	return nil
}

const notEvent = "not a CloudTrail event: an object with none of eventVersion, eventTime, eventSource, eventName, eventID"

// isEvent reports whether a decoded object has any of the members that
// every CloudTrail event has.
func isEvent(ev *keytrail.Event) bool {
	return ev.EventVersion.Valid || ev.EventTime.Valid || ev.EventSource.Valid || ev.EventName.Valid || ev.EventID.Valid
}

// clip copies a rejected value, cut to a size worth keeping.
func clip(v []byte) []byte {
	const max = 64 << 10
	if len(v) > max {
		v = v[:max]
	}
	return append([]byte(nil), v...)
}

// problemOf describes why v is not valid JSON.
func problemOf(v []byte) string {
	if ok, problem := validJSON(v); !ok {
		return problem
	}
	return "a value the decoder could not read"
}

// kindName names a JSON kind with its article, for messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "an invalid value"
}

func firstRune(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return string(b)
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// stickyReader returns the first error of r on every later call, so that an
// error met while peeking ahead is not lost.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}
