package cloudtrail

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// checkValue checks the syntax of the JSON value that starts at b[i] (after
// optional whitespace) and returns the offset just after it. It accepts what
// jsontext accepts with decOpts: duplicate names and invalid UTF-8 pass,
// nesting is bounded by maxDepth. It returns errIncomplete when b ends
// before the value does (the caller may read more and call it again; with
// atEOF, a number at the end of b is complete), or a *syntaxError with the
// offset in b of the first byte that is wrong.
//
// It exists for speed: CloudTrail files are mostly strings, which it checks
// eight bytes at a time, and it keeps no state between values.
func checkValue(b []byte, i int, atEOF bool) (int, error) {
	end, _, err := checkValueWS(b, i, atEOF)
	return end, err
}

// checkValueWS is checkValue that also reports whether there is whitespace
// between the value's tokens (which is not compact JSON).
func checkValueWS(b []byte, i int, atEOF bool) (end int, spaced bool, err error) {
	var stackBuf [32]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	i = skipWS(b, i)
	name := false // a member name comes before the value
	for {
		if name {
			j, sp, err := checkName(b, i)
			if err != nil {
				return 0, false, err
			}
			i, spaced, name = j, spaced || sp, false
		}
		// A value starts at b[i].
		if i >= len(b) {
			return 0, false, errIncomplete
		}
		switch c := b[i]; c {
		case '"':
			j, err := checkString(b, i)
			if err != nil {
				return 0, false, err
			}
			i = j
		case '{', '[':
			if len(stack) >= maxDepth {
				return 0, false, &syntaxError{i, fmt.Sprintf("exceeded max depth of %d", maxDepth)}
			}
			stack = append(stack, c)
			if j := skipWS(b, i+1); j != i+1 {
				spaced, i = true, j
			} else {
				i = j
			}
			if i >= len(b) {
				return 0, false, errIncomplete
			}
			if b[i] == c+2 { // '}' or ']': empty
				stack = stack[:len(stack)-1]
				i++
				break
			}
			name = c == '{'
			continue
		default:
			j, err := checkScalar(b, i, atEOF || len(stack) > 0, len(stack) > 0)
			if err != nil {
				return 0, false, err
			}
			i = j
		}
		// A value ended at b[i]: close containers until one goes on.
		for {
			if len(stack) == 0 {
				return i, spaced, nil
			}
			if j := skipWS(b, i); j != i {
				spaced, i = true, j
			}
			if i >= len(b) {
				return 0, false, errIncomplete
			}
			open := stack[len(stack)-1]
			if b[i] == open+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if b[i] != ',' {
				if open == '{' {
					return 0, false, &syntaxError{i, fmt.Sprintf("invalid character %s after object value (expecting ',' or '}')", quoteChar(b[i]))}
				}
				return 0, false, &syntaxError{i, fmt.Sprintf("invalid character %s after array element (expecting ',' or ']')", quoteChar(b[i]))}
			}
			if j := skipWS(b, i+1); j != i+1 {
				spaced, i = true, j
			} else {
				i = j
			}
			name = open == '{'
			break
		}
	}
}

// maxDepth bounds the nesting of JSON values, as jsontext does.
const maxDepth = 10000

// errIncomplete means the input ended inside a value.
var errIncomplete = errors.New("unexpected end of data")

// syntaxError is malformed JSON at an offset of the checked input.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// checkName checks an object member name that starts at b[i], its colon
// and the whitespace around it; it returns the offset of the member's
// value, and whether there was whitespace.
func checkName(b []byte, i int) (int, bool, error) {
	if i >= len(b) {
		return 0, false, errIncomplete
	}
	if b[i] != '"' {
		return 0, false, &syntaxError{i, fmt.Sprintf("invalid character %s at start of object name (expecting '\"')", quoteChar(b[i]))}
	}
	j, err := checkString(b, i)
	if err != nil {
		return 0, false, err
	}
	k := skipWS(b, j)
	if k >= len(b) {
		return 0, false, errIncomplete
	}
	if b[k] != ':' {
		return 0, false, &syntaxError{k, fmt.Sprintf("invalid character %s after object name (expecting ':')", quoteChar(b[k]))}
	}
	end := skipWS(b, k+1)
	return end, k != j || end != k+1, nil
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// checkString checks the string whose quote is at b[i] and returns the
// offset after its closing quote. Eight bytes at a time, it looks for the
// bytes that need attention: a quote, a backslash, a control character.
func checkString(b []byte, i int) (int, error) {
	i++
	for {
		for i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			q := w ^ ('"' * ones)
			s := w ^ ('\\' * ones)
			m := ((q - ones) &^ q) | ((s - ones) &^ s) | ((w - 0x20*ones) &^ w)
			if m &= highs; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
				break
			}
		}
		if i >= len(b) {
			return 0, errIncomplete
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c < 0x20:
			return 0, &syntaxError{i, fmt.Sprintf("invalid control character %s within string", quoteChar(c))}
		}
		// A backslash.
		if i+1 >= len(b) {
			return 0, errIncomplete
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			for k := i + 2; k < i+6; k++ {
				if k >= len(b) {
					return 0, errIncomplete
				}
				if !isHex(b[k]) {
					return 0, &syntaxError{i, fmt.Sprintf("invalid escape sequence %q in string", b[i:k+1])}
				}
			}
			i += 6
		default:
			return 0, &syntaxError{i, fmt.Sprintf("invalid escape sequence %q in string", b[i:i+2])}
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// checkScalar checks the literal or number at b[i]; complete as for
// checkNumber. Nested in an object or array, only whitespace, a comma or a
// closing bracket may follow it; at the top level of a stream it ends
// where its grammar does and the next value may follow at once ("0{}" is
// two values), as jsontext reads a stream.
func checkScalar(b []byte, i int, complete, nested bool) (int, error) {
	var j int
	var err error
	switch c := b[i]; {
	case c == 't':
		j, err = checkLiteral(b, i, "true")
	case c == 'f':
		j, err = checkLiteral(b, i, "false")
	case c == 'n':
		j, err = checkLiteral(b, i, "null")
	case c == '-' || c >= '0' && c <= '9':
		j, err = checkNumber(b, i, complete)
	default:
		return 0, &syntaxError{i, fmt.Sprintf("invalid character %s at start of value", quoteChar(b[i]))}
	}
	if err != nil || !nested {
		return j, err
	}
	return endScalar(b, j)
}

// checkLiteral checks that b[i:] starts with lit.
func checkLiteral(b []byte, i int, lit string) (int, error) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			return 0, errIncomplete
		}
		if b[i+k] != lit[k] {
			return 0, &syntaxError{i + k, fmt.Sprintf("invalid character %s in literal %s (expecting %s)", quoteChar(b[i+k]), lit, quoteChar(lit[k]))}
		}
	}
	return i + len(lit), nil
}

// endScalar checks that a literal or number that ends at b[j] is not
// followed by more of a token: only whitespace, a comma or a closing
// bracket may follow.
func endScalar(b []byte, j int) (int, error) {
	if j < len(b) {
		switch c := b[j]; c {
		case ' ', '\t', '\n', '\r', ',', ']', '}':
		default:
			return 0, &syntaxError{j, fmt.Sprintf("invalid character %s after a literal or number", quoteChar(c))}
		}
	}
	return j, nil
}

// checkNumber checks the number at b[i]: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
// Unless complete, a number that reaches the end of b may go on.
func checkNumber(b []byte, i int, complete bool) (int, error) {
	digits := func(j int) int {
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j
	}
	bad := func(j int, where string) (int, error) {
		if j >= len(b) {
			return 0, errIncomplete
		}
		return 0, &syntaxError{j, fmt.Sprintf("invalid character %s in number (expecting %s)", quoteChar(b[j]), where)}
	}
	j := i
	if b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		j = digits(j + 1)
	default:
		return bad(j, "a digit")
	}
	if j < len(b) && b[j] == '.' {
		k := digits(j + 1)
		if k == j+1 {
			return bad(k, "a digit")
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := digits(j)
		if k == j {
			return bad(k, "a digit")
		}
		j = k
	}
	if j >= len(b) && !complete {
		return 0, errIncomplete
	}
	return j, nil
}

// quoteChar quotes one byte of input for a message.
func quoteChar(c byte) string {
	if c >= 0x80 {
		return fmt.Sprintf("'\\x%02x'", c)
	}
	return fmt.Sprintf("%q", rune(c))
}

// validJSON reports whether v is exactly one JSON value, with whitespace
// around it; if not, why, with the offset in v.
func validJSON(v []byte) (ok bool, problem string) {
	end, err := checkValue(v, 0, true)
	if err == nil {
		if end = skipWS(v, end); end == len(v) {
			return true, ""
		}
		return false, fmt.Sprintf("invalid character %s after top-level value at byte %d", quoteChar(v[end]), end)
	}
	var se *syntaxError
	if errors.As(err, &se) {
		return false, fmt.Sprintf("%s at byte %d", se.msg, se.off)
	}
	return false, fmt.Sprintf("unexpected end of data at byte %d", len(v))
}
