package cloudtrail

import (
	"fmt"
	"io"
)

// scanner walks one JSON value for the decoder and checks its syntax as it
// goes, so that an event is read in one pass: the members the decoder maps
// are found, the others skipped (and checked) with checkValue. It has the
// few jsontext.Decoder methods the decoder uses, with the same meanings;
// separators and whitespace are read by the scanner.
//
// Its input may end before the value does (the Reader decodes records
// straight from its read buffer): the scanner then fails with
// errIncomplete, and the caller reads more and starts again. The first
// error is kept in err, and every later call returns it.
type scanner struct {
	b      []byte
	i      int
	spaced bool // the last object or array read has whitespace between tokens
	err    error
	state  scanState
	stack  []byte // the open objects and arrays: '{' or '['
}

// scanState is what the scanner expects next.
type scanState uint8

const (
	wantValue        scanState = iota // a value: at the start, after ':', after ',' in an array
	wantValueOrClose                  // after '['
	wantName                          // after ',' in an object
	wantNameOrClose                   // after '{'
	wantColon                         // after a member name
	wantSepOrClose                    // after a value in an object or array
	scanDone                          // the value is complete
)

func (s *scanner) reset(b []byte) { *s = scanner{b: b, stack: s.stack[:0]} }

// done reports whether the value is complete; end is the offset after it.
func (s *scanner) done() bool { return s.state == scanDone && s.err == nil }

func (s *scanner) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return s.err
}

func (s *scanner) failf(i int, format string, args ...any) {
	s.fail(&syntaxError{i, fmt.Sprintf(format, args...)})
}

// next reads whitespace and the separator due, and returns the byte that
// starts the next token without reading it; 0 when there is none (the
// value is complete, or err is set).
func (s *scanner) next() byte {
	if s.err != nil || s.state == scanDone {
		return 0
	}
	i := skipWS(s.b, s.i)
	if i < len(s.b) {
		switch s.state {
		case wantColon:
			if s.b[i] != ':' {
				s.failf(i, "invalid character %s after object name (expecting ':')", quoteChar(s.b[i]))
				return 0
			}
			s.state = wantValue
			i = skipWS(s.b, i+1)
		case wantSepOrClose:
			open := s.stack[len(s.stack)-1]
			switch c := s.b[i]; {
			case c == ',':
				s.state = wantValue
				if open == '{' {
					s.state = wantName
				}
				i = skipWS(s.b, i+1)
			case c == open+2: // the closing bracket, for ReadToken
			case open == '{':
				s.failf(i, "invalid character %s after object value (expecting ',' or '}')", quoteChar(c))
				return 0
			default:
				s.failf(i, "invalid character %s after array element (expecting ',' or ']')", quoteChar(c))
				return 0
			}
		}
	}
	if i >= len(s.b) {
		s.fail(errIncomplete)
		return 0
	}
	s.i = i
	return s.b[i]
}

// ended records that a value ended at s.i.
func (s *scanner) ended() {
	if len(s.stack) == 0 {
		s.state = scanDone
	} else {
		s.state = wantSepOrClose
	}
}

// PeekKind returns the kind of the next token, as jsontext.Kind spells it
// ('{', '}', '[', ']', '"', 'n', 't', 'f', '0' for a number), or 0 when
// there is none.
func (s *scanner) PeekKind() byte {
	c := s.next()
	if c == '-' || c >= '0' && c <= '9' {
		return '0'
	}
	return c
}

// ReadToken reads a bracket.
func (s *scanner) ReadToken() error {
	c := s.next()
	if c == 0 {
		if s.err == nil {
			return io.EOF
		}
		return s.err
	}
	switch c {
	case '{', '[':
		if s.state == wantName || s.state == wantNameOrClose {
			s.failf(s.i, "invalid character %s at start of object name (expecting '\"')", quoteChar(c))
			return s.err
		}
		if len(s.stack) >= maxDepth {
			s.failf(s.i, "exceeded max depth of %d", maxDepth)
			return s.err
		}
		s.stack = append(s.stack, c)
		s.i++
		s.state = wantValueOrClose
		if c == '{' {
			s.state = wantNameOrClose
		}
		return nil
	case '}', ']':
		n := len(s.stack)
		switch {
		case s.state == wantNameOrClose && c == '}', s.state == wantValueOrClose && c == ']', s.state == wantSepOrClose:
			s.stack = s.stack[:n-1]
			s.i++
			s.ended()
			return nil
		case s.state == wantName || s.state == wantNameOrClose:
			s.failf(s.i, "invalid character %s at start of object name (expecting '\"')", quoteChar(c))
		default:
			s.failf(s.i, "invalid character %s at start of value", quoteChar(c))
		}
		return s.err
	}
	s.failf(s.i, "invalid character %s where a bracket was expected", quoteChar(c))
	return s.err
}

// ReadValue returns the next value as written: a string with its quotes,
// an object or array whole, a literal or number. In an object, a member
// name is a value.
func (s *scanner) ReadValue() ([]byte, error) {
	c := s.next()
	if c == 0 {
		if s.err == nil {
			return nil, io.EOF
		}
		return nil, s.err
	}
	start := s.i
	if s.state == wantName || s.state == wantNameOrClose {
		if c != '"' {
			s.failf(start, "invalid character %s at start of object name (expecting '\"')", quoteChar(c))
			return nil, s.err
		}
		end, err := checkString(s.b, start)
		if err != nil {
			return nil, s.fail(err)
		}
		s.i, s.state = end, wantColon
		return s.b[start:end], nil
	}
	if s.state == wantSepOrClose { // at a closing bracket
		s.failf(start, "invalid character %s at start of value", quoteChar(c))
		return nil, s.err
	}
	var end int
	var err error
	switch c {
	case '"':
		end, err = checkString(s.b, start)
	case '{', '[':
		end, s.spaced, err = checkValueWS(s.b, start, false)
	default:
		// Unless the scanner is inside an object or array, the input ends
		// with the value.
		end, err = checkScalar(s.b, start, len(s.stack) == 0, len(s.stack) > 0)
	}
	if err != nil {
		return nil, s.fail(err)
	}
	s.i = end
	s.ended()
	return s.b[start:end], nil
}

// SkipValue reads the next value and drops it.
func (s *scanner) SkipValue() error {
	_, err := s.ReadValue()
	return err
}
