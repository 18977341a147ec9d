package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Date and time formats the way Trino applies them. Trino parses and prints
// with Joda-Time: parse_datetime and format_datetime take a Joda pattern,
// date_parse and date_format a MySQL pattern that Trino translates to the
// same Joda building blocks. Both compile here to a timeFormat, a list of
// elements that parse and print as Joda's do:
//   - numbers accept up to a maximum count of digits (two for a day, a
//     month, an hour, ...), at least one, whatever the pattern's width;
//     a year accepts a sign and up to nine digits unless the next element
//     is numeric too;
//   - texts (month and day names, AM/PM) accept the short or the long English
//     form, as written or all lower or all upper case, longest first;
//   - literals match case-insensitively;
//   - the whole input must be consumed;
//   - fields not given default to 1970-01-01T00:00:00.000, except that the
//     year defaults to 2000 when the largest field given is a month or a day;
//   - the fields are then applied largest first, as Joda's
//     DateTimeParserBucket does, so that an impossible date is an error
//     ("Value 30 for dayOfMonth must be in the range [1,29]") and a day name
//     moves the date within its ISO week;
//   - a parsed offset (Z) or zone (ZZZ) places the local time; otherwise the
//     session zone does, which in Athena (and here) is UTC.
// Joda keeps milliseconds; parsing truncates finer fractions to them, as
// Trino's timestamp(3) results do.

type tfKind uint8

const (
	tfLiteral tfKind = iota
	tfYear
	tfYearOfEra
	tfWeekyear
	tfTwoDigitYear
	tfTwoDigitWeekyear
	tfCentury
	tfEra
	tfMonth
	tfMonthText
	tfDayOfMonth
	tfDayOfYear
	tfWeekOfWeekyear
	tfDayOfWeek
	tfDayOfWeekText
	tfHalfday
	tfHourOfDay
	tfClockhourOfDay
	tfHourOfHalfday
	tfClockhourOfHalfday
	tfMinute
	tfSecond
	tfFraction
	tfZoneOffset
	tfZoneID
	tfZoneName
)

type tfElem struct {
	kind      tfKind
	minDigits int    // printing: zero-pad to this width; fraction: at least this many digits
	maxDigits int    // parsing: read at most this many digits
	signed    bool   // numbers: a leading + or - is allowed
	short     bool   // texts: the abbreviated form when printing
	colon     bool   // offsets: print ±hh:mm rather than ±hhmm
	lenient   bool   // two-digit years: a longer number is a full year
	pivot     int    // two-digit years: the middle of the 100-year window
	lit       string // literal text
}

type timeFormat struct {
	elems []tfElem
}

var (
	monthNames = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = [7]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"} // ISO order: 1 = Monday
)

// ---- compiling patterns

func isJodaNumeric(tok string) bool {
	if tok == "" {
		return false
	}
	switch tok[0] {
	case 'c', 'C', 'x', 'y', 'Y', 'd', 'h', 'H', 'm', 's', 'S', 'e', 'D', 'F', 'W', 'w', 'k', 'K':
		return true
	case 'M':
		return len(tok) <= 2
	}
	return false
}

func isASCIILetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// jodaTokens splits a Joda pattern as DateTimeFormat does: runs of one
// letter, and literal text (marked by a leading quote) made of non-letters
// and quoted sections (two quotes stand for one).
func jodaTokens(p string) []string {
	var toks []string
	for i := 0; i < len(p); i++ {
		c := p[i]
		if isASCIILetter(c) {
			j := i + 1
			for j < len(p) && p[j] == c {
				j++
			}
			toks = append(toks, p[i:j])
			i = j - 1
			continue
		}
		var b strings.Builder
		b.WriteByte('\'')
		inLit := false
		for ; i < len(p); i++ {
			c = p[i]
			if c == '\'' {
				if i+1 < len(p) && p[i+1] == '\'' {
					i++
					b.WriteByte('\'')
				} else {
					inLit = !inLit
				}
			} else if !inLit && isASCIILetter(c) {
				i--
				break
			} else {
				b.WriteByte(c)
			}
		}
		toks = append(toks, b.String())
	}
	return toks
}

func num(kind tfKind, minDigits, maxDigits int) tfElem {
	if maxDigits < minDigits {
		maxDigits = minDigits
	}
	return tfElem{kind: kind, minDigits: minDigits, maxDigits: maxDigits}
}

// compileJoda compiles a Joda-Time pattern (DateTimeFormat.forPattern).
func compileJoda(p string) (*timeFormat, error) {
	if p == "" {
		return nil, errors.New("Invalid pattern specification")
	}
	toks := jodaTokens(p)
	f := &timeFormat{}
	nextNumeric := func(i int) bool { return i+1 < len(toks) && isJodaNumeric(toks[i+1]) }
	for i, tok := range toks {
		n := len(tok)
		switch tok[0] {
		case '\'':
			if len(tok) > 1 {
				f.elems = append(f.elems, tfElem{kind: tfLiteral, lit: tok[1:]})
			}
		case 'G':
			f.elems = append(f.elems, tfElem{kind: tfEra})
		case 'C':
			f.elems = append(f.elems, num(tfCentury, n, n))
		case 'x', 'y', 'Y':
			if n == 2 {
				kind := tfTwoDigitYear
				if tok[0] == 'x' {
					kind = tfTwoDigitWeekyear
				}
				f.elems = append(f.elems, tfElem{kind: kind, minDigits: 2, maxDigits: 2, lenient: !nextNumeric(i), pivot: time.Now().Year() - 30})
				continue
			}
			maxDigits := 9
			if nextNumeric(i) {
				maxDigits = n
			}
			e := num(tfYear, n, maxDigits)
			e.signed = true
			switch tok[0] {
			case 'x':
				e.kind = tfWeekyear
			case 'Y':
				e.kind, e.signed = tfYearOfEra, false
			}
			f.elems = append(f.elems, e)
		case 'M':
			if n >= 3 {
				f.elems = append(f.elems, tfElem{kind: tfMonthText, short: n == 3})
			} else {
				f.elems = append(f.elems, num(tfMonth, n, 2))
			}
		case 'd':
			f.elems = append(f.elems, num(tfDayOfMonth, n, 2))
		case 'a':
			f.elems = append(f.elems, tfElem{kind: tfHalfday})
		case 'h':
			f.elems = append(f.elems, num(tfClockhourOfHalfday, n, 2))
		case 'H':
			f.elems = append(f.elems, num(tfHourOfDay, n, 2))
		case 'k':
			f.elems = append(f.elems, num(tfClockhourOfDay, n, 2))
		case 'K':
			f.elems = append(f.elems, num(tfHourOfHalfday, n, 2))
		case 'm':
			f.elems = append(f.elems, num(tfMinute, n, 2))
		case 's':
			f.elems = append(f.elems, num(tfSecond, n, 2))
		case 'S':
			f.elems = append(f.elems, num(tfFraction, n, n))
		case 'e':
			f.elems = append(f.elems, num(tfDayOfWeek, n, 1))
		case 'E':
			f.elems = append(f.elems, tfElem{kind: tfDayOfWeekText, short: n < 4})
		case 'D':
			f.elems = append(f.elems, num(tfDayOfYear, n, 3))
		case 'w':
			f.elems = append(f.elems, num(tfWeekOfWeekyear, n, 2))
		case 'z':
			f.elems = append(f.elems, tfElem{kind: tfZoneName, short: n < 4})
		case 'Z':
			switch n {
			case 1:
				f.elems = append(f.elems, tfElem{kind: tfZoneOffset})
			case 2:
				f.elems = append(f.elems, tfElem{kind: tfZoneOffset, colon: true})
			default:
				f.elems = append(f.elems, tfElem{kind: tfZoneID})
			}
		default:
			return nil, fmt.Errorf("Illegal pattern component: %s", tok)
		}
	}
	return f, nil
}

// trinoPivotYear is the middle of the window of MySQL's %y in Trino: 70-99
// are 1970-1999, 00-69 are 2000-2069.
const trinoPivotYear = 2020

// compileMySQL compiles a MySQL format the way Trino's date_parse and
// date_format translate it (DateTimeFunctions.createDateTimeFormatter).
func compileMySQL(p string) (*timeFormat, error) {
	f := &timeFormat{}
	lit := func(s string) {
		if n := len(f.elems); n > 0 && f.elems[n-1].kind == tfLiteral {
			f.elems[n-1].lit += s
			return
		}
		f.elems = append(f.elems, tfElem{kind: tfLiteral, lit: s})
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			lit(p[i : i+1])
			continue
		}
		i++
		if i == len(p) {
			break // a trailing % is ignored
		}
		switch c = p[i]; c {
		case 'a':
			f.elems = append(f.elems, tfElem{kind: tfDayOfWeekText, short: true})
		case 'b':
			f.elems = append(f.elems, tfElem{kind: tfMonthText, short: true})
		case 'c':
			f.elems = append(f.elems, num(tfMonth, 1, 2))
		case 'd':
			f.elems = append(f.elems, num(tfDayOfMonth, 2, 2))
		case 'e':
			f.elems = append(f.elems, num(tfDayOfMonth, 1, 2))
		case 'f':
			f.elems = append(f.elems, num(tfFraction, 6, 9))
		case 'H':
			f.elems = append(f.elems, num(tfHourOfDay, 2, 2))
		case 'h', 'I':
			f.elems = append(f.elems, num(tfClockhourOfHalfday, 2, 2))
		case 'i':
			f.elems = append(f.elems, num(tfMinute, 2, 2))
		case 'j':
			f.elems = append(f.elems, num(tfDayOfYear, 3, 3))
		case 'k':
			f.elems = append(f.elems, num(tfHourOfDay, 1, 2))
		case 'l':
			f.elems = append(f.elems, num(tfClockhourOfHalfday, 1, 2))
		case 'M':
			f.elems = append(f.elems, tfElem{kind: tfMonthText})
		case 'm':
			f.elems = append(f.elems, num(tfMonth, 2, 2))
		case 'p':
			f.elems = append(f.elems, tfElem{kind: tfHalfday})
		case 'r':
			f.elems = append(f.elems, num(tfClockhourOfHalfday, 2, 2))
			lit(":")
			f.elems = append(f.elems, num(tfMinute, 2, 2))
			lit(":")
			f.elems = append(f.elems, num(tfSecond, 2, 2))
			lit(" ")
			f.elems = append(f.elems, tfElem{kind: tfHalfday})
		case 'S', 's':
			f.elems = append(f.elems, num(tfSecond, 2, 2))
		case 'T':
			f.elems = append(f.elems, num(tfHourOfDay, 2, 2))
			lit(":")
			f.elems = append(f.elems, num(tfMinute, 2, 2))
			lit(":")
			f.elems = append(f.elems, num(tfSecond, 2, 2))
		case 'v':
			f.elems = append(f.elems, num(tfWeekOfWeekyear, 2, 2))
		case 'x':
			e := num(tfWeekyear, 4, 4)
			e.signed = true
			f.elems = append(f.elems, e)
		case 'W':
			f.elems = append(f.elems, tfElem{kind: tfDayOfWeekText})
		case 'Y':
			e := num(tfYear, 4, 4)
			e.signed = true
			f.elems = append(f.elems, e)
		case 'y':
			f.elems = append(f.elems, tfElem{kind: tfTwoDigitYear, minDigits: 2, maxDigits: 2, pivot: trinoPivotYear})
		case 'w', 'U', 'u', 'V', 'X', 'D':
			return nil, fmt.Errorf("%%%c not supported in date format string", c)
		default: // %% and %<x>: the character itself
			lit(p[i : i+1])
		}
	}
	return f, nil
}

// ---- parsing

// The fields a parse sets, in the order Joda applies them (largest range
// first, then largest unit).
const (
	pfYear = iota
	pfWeekyear
	pfMonth
	pfWeekOfWeekyear
	pfDayOfYear
	pfDayOfMonth
	pfDayOfWeek
	pfHalfday
	pfHourOfDay
	pfClockhourOfDay
	pfHourOfHalfday
	pfClockhourOfHalfday
	pfMinute
	pfSecond
	pfMillis
	pfCount
)

var pfNames = [pfCount]string{"year", "weekyear", "monthOfYear", "weekOfWeekyear", "dayOfYear", "dayOfMonth", "dayOfWeek", "halfdayOfDay", "hourOfDay", "clockhourOfDay", "hourOfHalfday", "clockhourOfHalfday", "minuteOfHour", "secondOfMinute", "millisOfSecond"}

type parseState struct {
	set       uint32
	vals      [pfCount]int
	offset    int // seconds east of UTC, when hasOffset
	hasOffset bool
	loc       *time.Location
}

func (ps *parseState) save(f, v int) {
	ps.set |= 1 << f
	ps.vals[f] = v
}

// parseError is Joda's message for input that does not match the pattern.
func parseError(s string, pos int) error {
	if pos >= len(s) {
		return fmt.Errorf("Invalid format: %q is too short", s)
	}
	return fmt.Errorf("Invalid format: %q is malformed at %q", s, s[pos:])
}

// parseTime parses s. It returns the instant as microseconds since the
// epoch (truncated to milliseconds, as Joda keeps them).
func (f *timeFormat) parseTime(s string) (int64, error) {
	var ps parseState
	pos := 0
	for i := range f.elems {
		e := &f.elems[i]
		next, err := e.parse(s, pos, &ps)
		if err != nil {
			return 0, err
		}
		if next < 0 {
			return 0, parseError(s, pos)
		}
		pos = next
	}
	if pos < len(s) {
		return 0, parseError(s, pos)
	}
	local, err := ps.localMillis(s)
	if err != nil {
		return 0, err
	}
	switch {
	case ps.hasOffset:
		local -= int64(ps.offset) * 1000
	case ps.loc != nil:
		local = zoneLocalToUTC(local, ps.loc)
	}
	return local * 1000, nil
}

// zoneLocalToUTC converts local wall-clock milliseconds in loc to UTC.
func zoneLocalToUTC(local int64, loc *time.Location) int64 {
	days, ms := floorDiv(local, msPerDay), floorMod(local, msPerDay)
	y, m, d := civilFromDays(days)
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc).Add(time.Duration(ms) * time.Millisecond)
	return t.UnixMilli()
}

func digitsAt(s string, pos, max int) int {
	n := 0
	for pos+n < len(s) && n < max && s[pos+n] >= '0' && s[pos+n] <= '9' {
		n++
	}
	return n
}

// parseNumber reads a number as Joda's NumberFormatter does; it returns the
// value and the next position, or -1.
func parseNumber(s string, pos, maxDigits int, signed bool) (int, int) {
	limit := min(maxDigits, len(s)-pos)
	neg := false
	start := pos
	if signed && limit > 0 && (s[pos] == '-' || s[pos] == '+') {
		if limit < 2 || pos+1 >= len(s) || s[pos+1] < '0' || s[pos+1] > '9' {
			return 0, -1
		}
		neg = s[pos] == '-'
		pos++
		start = pos
		limit = min(limit, len(s)-pos)
	}
	n := digitsAt(s, start, limit)
	if n == 0 {
		return 0, -1
	}
	v := 0
	for _, c := range []byte(s[start : start+n]) {
		v = v*10 + int(c-'0')
		if v > 1<<31 {
			return 0, -1
		}
	}
	if neg {
		v = -v
	}
	return v, start + n
}

// textForms lists the texts a Joda text field accepts: each name and its
// abbreviation, as written, in lower case and in upper case.
type textForms struct {
	forms   []string
	value   []int
	byFirst [256][]int // indexes of the forms by first byte
}

func newTextForms(names []string, abbrev int) *textForms {
	t := &textForms{}
	for i, name := range names {
		variants := []string{name}
		if abbrev > 0 {
			variants = append(variants, name[:abbrev])
		}
		for _, v := range variants {
			for _, f := range []string{v, strings.ToLower(v), strings.ToUpper(v)} {
				if slices.Contains(t.forms, f) {
					continue
				}
				t.byFirst[f[0]] = append(t.byFirst[f[0]], len(t.forms))
				t.forms = append(t.forms, f)
				t.value = append(t.value, i)
			}
		}
	}
	return t
}

var (
	monthForms   = newTextForms(monthNames[:], 3)
	dayForms     = newTextForms(dayNames[:], 3)
	halfdayForms = newTextForms([]string{"AM", "PM"}, 0)
	eraForms     = newTextForms([]string{"BC", "AD"}, 0)
)

// matchText finds the longest of the forms at s[pos:]; it returns its
// value and the next position, or -1.
func matchText(s string, pos int, t *textForms) (int, int) {
	best, bestLen := -1, 0
	if pos >= len(s) {
		return 0, -1
	}
	rest := s[pos:]
	for _, i := range t.byFirst[rest[0]] {
		if f := t.forms[i]; len(f) > bestLen && strings.HasPrefix(rest, f) {
			best, bestLen = t.value[i], len(f)
		}
	}
	if best < 0 {
		return 0, -1
	}
	return best, pos + bestLen
}

var zoneNames = map[string]string{
	"UT": "UTC", "UTC": "UTC", "GMT": "UTC",
	"EST": "America/New_York", "EDT": "America/New_York",
	"CST": "America/Chicago", "CDT": "America/Chicago",
	"MST": "America/Denver", "MDT": "America/Denver",
	"PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
}

// parse parses one element at s[pos:]; it returns the next position, or -1
// when the input does not match.
func (e *tfElem) parse(s string, pos int, ps *parseState) (int, error) {
	switch e.kind {
	case tfLiteral:
		if len(s)-pos < len(e.lit) || !strings.EqualFold(s[pos:pos+len(e.lit)], e.lit) {
			return -1, nil
		}
		return pos + len(e.lit), nil
	case tfYear, tfYearOfEra, tfWeekyear:
		v, next := parseNumber(s, pos, e.maxDigits, e.signed)
		if next < 0 {
			return -1, nil
		}
		f := pfYear
		if e.kind == tfWeekyear {
			f = pfWeekyear
		}
		ps.save(f, v)
		return next, nil
	case tfTwoDigitYear, tfTwoDigitWeekyear:
		f := pfYear
		if e.kind == tfTwoDigitWeekyear {
			f = pfWeekyear
		}
		if e.lenient {
			// Joda: more than two digits, or a sign, is a full year.
			n := digitsAt(s, pos, 10)
			if (pos < len(s) && (s[pos] == '-' || s[pos] == '+')) || n != 2 {
				v, next := parseNumber(s, pos, 9, true)
				if next < 0 {
					return -1, nil
				}
				ps.save(f, v)
				return next, nil
			}
		}
		if digitsAt(s, pos, 2) < 2 {
			return -1, nil
		}
		v := int(s[pos]-'0')*10 + int(s[pos+1]-'0')
		low := e.pivot - 50
		t := low % 100
		if v < t {
			v += 100
		}
		ps.save(f, v+low-t)
		return pos + 2, nil
	case tfCentury:
		return -1, errors.New("Parsing of the century of era (C) is not supported")
	case tfEra:
		i, next := matchText(s, pos, eraForms)
		if next < 0 {
			return -1, nil
		}
		if i == 0 {
			return -1, errors.New("Parsing of years before the common era is not supported")
		}
		return next, nil
	case tfMonthText:
		i, next := matchText(s, pos, monthForms)
		if next < 0 {
			return -1, nil
		}
		ps.save(pfMonth, i+1)
		return next, nil
	case tfDayOfWeekText:
		i, next := matchText(s, pos, dayForms)
		if next < 0 {
			return -1, nil
		}
		ps.save(pfDayOfWeek, i+1)
		return next, nil
	case tfHalfday:
		i, next := matchText(s, pos, halfdayForms)
		if next < 0 {
			return -1, nil
		}
		ps.save(pfHalfday, i)
		return next, nil
	case tfFraction:
		n := digitsAt(s, pos, e.maxDigits)
		if n == 0 {
			return -1, nil
		}
		ms := 0
		for i := range 3 {
			ms *= 10
			if i < n {
				ms += int(s[pos+i] - '0')
			}
		}
		ps.save(pfMillis, ms)
		return pos + n, nil
	case tfZoneOffset:
		return parseOffset(s, pos, ps), nil
	case tfZoneID:
		j := pos
		for j < len(s) && (isASCIILetter(s[j]) || s[j] >= '0' && s[j] <= '9' || strings.IndexByte("/_+-", s[j]) >= 0) {
			j++
		}
		if j == pos {
			return -1, nil
		}
		loc, err := time.LoadLocation(s[pos:j])
		if err != nil || s[pos:j] == "Local" {
			return -1, nil
		}
		ps.loc, ps.hasOffset = loc, false
		return j, nil
	case tfZoneName:
		j := pos
		for j < len(s) && s[j] >= 'A' && s[j] <= 'Z' {
			j++
		}
		id, ok := zoneNames[s[pos:j]]
		if !ok {
			return -1, nil
		}
		loc, err := time.LoadLocation(id)
		if err != nil {
			return -1, fmt.Errorf("time zone %s is not available", id)
		}
		ps.loc, ps.hasOffset = loc, false
		return j, nil
	}
	// numeric fields
	v, next := parseNumber(s, pos, e.maxDigits, e.signed)
	if next < 0 {
		return -1, nil
	}
	var f int
	switch e.kind {
	case tfMonth:
		f = pfMonth
	case tfDayOfMonth:
		f = pfDayOfMonth
	case tfDayOfYear:
		f = pfDayOfYear
	case tfWeekOfWeekyear:
		f = pfWeekOfWeekyear
	case tfDayOfWeek:
		f = pfDayOfWeek
	case tfHourOfDay:
		f = pfHourOfDay
	case tfClockhourOfDay:
		f = pfClockhourOfDay
	case tfHourOfHalfday:
		f = pfHourOfHalfday
	case tfClockhourOfHalfday:
		f = pfClockhourOfHalfday
	case tfMinute:
		f = pfMinute
	case tfSecond:
		f = pfSecond
	default:
		return -1, fmt.Errorf("unexpected format element %d", e.kind)
	}
	ps.save(f, v)
	return next, nil
}

// parseOffset reads Z, or ±hh[[:]mm[[:]ss]] (Joda's TimeZoneOffset
// parser); it returns the next position, or -1.
func parseOffset(s string, pos int, ps *parseState) int {
	if pos < len(s) && (s[pos] == 'Z' || s[pos] == 'z') {
		ps.offset, ps.hasOffset, ps.loc = 0, true, nil
		return pos + 1
	}
	if len(s)-pos < 2 || (s[pos] != '+' && s[pos] != '-') {
		return -1
	}
	neg := s[pos] == '-'
	pos++
	if digitsAt(s, pos, 2) < 2 {
		return -1
	}
	h := int(s[pos]-'0')*10 + int(s[pos+1]-'0')
	if h > 23 {
		return -1
	}
	off := h * 3600
	pos += 2
	if pos < len(s) && (s[pos] == ':' || s[pos] >= '0' && s[pos] <= '9') {
		sep := s[pos] == ':'
		if sep {
			pos++
		}
		for _, unit := range []int{60, 1} {
			n := digitsAt(s, pos, 2)
			if n == 0 && !sep {
				break
			}
			if n < 2 {
				return -1
			}
			v := int(s[pos]-'0')*10 + int(s[pos+1]-'0')
			if v > 59 {
				return -1
			}
			off += v * unit
			pos += 2
			if unit == 1 || pos >= len(s) {
				break
			}
			if sep {
				if s[pos] != ':' {
					break
				}
				pos++
			}
		}
	}
	if neg {
		off = -off
	}
	ps.offset, ps.hasOffset, ps.loc = off, true, nil
	return pos
}

const msPerDay = 86_400_000

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date.
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (int, int, int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isoDow is the ISO day of the week (1 = Monday) of a day number.
func isoDow(days int64) int { return int(floorMod(days+3, 7)) + 1 }

// isoWeek returns the ISO week-based year and week of a day number.
func isoWeek(days int64) (int, int) {
	thursday := days - int64(isoDow(days)) + 4
	y, _, _ := civilFromDays(thursday)
	return y, int((thursday-daysFromCivil(y, 1, 1))/7) + 1
}

// isoWeekStart is the day number of the Monday of week 1 of a weekyear.
func isoWeekStart(wy int) int64 {
	jan4 := daysFromCivil(wy, 1, 4)
	return jan4 - int64(isoDow(jan4)) + 1
}

func weeksInWeekyear(wy int) int {
	return int((isoWeekStart(wy+1) - isoWeekStart(wy)) / 7)
}

// localMillis combines the parsed fields into local milliseconds since the
// epoch, following Joda's DateTimeParserBucket.computeMillis.
func (ps *parseState) localMillis(text string) (int64, error) {
	const ymdhms = 1<<pfYear | 1<<pfMonth | 1<<pfDayOfMonth | 1<<pfHourOfDay | 1<<pfMinute | 1<<pfSecond | 1<<pfMillis
	first := -1
	for f := range pfCount {
		if ps.set&(1<<f) != 0 {
			first = f
			break
		}
	}
	if first >= pfMonth && first <= pfDayOfWeek {
		ps.save(pfYear, 2000) // Joda's default year for month-day patterns
	}
	if ps.set&^ymdhms == 0 {
		// The common case: plain fields, each in range or an error.
		y, m, d := 1970, 1, 1
		if ps.set&(1<<pfYear) != 0 {
			y = ps.vals[pfYear]
		}
		if ps.set&(1<<pfMonth) != 0 {
			if m = ps.vals[pfMonth]; m < 1 || m > 12 {
				return 0, fieldError(text, pfMonth, m, 1, 12)
			}
		}
		if ps.set&(1<<pfDayOfMonth) != 0 {
			if d = ps.vals[pfDayOfMonth]; d < 1 || d > daysInMonth(y, m) {
				return 0, fieldError(text, pfDayOfMonth, d, 1, daysInMonth(y, m))
			}
		}
		ms := int64(0)
		for _, c := range []struct{ f, max, unit int }{{pfHourOfDay, 23, 3_600_000}, {pfMinute, 59, 60_000}, {pfSecond, 59, 1000}, {pfMillis, 999, 1}} {
			if ps.set&(1<<c.f) != 0 {
				v := ps.vals[c.f]
				if v < 0 || v > c.max {
					return 0, fieldError(text, c.f, v, 0, c.max)
				}
				ms += int64(v) * int64(c.unit)
			}
		}
		return daysFromCivil(y, m, d)*msPerDay + ms, nil
	}
	// The general case: set each field in turn, rounding down below it,
	// then set them all again (the last one rounding), as Joda does.
	var fields []int
	for f := range pfCount {
		if ps.set&(1<<f) != 0 {
			fields = append(fields, f)
		}
	}
	var t int64
	var err error
	for _, f := range fields {
		if t, err = setField(t, f, ps.vals[f], true, text); err != nil {
			return 0, err
		}
	}
	for i, f := range fields {
		if t, err = setField(t, f, ps.vals[f], i == len(fields)-1, text); err != nil {
			return 0, err
		}
	}
	return t, nil
}

func fieldError(text string, f, v, lo, hi int) error {
	return fmt.Errorf("Cannot parse %q: Value %d for %s must be in the range [%d,%d]", text, v, pfNames[f], lo, hi)
}

// setField sets one field of local milliseconds t, as Joda's
// DateTimeField.set does, then rounds down to the field when floor is set.
func setField(t int64, f, v int, floor bool, text string) (int64, error) {
	days, ms := floorDiv(t, msPerDay), floorMod(t, msPerDay)
	y, m, d := civilFromDays(days)
	hour := int(ms / 3_600_000)
	check := func(lo, hi int) error {
		if v < lo || v > hi {
			return fieldError(text, f, v, lo, hi)
		}
		return nil
	}
	switch f {
	case pfYear:
		if err := check(-292275054, 292278993); err != nil {
			return 0, err
		}
		if m == 2 && d == 29 && !isLeap(v) {
			d = 28
		}
		days = daysFromCivil(v, m, d)
		if floor {
			return daysFromCivil(v, 1, 1) * msPerDay, nil
		}
	case pfWeekyear:
		if err := check(-292275054, 292278993); err != nil {
			return 0, err
		}
		_, w := isoWeek(days)
		w = min(w, weeksInWeekyear(v))
		days = isoWeekStart(v) + int64(w-1)*7 + int64(isoDow(days)-1)
		if floor {
			return isoWeekStart(v) * msPerDay, nil
		}
	case pfMonth:
		if err := check(1, 12); err != nil {
			return 0, err
		}
		days = daysFromCivil(y, v, min(d, daysInMonth(y, v)))
		if floor {
			return daysFromCivil(y, v, 1) * msPerDay, nil
		}
	case pfWeekOfWeekyear:
		wy, w := isoWeek(days)
		if err := check(1, weeksInWeekyear(wy)); err != nil {
			return 0, err
		}
		days += int64(v-w) * 7
		if floor {
			return (days - int64(isoDow(days)) + 1) * msPerDay, nil
		}
	case pfDayOfYear:
		n := 365
		if isLeap(y) {
			n = 366
		}
		if err := check(1, n); err != nil {
			return 0, err
		}
		days = daysFromCivil(y, 1, 1) + int64(v-1)
	case pfDayOfMonth:
		if err := check(1, daysInMonth(y, m)); err != nil {
			return 0, err
		}
		days = daysFromCivil(y, m, v)
	case pfDayOfWeek:
		if err := check(1, 7); err != nil {
			return 0, err
		}
		days += int64(v - isoDow(days))
	case pfHalfday:
		if err := check(0, 1); err != nil {
			return 0, err
		}
		ms += int64((v*12+hour%12)-hour) * 3_600_000
		if floor {
			return days*msPerDay + int64(v*12)*3_600_000, nil
		}
	case pfHourOfDay, pfClockhourOfDay, pfHourOfHalfday, pfClockhourOfHalfday:
		var h int
		switch f {
		case pfHourOfDay:
			if err := check(0, 23); err != nil {
				return 0, err
			}
			h = v
		case pfClockhourOfDay:
			if err := check(1, 24); err != nil {
				return 0, err
			}
			h = v % 24
		case pfHourOfHalfday:
			if err := check(0, 11); err != nil {
				return 0, err
			}
			h = hour/12*12 + v
		default:
			if err := check(1, 12); err != nil {
				return 0, err
			}
			h = hour/12*12 + v%12
		}
		ms += int64(h-hour) * 3_600_000
		if floor {
			ms = ms / 3_600_000 * 3_600_000
		}
	case pfMinute:
		if err := check(0, 59); err != nil {
			return 0, err
		}
		ms += int64(v-int(ms/60_000%60)) * 60_000
		if floor {
			ms = ms / 60_000 * 60_000
		}
	case pfSecond:
		if err := check(0, 59); err != nil {
			return 0, err
		}
		ms += int64(v-int(ms/1000%60)) * 1000
		if floor {
			ms = ms / 1000 * 1000
		}
	case pfMillis:
		if err := check(0, 999); err != nil {
			return 0, err
		}
		ms += int64(v - int(ms%1000))
	}
	if floor && f <= pfDayOfWeek {
		ms = 0
	}
	return days*msPerDay + ms, nil
}

// ---- printing

// appendPadded appends v zero-padded to width digits (a minus sign first
// for negative values).
func appendPadded(b []byte, v int64, width int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendTime appends the instant (microseconds since the epoch, printed in
// UTC) formatted.
func (f *timeFormat) appendTime(b []byte, micros int64) []byte {
	days := floorDiv(micros, 86_400_000_000)
	us := floorMod(micros, 86_400_000_000)
	y, m, d := civilFromDays(days)
	hour := int(us / 3_600_000_000)
	for i := range f.elems {
		e := &f.elems[i]
		switch e.kind {
		case tfLiteral:
			b = append(b, e.lit...)
		case tfYear:
			b = appendPadded(b, int64(y), e.minDigits)
		case tfYearOfEra:
			ye := y
			if ye <= 0 {
				ye = 1 - ye
			}
			b = appendPadded(b, int64(ye), e.minDigits)
		case tfWeekyear, tfTwoDigitWeekyear:
			wy, _ := isoWeek(days)
			if e.kind == tfTwoDigitWeekyear {
				b = appendPadded(b, int64(floorMod(int64(wy), 100)), 2)
			} else {
				b = appendPadded(b, int64(wy), e.minDigits)
			}
		case tfTwoDigitYear:
			b = appendPadded(b, floorMod(int64(y), 100), 2)
		case tfCentury:
			ye := y
			if ye <= 0 {
				ye = 1 - ye
			}
			b = appendPadded(b, int64(ye/100), e.minDigits)
		case tfEra:
			if y <= 0 {
				b = append(b, "BC"...)
			} else {
				b = append(b, "AD"...)
			}
		case tfMonth:
			b = appendPadded(b, int64(m), e.minDigits)
		case tfMonthText:
			if e.short {
				b = append(b, monthNames[m-1][:3]...)
			} else {
				b = append(b, monthNames[m-1]...)
			}
		case tfDayOfMonth:
			b = appendPadded(b, int64(d), e.minDigits)
		case tfDayOfYear:
			b = appendPadded(b, days-daysFromCivil(y, 1, 1)+1, e.minDigits)
		case tfWeekOfWeekyear:
			_, w := isoWeek(days)
			b = appendPadded(b, int64(w), e.minDigits)
		case tfDayOfWeek:
			b = appendPadded(b, int64(isoDow(days)), e.minDigits)
		case tfDayOfWeekText:
			if e.short {
				b = append(b, dayNames[isoDow(days)-1][:3]...)
			} else {
				b = append(b, dayNames[isoDow(days)-1]...)
			}
		case tfHalfday:
			if hour < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case tfHourOfDay:
			b = appendPadded(b, int64(hour), e.minDigits)
		case tfClockhourOfDay:
			h := hour
			if h == 0 {
				h = 24
			}
			b = appendPadded(b, int64(h), e.minDigits)
		case tfHourOfHalfday:
			b = appendPadded(b, int64(hour%12), e.minDigits)
		case tfClockhourOfHalfday:
			h := hour % 12
			if h == 0 {
				h = 12
			}
			b = appendPadded(b, int64(h), e.minDigits)
		case tfMinute:
			b = appendPadded(b, us/60_000_000%60, e.minDigits)
		case tfSecond:
			b = appendPadded(b, us/1_000_000%60, e.minDigits)
		case tfFraction:
			b = appendFraction(b, us%1_000_000, e.minDigits, e.maxDigits)
		case tfZoneOffset:
			if e.colon {
				b = append(b, "+00:00"...)
			} else {
				b = append(b, "+0000"...)
			}
		case tfZoneID:
			b = append(b, "UTC"...)
		case tfZoneName:
			if e.short {
				b = append(b, "UTC"...)
			} else {
				b = append(b, "Coordinated Universal Time"...)
			}
		}
	}
	return b
}

// appendFraction prints the fraction of a second (in microseconds) with
// maxDigits digits, trailing zeros dropped down to minDigits (Joda's
// Fraction printer).
func appendFraction(b []byte, us int64, minDigits, maxDigits int) []byte {
	var digits [9]byte
	v := us
	for i := 5; i >= 0; i-- {
		digits[i] = byte('0' + v%10)
		v /= 10
	}
	for i := 6; i < 9; i++ {
		digits[i] = '0'
	}
	n := min(maxDigits, 9)
	for n > minDigits && digits[n-1] == '0' {
		n--
	}
	b = append(b, digits[:n]...)
	for i := n; i < minDigits; i++ { // beyond nanoseconds
		b = append(b, '0')
	}
	return b
}

// ---- ISO 8601 (from_iso8601_timestamp, from_iso8601_date)

// isoParser reads ISO 8601 text as Joda's ISODateTimeFormat.dateTimeParser
// does: date [T time] [offset], or T time [offset], where the date is
// yyyy[-MM[-dd]], yyyy-DDD or xxxx-Www[-e], the time HH[:mm[:ss]] with an
// optional fraction (. or ,) on its last part, and the offset Z or ±hh[:mm].
type isoParser struct {
	s   string
	pos int
}

func (p *isoParser) eat(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *isoParser) number(maxDigits int, signed bool) (int, bool) {
	v, next := parseNumber(p.s, p.pos, maxDigits, signed)
	if next < 0 {
		return 0, false
	}
	p.pos = next
	return v, true
}

// date parses a date element into days since the epoch.
func (p *isoParser) date(text string) (int64, error) {
	bad := func() (int64, error) { return 0, parseError(text, p.pos) }
	y, ok := p.number(9, true)
	if !ok {
		return bad()
	}
	if !p.eat('-') {
		return daysFromCivil(y, 1, 1), nil
	}
	if p.eat('W') {
		w, ok := p.number(2, false)
		if !ok {
			return bad()
		}
		dow := 1
		if p.eat('-') {
			if dow, ok = p.number(1, false); !ok {
				return bad()
			}
		}
		if w < 1 || w > weeksInWeekyear(y) {
			return 0, fieldError(text, pfWeekOfWeekyear, w, 1, weeksInWeekyear(y))
		}
		if dow < 1 || dow > 7 {
			return 0, fieldError(text, pfDayOfWeek, dow, 1, 7)
		}
		return isoWeekStart(y) + int64(w-1)*7 + int64(dow-1), nil
	}
	if n := digitsAt(p.s, p.pos, 4); n == 3 {
		doy, _ := p.number(3, false)
		max := 365
		if isLeap(y) {
			max = 366
		}
		if doy < 1 || doy > max {
			return 0, fieldError(text, pfDayOfYear, doy, 1, max)
		}
		return daysFromCivil(y, 1, 1) + int64(doy-1), nil
	}
	m, ok := p.number(2, false)
	if !ok {
		return bad()
	}
	if m < 1 || m > 12 {
		return 0, fieldError(text, pfMonth, m, 1, 12)
	}
	d := 1
	if p.eat('-') {
		if d, ok = p.number(2, false); !ok {
			return bad()
		}
		if d < 1 || d > daysInMonth(y, m) {
			return 0, fieldError(text, pfDayOfMonth, d, 1, daysInMonth(y, m))
		}
	}
	return daysFromCivil(y, m, d), nil
}

// fraction reads [.,]digits as a fraction of unit milliseconds.
func (p *isoParser) fraction(unit int64) (int64, bool) {
	if p.pos+1 >= len(p.s) || (p.s[p.pos] != '.' && p.s[p.pos] != ',') || p.s[p.pos+1] < '0' || p.s[p.pos+1] > '9' {
		return 0, false
	}
	p.pos++
	n := digitsAt(p.s, p.pos, 9)
	var v, scale int64 = 0, 1
	for i := range n {
		v = v*10 + int64(p.s[p.pos+i]-'0')
		scale *= 10
	}
	p.pos += n
	return v * unit / scale, true
}

// time parses a time element into milliseconds of the day.
func (p *isoParser) time(text string) (int64, error) {
	h, ok := p.number(2, false)
	if !ok {
		return 0, parseError(text, p.pos)
	}
	if h > 23 {
		return 0, fieldError(text, pfHourOfDay, h, 0, 23)
	}
	ms := int64(h) * 3_600_000
	if f, ok := p.fraction(3_600_000); ok {
		return ms + f, nil
	}
	if !p.eat(':') {
		return ms, nil
	}
	mi, ok := p.number(2, false)
	if !ok {
		return 0, parseError(text, p.pos)
	}
	if mi > 59 {
		return 0, fieldError(text, pfMinute, mi, 0, 59)
	}
	ms += int64(mi) * 60_000
	if f, ok := p.fraction(60_000); ok {
		return ms + f, nil
	}
	if !p.eat(':') {
		return ms, nil
	}
	sec, ok := p.number(2, false)
	if !ok {
		return 0, parseError(text, p.pos)
	}
	if sec > 59 {
		return 0, fieldError(text, pfSecond, sec, 0, 59)
	}
	ms += int64(sec) * 1000
	if f, ok := p.fraction(1000); ok {
		ms += f
	}
	return ms, nil
}

// parseISOTimestamp implements from_iso8601_timestamp; it returns
// microseconds since the epoch (milliseconds precision).
func parseISOTimestamp(s string) (int64, error) {
	// Fast path: CloudTrail's eventTime, yyyy-MM-ddTHH:mm:ssZ.
	if len(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		var v [6]int
		ok := true
		for i, at := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
			for j := at[0]; j < at[1]; j++ {
				c := s[j]
				if c < '0' || c > '9' {
					ok = false
					break
				}
				v[i] = v[i]*10 + int(c-'0')
			}
		}
		if ok && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= daysInMonth(v[0], v[1]) && v[3] <= 23 && v[4] <= 59 && v[5] <= 59 {
			return (daysFromCivil(v[0], v[1], v[2])*86400 + int64(v[3]*3600+v[4]*60+v[5])) * 1_000_000, nil
		}
	}
	p := isoParser{s: s}
	var days, ms int64
	var err error
	if p.eat('T') {
		if ms, err = p.time(s); err != nil {
			return 0, err
		}
	} else {
		if days, err = p.date(s); err != nil {
			return 0, err
		}
		if p.eat('T') && p.pos < len(s) && s[p.pos] >= '0' && s[p.pos] <= '9' {
			if ms, err = p.time(s); err != nil {
				return 0, err
			}
		}
	}
	var ps parseState
	if p.pos < len(s) {
		next := parseOffset(s, p.pos, &ps)
		if next < 0 {
			return 0, parseError(s, p.pos)
		}
		p.pos = next
	}
	if p.pos < len(s) {
		return 0, parseError(s, p.pos)
	}
	return (days*msPerDay + ms - int64(ps.offset)*1000) * 1000, nil
}

// parseISODate implements from_iso8601_date; it returns days since the
// epoch.
func parseISODate(s string) (int64, error) {
	p := isoParser{s: s}
	days, err := p.date(s)
	if err != nil {
		return 0, err
	}
	if p.pos < len(s) {
		return 0, parseError(s, p.pos)
	}
	return days, nil
}
