package cloudtrail

import (
	"bytes"
	"errors"
	"io"
)

// scanner walks one JSON value that is already known to be valid: the
// Reader has read each event whole with jsontext, which checks its syntax,
// and the decoder then only needs to find the members it maps. Without a
// second validation, finding a value's end is a search for a quote or a
// bracket. It has the few jsontext.Decoder methods the decoder uses, with
// the same meanings; separators (',' and ':') and whitespace are skipped.
// Should its input not be valid JSON after all, it returns errMalformed
// rather than guess.
type scanner struct {
	b      []byte
	i      int
	spaced bool // the last object or array read has whitespace between tokens
}

var errMalformed = errors.New("malformed JSON")

func (s *scanner) reset(b []byte) { s.b, s.i = b, 0 }

func (s *scanner) skip() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r', ',', ':':
			s.i++
		default:
			return
		}
	}
}

// PeekKind returns the kind of the next token, as jsontext.Kind spells it
// ('{', '}', '[', ']', '"', 'n', 't', 'f', '0' for a number), or 0 at the
// end.
func (s *scanner) PeekKind() byte {
	s.skip()
	if s.i >= len(s.b) {
		return 0
	}
	if c := s.b[s.i]; c != '-' && (c < '0' || c > '9') {
		return c
	}
	return '0'
}

// ReadToken reads a bracket.
func (s *scanner) ReadToken() error {
	s.skip()
	if s.i >= len(s.b) {
		return io.EOF
	}
	switch s.b[s.i] {
	case '{', '}', '[', ']':
		s.i++
		return nil
	}
	return errMalformed
}

// ReadValue returns the next value as written: a string with its quotes,
// an object or array whole, a literal or number.
func (s *scanner) ReadValue() ([]byte, error) {
	s.skip()
	start := s.i
	if s.i >= len(s.b) {
		return nil, io.ErrUnexpectedEOF
	}
	switch s.b[s.i] {
	case '"':
		end := stringEnd(s.b, s.i)
		if end < 0 {
			return nil, errMalformed
		}
		s.i = end
	case '{', '[':
		depth := 0
		s.spaced = false
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ' ', '\t', '\n', '\r':
				s.spaced = true
			case '"':
				end := stringEnd(s.b, s.i)
				if end < 0 {
					return nil, errMalformed
				}
				s.i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					s.i++
					return s.b[start:s.i], nil
				}
			}
			s.i++
		}
		return nil, errMalformed
	case '}', ']':
		return nil, errMalformed
	default:
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r', ':':
				return s.b[start:s.i], nil
			}
			s.i++
		}
	}
	return s.b[start:s.i], nil
}

// SkipValue reads the next value and drops it.
func (s *scanner) SkipValue() error {
	_, err := s.ReadValue()
	return err
}

// stringEnd returns the offset after the string that starts with the quote
// at b[i], or -1 if it does not end.
func stringEnd(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		n := 0 // backslashes before the quote: odd escapes it
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j
		}
	}
}
