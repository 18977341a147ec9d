package store

import (
	"fmt"
	"math"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Trino's JSON functions on text (json_extract_scalar, json_extract,
// json_size, json_array_length), reproduced on a streaming scanner:
//   - the path is Trino's legacy JSON path: $ then .name (letters, digits,
//     _ and :), ["quoted name"] (escapes \" and \\ only) or [name]; a
//     step is a member name on an object and an index (0-based) on an
//     array; anything else is an "Invalid JSON path" error;
//   - the document is read only as far as needed, like Jackson's streaming
//     parser: text after the value found is not checked, malformed text met
//     before it gives NULL, as does a missing member or index, or a step
//     into a scalar;
//   - json_extract_scalar gives the text of a string (unescaped), a number
//     (as written) or a boolean, and NULL for null, an object or an array;
//   - json_extract gives the value as JSON re-serialized the way Jackson's
//     generator writes it: no spaces, strings re-escaped (\" \\ \b \f \n \r
//     \t, \u00XX for other control characters), integers as integers and
//     other numbers as Java doubles (1e2 is 100.0);
//   - the first of duplicate members wins.

type jsonPath struct {
	steps []string
	index []int // the step as an array index, or -1
}

func invalidJSONPath(p string) error { return fmt.Errorf("Invalid JSON path: '%s'", p) }

func isPathChar(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// compileJSONPath tokenizes a path as Trino's JsonPathTokenizer does.
func compileJSONPath(p string) (*jsonPath, error) {
	if p == "" || p[0] != '$' {
		return nil, invalidJSONPath(p)
	}
	jp := &jsonPath{}
	i := 1
	run := func(colon bool) string {
		start := i
		for i < len(p) {
			r, n := utf8.DecodeRuneInString(p[i:])
			if !(isPathChar(r) || colon && r == ':') {
				break
			}
			i += n
		}
		return p[start:i]
	}
	for i < len(p) {
		var step string
		switch p[i] {
		case '.':
			i++
			if step = run(true); step == "" {
				return nil, invalidJSONPath(p)
			}
		case '[':
			i++
			if i < len(p) && p[i] == '"' {
				i++
				var b []byte
				closed := false
				for i < len(p) {
					c := p[i]
					if c == '"' {
						closed = true
						i++
						break
					}
					if c == '\\' {
						if i+1 >= len(p) || (p[i+1] != '"' && p[i+1] != '\\') {
							return nil, invalidJSONPath(p)
						}
						c = p[i+1]
						i++
					}
					b = append(b, c)
					i++
				}
				if !closed {
					return nil, invalidJSONPath(p)
				}
				step = string(b)
			} else if step = run(false); step == "" {
				return nil, invalidJSONPath(p)
			}
			if i >= len(p) || p[i] != ']' {
				return nil, invalidJSONPath(p)
			}
			i++
		default:
			return nil, invalidJSONPath(p)
		}
		idx := -1
		if v, err := strconv.ParseInt(step, 10, 32); err == nil {
			idx = int(v)
		}
		jp.steps = append(jp.steps, step)
		jp.index = append(jp.index, idx)
	}
	return jp, nil
}

var jsonPaths cache[*jsonPath]

// jsonScan walks JSON text. Its methods return false when the text is
// malformed.
type jsonScan struct {
	s   string
	pos int
	buf []byte // scratch for unescaped strings
}

func (j *jsonScan) ws() {
	for j.pos < len(j.s) {
		switch j.s[j.pos] {
		case ' ', '\t', '\n', '\r':
			j.pos++
		default:
			return
		}
	}
}

func (j *jsonScan) peek() byte {
	j.ws()
	if j.pos < len(j.s) {
		return j.s[j.pos]
	}
	return 0
}

// str reads a string at j.pos (the opening quote); when unescape is set
// the text is left in j.buf, unless it has no escape, in which case raw is
// the text itself.
func (j *jsonScan) str(unescape bool) (raw string, escaped bool, ok bool) {
	j.pos++ // "
	start := j.pos
	for j.pos < len(j.s) {
		c := j.s[j.pos]
		switch {
		case c == '"':
			raw = j.s[start:j.pos]
			j.pos++
			if escaped && unescape {
				return "", true, j.unescape(raw)
			}
			return raw, escaped, true
		case c == '\\':
			escaped = true
			j.pos += 2
		case c < 0x20:
			return "", false, false
		default:
			j.pos++
		}
	}
	return "", false, false
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func hex4(s string) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for i := range 4 {
		h := hexVal(s[i])
		if h < 0 {
			return -1
		}
		r = r<<4 | h
	}
	return r
}

// unescape decodes the body of a string into j.buf.
func (j *jsonScan) unescape(raw string) bool {
	b := j.buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i >= len(raw) {
			return false
		}
		switch raw[i] {
		case '"', '\\', '/':
			b = append(b, raw[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(raw[i+1:])
			if r < 0 {
				return false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if r2 := hex4(raw[i+3:]); r2 >= 0 {
						if d := utf16.DecodeRune(r, r2); d != unicode.ReplacementChar {
							r = d
							i += 6
						}
					}
				}
				if utf16.IsSurrogate(r) {
					r = unicode.ReplacementChar
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return false
		}
	}
	j.buf = b
	return true
}

// number reads a number at j.pos; it returns its text and whether it is an
// integer.
func (j *jsonScan) number() (string, bool, bool) {
	s, start := j.s, j.pos
	i := start
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return "", false, false
	}
	isInt := true
	if i < len(s) && s[i] == '.' {
		isInt = false
		i++
		n := digitsAt(s, i, len(s))
		if n == 0 {
			return "", false, false
		}
		i += n
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		isInt = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		n := digitsAt(s, i, len(s))
		if n == 0 {
			return "", false, false
		}
		i += n
	}
	if i < len(s) && (s[i] >= '0' && s[i] <= '9') { // leading zero: 01
		return "", false, false
	}
	j.pos = i
	return s[start:i], isInt, true
}

func (j *jsonScan) literal(word string) bool {
	if len(j.s)-j.pos < len(word) || j.s[j.pos:j.pos+len(word)] != word {
		return false
	}
	j.pos += len(word)
	if j.pos < len(j.s) && (isASCIILetter(j.s[j.pos]) || j.s[j.pos] >= '0' && j.s[j.pos] <= '9' || j.s[j.pos] == '_') {
		return false
	}
	return true
}

// skip reads over one value.
func (j *jsonScan) skip() bool {
	switch j.peek() {
	case '{':
		j.pos++
		if j.peek() == '}' {
			j.pos++
			return true
		}
		for {
			if j.peek() != '"' {
				return false
			}
			if _, _, ok := j.str(false); !ok {
				return false
			}
			if j.peek() != ':' {
				return false
			}
			j.pos++
			if !j.skip() {
				return false
			}
			switch j.peek() {
			case ',':
				j.pos++
			case '}':
				j.pos++
				return true
			default:
				return false
			}
		}
	case '[':
		j.pos++
		if j.peek() == ']' {
			j.pos++
			return true
		}
		for {
			if !j.skip() {
				return false
			}
			switch j.peek() {
			case ',':
				j.pos++
			case ']':
				j.pos++
				return true
			default:
				return false
			}
		}
	case '"':
		_, _, ok := j.str(false)
		return ok
	case 't':
		return j.literal("true")
	case 'f':
		return j.literal("false")
	case 'n':
		return j.literal("null")
	default:
		_, _, ok := j.number()
		return ok
	}
}

// find moves to the value the path names. found is false when the value
// is missing or the text malformed before it.
func (j *jsonScan) find(p *jsonPath) bool {
	for k, step := range p.steps {
		switch j.peek() {
		case '{':
			j.pos++
			if j.peek() == '}' {
				return false
			}
			for {
				if j.peek() != '"' {
					return false
				}
				raw, escaped, ok := j.str(false)
				if !ok {
					return false
				}
				match := raw == step
				if escaped {
					if !j.unescape(raw) {
						return false
					}
					match = string(j.buf) == step
				}
				if j.peek() != ':' {
					return false
				}
				j.pos++
				if match {
					break
				}
				if !j.skip() {
					return false
				}
				switch j.peek() {
				case ',':
					j.pos++
				default: // } (not found) or malformed
					return false
				}
			}
		case '[':
			j.pos++
			if j.peek() == ']' {
				return false
			}
			for i := 0; ; i++ {
				if i == p.index[k] {
					break
				}
				if !j.skip() {
					return false
				}
				if j.peek() != ',' {
					return false // ] (out of bounds) or malformed
				}
				j.pos++
			}
		default:
			return false // a scalar has no members
		}
	}
	j.ws()
	return j.pos < len(j.s)
}

// extractScalar implements json_extract_scalar.
func extractScalar(doc string, p *jsonPath, buf *[]byte) strResult {
	j := jsonScan{s: doc, buf: (*buf)[:0]}
	defer func() { *buf = j.buf }()
	if !j.find(p) {
		return strResult{null: true}
	}
	switch j.s[j.pos] {
	case '"':
		raw, escaped, ok := j.str(true)
		if !ok {
			return strResult{null: true}
		}
		if escaped {
			return strResult{s: bytesString(j.buf)}
		}
		return strResult{s: raw}
	case 't':
		if j.literal("true") {
			return strResult{s: "true"}
		}
	case 'f':
		if j.literal("false") {
			return strResult{s: "false"}
		}
	case '{', '[', 'n':
	default:
		if text, _, ok := j.number(); ok {
			return strResult{s: text}
		}
	}
	return strResult{null: true}
}

// extractJSON implements json_extract: the value re-serialized.
func extractJSON(doc string, p *jsonPath, buf *[]byte) strResult {
	j := jsonScan{s: doc}
	if !j.find(p) {
		return strResult{null: true}
	}
	out, ok := j.copyValue((*buf)[:0])
	*buf = out
	if !ok {
		return strResult{null: true}
	}
	return strResult{s: bytesString(out)}
}

const hexDigits = "0123456789ABCDEF"

// appendJSONString appends s quoted and escaped as Jackson does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// javaDouble formats f as Java's Double.toString does.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±xx, shortest
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	mant, expStr, _ := cut(e, 'e')
	exp, _ := strconv.Atoi(expStr)
	digits := mant[:1]
	if len(mant) > 2 {
		digits += mant[2:]
	}
	var out []byte
	if neg {
		out = append(out, '-')
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		if exp >= 0 {
			intLen := exp + 1
			if len(digits) <= intLen {
				out = append(out, digits...)
				for range intLen - len(digits) {
					out = append(out, '0')
				}
				out = append(out, '.', '0')
			} else {
				out = append(out, digits[:intLen]...)
				out = append(out, '.')
				out = append(out, digits[intLen:]...)
			}
		} else {
			out = append(out, '0', '.')
			for range -exp - 1 {
				out = append(out, '0')
			}
			out = append(out, digits...)
		}
		return string(out)
	}
	out = append(out, digits[0], '.')
	if len(digits) > 1 {
		out = append(out, digits[1:]...)
	} else {
		out = append(out, '0')
	}
	out = append(out, 'E')
	out = strconv.AppendInt(out, int64(exp), 10)
	return string(out)
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// copySep appends the ',' or the closing byte that follows a member or an
// element; end reports the closing byte, ok anything else as malformed.
func (j *jsonScan) copySep(b []byte, closing byte) (out []byte, end, ok bool) {
	switch c := j.peek(); c {
	case ',', closing:
		j.pos++
		return append(b, c), c == closing, true
	}
	return b, false, false
}

// copyValue appends the value at j.pos re-serialized.
func (j *jsonScan) copyValue(b []byte) ([]byte, bool) {
	switch j.peek() {
	case '{':
		j.pos++
		b = append(b, '{')
		if j.peek() == '}' {
			j.pos++
			return append(b, '}'), true
		}
		for {
			if j.peek() != '"' {
				return b, false
			}
			var ok bool
			if b, ok = j.copyString(b); !ok {
				return b, false
			}
			if j.peek() != ':' {
				return b, false
			}
			j.pos++
			b = append(b, ':')
			if b, ok = j.copyValue(b); !ok {
				return b, false
			}
			var end bool
			if b, end, ok = j.copySep(b, '}'); end || !ok {
				return b, ok
			}
		}
	case '[':
		j.pos++
		b = append(b, '[')
		if j.peek() == ']' {
			j.pos++
			return append(b, ']'), true
		}
		for {
			var ok bool
			if b, ok = j.copyValue(b); !ok {
				return b, false
			}
			var end bool
			if b, end, ok = j.copySep(b, ']'); end || !ok {
				return b, ok
			}
		}
	case '"':
		return j.copyString(b)
	case 't':
		return append(b, "true"...), j.literal("true")
	case 'f':
		return append(b, "false"...), j.literal("false")
	case 'n':
		return append(b, "null"...), j.literal("null")
	default:
		text, isInt, ok := j.number()
		if !ok {
			return b, false
		}
		if isInt {
			if v, err := strconv.ParseInt(text, 10, 64); err == nil {
				return strconv.AppendInt(b, v, 10), true
			}
			if text[0] == '-' && text == "-0" {
				return append(b, '0'), true
			}
			return append(b, text...), true // BigInteger: as written
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !math.IsInf(f, 0) {
			return b, false
		}
		return append(b, javaDouble(f)...), true
	}
}

func (j *jsonScan) copyString(b []byte) ([]byte, bool) {
	raw, escaped, ok := j.str(false)
	if !ok {
		return b, false
	}
	if escaped {
		saved := j.buf
		j.buf = nil
		if !j.unescape(raw) {
			return b, false
		}
		raw = string(j.buf)
		j.buf = saved
	}
	return appendJSONString(b, raw), true
}

// jsonSize implements json_size: the number of members or elements of the
// value the path names, 0 for a scalar; ok is false for NULL.
func jsonSize(doc string, p *jsonPath) (int64, bool) {
	j := jsonScan{s: doc}
	if !j.find(p) {
		return 0, false
	}
	return j.count()
}

// count counts the members or elements of the value at j.pos.
func (j *jsonScan) count() (int64, bool) {
	switch j.peek() {
	case '{':
		j.pos++
		if j.peek() == '}' {
			return 0, true
		}
		var n int64
		for {
			if j.peek() != '"' {
				return 0, false
			}
			if _, _, ok := j.str(false); !ok {
				return 0, false
			}
			if j.peek() != ':' {
				return 0, false
			}
			j.pos++
			if !j.skip() {
				return 0, false
			}
			n++
			switch j.peek() {
			case ',':
				j.pos++
			case '}':
				return n, true
			default:
				return 0, false
			}
		}
	case '[':
		j.pos++
		if j.peek() == ']' {
			return 0, true
		}
		var n int64
		for {
			if !j.skip() {
				return 0, false
			}
			n++
			switch j.peek() {
			case ',':
				j.pos++
			case ']':
				return n, true
			default:
				return 0, false
			}
		}
	}
	return 0, true
}

// jsonArrayLength implements json_array_length: ok is false (NULL) unless
// the text is an array.
func jsonArrayLength(doc string) (int64, bool) {
	j := jsonScan{s: doc}
	if j.peek() != '[' {
		return 0, false
	}
	return j.count()
}
