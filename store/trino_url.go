package store

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Trino's URL functions parse with java.net.URI (RFC 2396, with RFC 2732
// IPv6 hosts): text that is not a valid URI gives NULL; a component the URI
// lacks gives '' (not NULL), except the port; the path, query and fragment
// are percent-decoded, the host is not; a host that is not a valid host
// name or address (an underscore, say) makes the authority "registry
// based", with no host and no port. url_extract_parameter splits the raw
// query on & and = and URL-decodes the value of the first match (+ is a
// space). url_decode and url_encode are java.net.URLDecoder and Guava's
// form-parameter escaper.

type uri struct {
	scheme, host, path, query, fragment string
	rawQuery                            string
	port                                int // -1 when absent
	hasQuery                            bool
}

// Character classes of java.net.URI.
const (
	ucAlpha = 1 << iota
	ucDigit
	ucMark     // -_.!~*'()
	ucReserved // ;/?:@&=+$,[]
)

var uriClass [128]uint8

func init() {
	for c := 'a'; c <= 'z'; c++ {
		uriClass[c] |= ucAlpha
		uriClass[c-'a'+'A'] |= ucAlpha
	}
	for c := '0'; c <= '9'; c++ {
		uriClass[c] |= ucDigit
	}
	for _, c := range "-_.!~*'()" {
		uriClass[c] |= ucMark
	}
	for _, c := range ";/?:@&=+$,[]" {
		uriClass[c] |= ucReserved
	}
}

func isUnreserved(c byte) bool {
	return c < 128 && uriClass[c]&(ucAlpha|ucDigit|ucMark) != 0
}

func isHex(c byte) bool { return hexVal(c) >= 0 }

// scanChars returns the end of the run of s[p:n] whose ASCII characters
// satisfy ok; escapes (%XX) and visible non-ASCII characters are allowed
// when escapes is set. A malformed escape ends the run at the %, with bad
// set.
func scanChars(s string, p, n int, ok func(byte) bool, escapes bool) (int, bool) {
	for p < n {
		c := s[p]
		if c < 128 {
			if ok(c) {
				p++
				continue
			}
			if escapes && c == '%' {
				if p+2 < n && isHex(s[p+1]) && isHex(s[p+2]) {
					p += 3
					continue
				}
				return p, true
			}
			return p, false
		}
		if !escapes {
			return p, false
		}
		r, size := utf8.DecodeRuneInString(s[p:n])
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || unicode.IsControl(r) || r <= 128 {
			return p, false
		}
		p += size
	}
	return p, false
}

func checkChars(s string, p, n int, ok func(byte) bool) bool {
	end, _ := scanChars(s, p, n, ok, true)
	return end == n
}

func indexAnyFrom(s string, p, n int, chars string) int {
	if i := strings.IndexAny(s[p:n], chars); i >= 0 {
		return p + i
	}
	return n
}

func isURIC(c byte) bool {
	return isUnreserved(c) || c < 128 && uriClass[c]&ucReserved != 0
}

func isPathChar2(c byte) bool { return isUnreserved(c) || strings.IndexByte(":@&=+$,;/", c) >= 0 }

func isUserinfoChar(c byte) bool { return isUnreserved(c) || strings.IndexByte(";:&=+$,", c) >= 0 }

func isServerChar(c byte) bool {
	return isUserinfoChar(c) || c < 128 && uriClass[c]&(ucAlpha|ucDigit) != 0 || strings.IndexByte("-.:@[]", c) >= 0
}

func isRegNameChar(c byte) bool { return isUnreserved(c) || strings.IndexByte("$,;:@&=+", c) >= 0 }

var errURI = errors.New("invalid URI")

// parseURI parses s as java.net.URI's constructor does.
func parseURI(s string) (*uri, error) {
	u := &uri{port: -1}
	n := len(s)
	p := 0
	colon := -1
	for i := 0; i < n; i++ {
		if c := s[i]; c == '/' || c == '?' || c == '#' {
			break
		} else if c == ':' {
			colon = i
			break
		}
	}
	if colon >= 0 {
		if colon == 0 || s[0] >= 128 || uriClass[s[0]]&ucAlpha == 0 {
			return nil, errURI
		}
		for i := 1; i < colon; i++ {
			c := s[i]
			if c >= 128 || (uriClass[c]&(ucAlpha|ucDigit) == 0 && c != '+' && c != '-' && c != '.') {
				return nil, errURI
			}
		}
		u.scheme = s[:colon]
		p = colon + 1
		if p < n && s[p] == '/' {
			var err error
			if p, err = u.hierarchical(s, p, n); err != nil {
				return nil, err
			}
		} else {
			q := indexAnyFrom(s, p, n, "#")
			if q <= p || !checkChars(s, p, q, isURIC) {
				return nil, errURI
			}
			p = q // opaque: no authority, path or query
		}
	} else {
		var err error
		if p, err = u.hierarchical(s, 0, n); err != nil {
			return nil, err
		}
	}
	if p < n && s[p] == '#' {
		if !checkChars(s, p+1, n, isURIC) {
			return nil, errURI
		}
		u.fragment = percentDecode(s[p+1:])
		p = n
	}
	if p < n {
		return nil, errURI
	}
	return u, nil
}

func (u *uri) hierarchical(s string, p, n int) (int, error) {
	if p+1 < n && s[p] == '/' && s[p+1] == '/' {
		p += 2
		q := indexAnyFrom(s, p, n, "/?#")
		if q > p {
			if err := u.authority(s, p, q); err != nil {
				return 0, err
			}
		} else if q >= n {
			return 0, errURI // "http://": an authority is expected
		}
		p = q
	}
	q := indexAnyFrom(s, p, n, "?#")
	if !checkChars(s, p, q, isPathChar2) {
		return 0, errURI
	}
	u.path = percentDecode(s[p:q])
	p = q
	if p < n && s[p] == '?' {
		p++
		q = indexAnyFrom(s, p, n, "#")
		if !checkChars(s, p, q, isURIC) {
			return 0, errURI
		}
		u.rawQuery, u.query, u.hasQuery = s[p:q], percentDecode(s[p:q]), true
		p = q
	}
	return p, nil
}

func (u *uri) authority(s string, p, n int) error {
	serverChars := checkChars(s, p, n, isServerChar)
	if strings.IndexByte(s[p:n], ']') > 0 {
		serverChars = checkChars(s, p, n, func(c byte) bool { return isServerChar(c) || c == '%' })
	}
	regChars := checkChars(s, p, n, isRegNameChar)
	if serverChars {
		if u.server(s, p, n) {
			return nil
		}
		u.host, u.port = "", -1
	}
	if regChars {
		return nil // registry-based: no host, no port
	}
	return errURI
}

// server parses [userinfo@]host[:port]; false when it is not a server.
func (u *uri) server(s string, p, n int) bool {
	if at := indexAnyFrom(s, p, n, "/?#@"); at < n && s[at] == '@' {
		if !checkChars(s, p, at, isUserinfoChar) {
			return false
		}
		p = at + 1
	}
	if p < n && s[p] == '[' {
		q := strings.IndexByte(s[p:n], ']')
		if q < 0 {
			return false
		}
		q += p
		addr := s[p+1 : q]
		if i := strings.IndexByte(addr, '%'); i >= 0 {
			addr = addr[:i]
		}
		if !strings.Contains(addr, ":") || !isIPv6Literal(addr) {
			return false
		}
		u.host = s[p : q+1]
		p = q + 1
	} else {
		q := ipv4End(s, p, n)
		if q <= p {
			if q = hostnameEnd(s, p, n); q < 0 {
				return false
			}
		}
		u.host = s[p:q]
		p = q
	}
	if p < n && s[p] == ':' {
		p++
		q := p
		for q < n && s[q] >= '0' && s[q] <= '9' {
			q++
		}
		if q > p {
			port := 0
			for _, c := range []byte(s[p:q]) {
				port = port*10 + int(c-'0')
				if port > 1<<31-1 {
					return false
				}
			}
			u.port = port
			p = q
		}
	}
	return p == n
}

func isIPv6Literal(a string) bool {
	for i := 0; i < len(a); i++ {
		if c := a[i]; !(isHex(c) || c == ':' || c == '.') {
			return false
		}
	}
	_, err := parseIP(a)
	return err == nil
}

// ipv4End returns the end of a dotted IPv4 address at s[p:], or -1.
func ipv4End(s string, p, n int) int {
	q := p
	for part := 0; part < 4; part++ {
		if part > 0 {
			if q >= n || s[q] != '.' {
				return -1
			}
			q++
		}
		d := digitsAt(s, q, 3)
		if d == 0 {
			return -1
		}
		v := 0
		for _, c := range []byte(s[q : q+d]) {
			v = v*10 + int(c-'0')
		}
		if v > 255 {
			return -1
		}
		q += d
	}
	if q < n && s[q] != ':' {
		return -1
	}
	return q
}

// hostnameEnd returns the end of a host name at s[p:] (labels of letters,
// digits and inner hyphens, the last starting with a letter), or -1.
func hostnameEnd(s string, p, n int) int {
	start, last := p, -1
	alnum := func(c byte) bool { return c < 128 && uriClass[c]&(ucAlpha|ucDigit) != 0 }
	for p < n && alnum(s[p]) {
		last = p
		q := p
		for q < n && (alnum(s[q]) || s[q] == '-') {
			q++
		}
		if s[q-1] == '-' {
			return -1
		}
		p = q
		if p < n && s[p] == '.' {
			p++
		} else {
			break
		}
	}
	if last < 0 || (p < n && s[p] != ':') {
		return -1
	}
	if last > start && !(s[last] < 128 && uriClass[s[last]]&ucAlpha != 0) {
		return -1
	}
	return p
}

// percentDecode decodes %XX escapes (bytes read as UTF-8, malformed
// sequences replaced), as URI.getPath and friends do.
func percentDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, byte(hexVal(s[i+1])<<4|hexVal(s[i+2])))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// urlDecode is java.net.URLDecoder.decode: + is a space, %XX a byte.
func urlDecode(s string, buf *[]byte) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	b := (*buf)[:0]
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) {
				return "", errors.New("URLDecoder: Incomplete trailing escape (%) pattern")
			}
			if !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", errors.New("URLDecoder: Illegal hex characters in escape (%) pattern")
			}
			b = append(b, byte(hexVal(s[i+1])<<4|hexVal(s[i+2])))
			i += 2
		default:
			b = append(b, c)
		}
	}
	*buf = b
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	return bytesString(b), nil
}

// urlEncode is Guava's form-parameter escaper: letters, digits and -_.*
// stay, a space is +, other bytes of the UTF-8 text are %XX.
func urlEncode(s string, buf *[]byte) string {
	b := (*buf)[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 128 && uriClass[c]&(ucAlpha|ucDigit) != 0, c == '-', c == '_', c == '.', c == '*':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	*buf = b
	return bytesString(b)
}

// urlParameter implements url_extract_parameter.
func urlParameter(u *uri, name string, buf *[]byte) (strResult, error) {
	if !u.hasQuery {
		return strResult{null: true}, nil
	}
	q := u.rawQuery
	for {
		arg, rest, more := strings.Cut(q, "&")
		key, value, hasValue := strings.Cut(arg, "=")
		if key == name {
			if !hasValue {
				return strResult{}, nil
			}
			v, err := urlDecode(value, buf)
			if err != nil {
				return strResult{}, err
			}
			return strResult{s: v}, nil
		}
		if !more {
			return strResult{null: true}, nil
		}
		q = rest
	}
}
