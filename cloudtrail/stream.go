package cloudtrail

import (
	"errors"
	"fmt"
	"io"
)

// stream reads the JSON text of a file one value at a time, checking each
// value's syntax (checkValue) as it finds its end. A value is returned as a
// slice of the stream's buffer, valid until the next call.
type stream struct {
	r    io.Reader
	buf  []byte
	pos  int   // the next unread byte of buf
	base int64 // the file offset of buf[0]
	eof  bool  // r has no more bytes
	err  error // r failed
}

// streamError is malformed JSON at a file offset.
type streamError struct {
	off int64
	msg string
}

func (e *streamError) Error() string { return fmt.Sprintf("byte %d: malformed JSON: %s", e.off, e.msg) }

// streamBuf is the stream's initial buffer size. It is larger than a bufio
// buffer in front of it, so that reads mostly bypass that buffer.
const streamBuf = 512 << 10

// reset makes s read r, whose first byte is at file offset base. A buffer
// that a large value grew is let go, so that one such file does not hold
// memory for the rest.
func (s *stream) reset(r io.Reader, base int64) {
	buf := s.buf[:0]
	if cap(buf) > streamBuf {
		buf = nil
	}
	*s = stream{r: r, buf: buf, base: base}
}

func (s *stream) offset() int64 { return s.base + int64(s.pos) }

// fill reads more input until the buffer is full, keeping the unread bytes;
// it reports whether there was more to read. The buffer doubles when the
// unread bytes fill it.
func (s *stream) fill() bool {
	if s.eof || s.err != nil {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.base += int64(s.pos)
		s.buf, s.pos = s.buf[:n], 0
	}
	if len(s.buf) == cap(s.buf) {
		nb := make([]byte, len(s.buf), max(2*cap(s.buf), streamBuf))
		copy(nb, s.buf)
		s.buf = nb
	}
	for len(s.buf) < cap(s.buf) {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		switch {
		case err == io.EOF:
			s.eof = true
			return true
		case err != nil:
			s.err = err
			return true
		}
	}
	return true
}

// peek skips whitespace and returns the next byte without reading it;
// io.EOF at the end of the input, or the read error.
func (s *stream) peek() (byte, error) {
	for {
		s.pos = skipWS(s.buf, s.pos)
		if s.pos < len(s.buf) {
			return s.buf[s.pos], nil
		}
		if !s.fill() {
			if s.err != nil {
				return 0, s.err
			}
			return 0, io.EOF
		}
	}
}

// next is peek where the input may not end: its end is a truncated file.
func (s *stream) next() (byte, error) {
	c, err := s.peek()
	if err == io.EOF {
		err = s.truncated()
	}
	return c, err
}

// ahead returns up to n bytes after the next unread one, without reading
// them.
func (s *stream) ahead(n int) []byte {
	for len(s.buf)-s.pos < n && s.fill() {
	}
	return s.buf[s.pos:min(len(s.buf), s.pos+n)]
}

// value reads the next value, whole and checked.
func (s *stream) value() ([]byte, error) {
	if _, err := s.next(); err != nil {
		return nil, err
	}
	for {
		end, err := checkValue(s.buf[s.pos:], 0, s.eof)
		if err == nil {
			v := s.buf[s.pos : s.pos+end]
			s.pos += end
			return v, nil
		}
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, &streamError{s.offset() + int64(se.off), se.msg}
		}
		if err := s.more(); err != nil {
			return nil, err
		}
	}
}

// more reads more input for a value that starts at the read position and
// goes on past the buffered bytes. A value larger than maxValue is an
// error rather than a reason to take all memory.
func (s *stream) more() error {
	if len(s.buf)-s.pos > maxValue {
		return fmt.Errorf("a JSON value of more than %d bytes, larger than any CloudTrail event", maxValue)
	}
	if !s.fill() {
		if s.err != nil {
			return s.err
		}
		return s.truncated()
	}
	return nil
}

// expect reads the byte c after whitespace; what says where, for the error.
func (s *stream) expect(c byte, what string) error {
	got, err := s.next()
	if err != nil {
		return err
	}
	if got != c {
		return s.unexpected(got, what)
	}
	s.pos++
	return nil
}

// unexpected is the error for byte c at the read position.
func (s *stream) unexpected(c byte, what string) error {
	return &streamError{s.offset(), fmt.Sprintf("invalid character %s %s", quoteChar(c), what)}
}

func (s *stream) truncated() error {
	return &streamError{s.base + int64(len(s.buf)), "unexpected end of data (truncated file?)"}
}
