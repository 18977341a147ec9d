package s3access

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/keytrail/keytrail"
)

// MaxLineLen is the longest line, in bytes without its line terminator, that
// Reader parses. A longer line is skipped and reported as a
// *keytrail.RecordError.
const MaxLineLen = 1 << 20

// MaxRawLen is the most bytes of a rejected line that a RecordError keeps in Raw.
const MaxRawLen = 64 << 10

// Reader reads access-log records, one per line, from an uncompressed stream.
// Its memory use is bounded by MaxLineLen whatever the size of the stream.
// A Reader is not safe for concurrent use.
type Reader struct {
	br     *bufio.Reader
	source string
	line   int64  // number of the last line read
	offset int64  // byte offset of the next line
	start  int64  // byte offset of the last line read
	long   []byte // assembles lines longer than br's buffer; reused
	err    error  // sticky: io.EOF or a *keytrail.FileError
}

// NewReader returns a Reader over r, an already decompressed stream. source
// names the stream (a file name or s3:// URL) in the errors Next returns.
func NewReader(r io.Reader, source string) *Reader {
	br := bufio.NewReaderSize(nil, 64<<10) // never r itself, so Reset cannot make a loop
	br.Reset(r)
	return &Reader{br: br, source: source}
}

// Reset makes the Reader read a new stream, keeping its buffers.
func (r *Reader) Reset(rd io.Reader, source string) {
	r.br.Reset(rd)
	*r = Reader{br: r.br, source: source, long: r.long[:0]}
}

// Next parses the next record into rec (which is reset first; see ParseLine).
// Blank lines (empty, or only spaces, tabs and carriage returns) are
// skipped, though they count in line numbers. Lines end with "\n" or "\r\n";
// the last line may lack its terminator.
//
// A UTF-8 byte order mark at the start of the stream is skipped.
//
// Next returns io.EOF after the last record. For a line that cannot be
// parsed, or is longer than MaxLineLen, it returns a *keytrail.RecordError
// with the 1-based line number, the line's byte offset, the reason and the
// line (cut to MaxRawLen bytes, without its "\n"); Next can be called again
// to go on with the following line. An error from the underlying reader
// (such as a truncated gzip stream) is returned as a *keytrail.FileError
// giving the line and offset where reading stopped; the partial line there
// is not parsed, and every later call returns the same error.
func (r *Reader) Next(rec *keytrail.AccessLogRecord) error {
	if r.err != nil {
		return r.err
	}
	if r.line == 0 && r.offset == 0 {
		// A UTF-8 byte order mark (an editor's) is not part of the first line.
		if b, _ := r.br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
			r.br.Discard(3)
			r.offset = 3
		}
	}
	for {
		start := r.offset
		line, size, err := r.readLine()
		if err != nil {
			if err == io.EOF {
				r.err = io.EOF
			} else {
				r.err = &keytrail.FileError{Source: r.source, Line: r.line + 1, Offset: start,
					Err: fmt.Errorf("cannot read access log: %w", err)}
			}
			return r.err
		}
		r.line++
		r.start = start
		if size > MaxLineLen {
			return r.recordError(start, fmt.Sprintf("line is %d bytes, longer than the limit of %d", size, MaxLineLen), line)
		}
		if blank(line) {
			continue
		}
		if err := ParseLine(line, rec); err != nil {
			return r.recordError(start, err.Error(), line)
		}
		return nil
	}
}

// Line returns the 1-based line number of the record (or rejected line) that
// Next returned last; 0 before the first call.
func (r *Reader) Line() int64 { return r.line }

// Offset returns the byte offset, in the uncompressed stream, of the line of
// the record (or rejected line) that Next returned last.
func (r *Reader) Offset() int64 { return r.start }

// readLine returns the next line without its "\n" and its length. For a
// line longer than MaxLineLen the returned bytes are only its start. The
// slice is valid until the next call. It returns io.EOF at the end of the
// stream and any other read error as it is (a partial line is dropped).
func (r *Reader) readLine() ([]byte, int, error) {
	frag, err := r.br.ReadSlice('\n')
	switch {
	case err == nil:
		r.offset += int64(len(frag))
		return frag[:len(frag)-1], len(frag) - 1, nil
	case errors.Is(err, io.EOF):
		if len(frag) == 0 {
			return nil, 0, io.EOF
		}
		r.offset += int64(len(frag)) // a last line without "\n"
		return frag, len(frag), nil
	case !errors.Is(err, bufio.ErrBufferFull):
		return nil, 0, err
	}
	// A line longer than the buffer: assemble it in r.long, keeping at most
	// MaxLineLen+1 bytes (enough to tell that it is too long).
	total := len(frag)
	r.long = append(r.long[:0], frag...)
	for {
		frag, err = r.br.ReadSlice('\n')
		total += len(frag)
		if keep := MaxLineLen + 1 - len(r.long); keep > 0 {
			r.long = append(r.long, frag[:min(keep, len(frag))]...)
		}
		switch {
		case err == nil:
			r.offset += int64(total)
			n := len(r.long)
			if n == total { // all kept: drop the "\n"
				n--
			}
			return r.long[:n], total - 1, nil
		case errors.Is(err, io.EOF):
			r.offset += int64(total)
			return r.long, total, nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return nil, 0, err
		}
	}
}

func (r *Reader) recordError(start int64, reason string, line []byte) error {
	raw := line
	if len(raw) > MaxRawLen {
		raw = raw[:MaxRawLen]
	}
	return &keytrail.RecordError{Source: r.source, Line: r.line, Offset: start,
		Reason: reason, Raw: bytes.Clone(raw)}
}

// blank reports whether line holds only spaces, tabs and carriage returns.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// Sniff reports whether prefix, the first bytes of an uncompressed stream,
// looks like an S3 server access log: its first non-blank line starts with
// two fields (bucket owner, bucket) and a bracketed time
// [dd/Mon/yyyy:HH:MM:SS ±hhmm] that ParseLine would accept. prefix may end
// in the middle of a line, but must reach past that time. It never fails; it
// returns false for anything else (JSON, CloudTrail, empty input).
func Sniff(prefix []byte) bool {
	prefix = bytes.TrimLeft(prefix, " \t\r\n")
	if i := bytes.IndexByte(prefix, '\n'); i >= 0 {
		prefix = prefix[:i]
	}
	for range 2 { // bucket owner, bucket: plain, non-empty tokens
		i := bytes.IndexByte(prefix, ' ')
		if i <= 0 || prefix[0] == '"' || prefix[0] == '[' || prefix[0] == '{' {
			return false
		}
		prefix = prefix[i+1:]
	}
	const n = len("[06/Feb/2019:00:00:38 +0000]")
	if len(prefix) < n || prefix[0] != '[' || prefix[n-1] != ']' {
		return false
	}
	if len(prefix) > n && prefix[n] != ' ' && prefix[n] != '\r' {
		return false
	}
	_, ok := parseTime(string(prefix[1 : n-1]))
	return ok
}
