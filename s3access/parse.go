// Package s3access reads S3 server access logs: the space-delimited line
// format (ParseLine, Format, Reader, Sniff) and the key layouts S3 delivers
// them under (ParseKey, DayPrefix, PartitionedDayPrefix). It does no network
// I/O and knows nothing of the store.
//
// Records are shaped like AWS's Athena regex table for access logs: string
// fields hold the text of the field exactly as logged ("-" stays "-", quoted
// fields keep their double quotes), bytessent and objectsize are numbers that
// are absent for "-", and fields the line did not have are absent. See
// keytrail.AccessLogRecord.
package s3access

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/keytrail/keytrail"
)

// MinFields is the number of fields of the oldest access-log lines (up to
// versionid). ParseLine rejects lines with fewer fields.
const MinFields = 18

// KnownFields is the number of fields keytrail knows by name (up to
// sourceregion). Fields after them go to AccessLogRecord.Extra.
const KnownFields = 27

// Field positions (0-based) in a line.
const (
	fBucketOwner = iota
	fBucket
	fTime
	fRemoteIP
	fRequester
	fRequestID
	fOperation
	fKey
	fRequestURI
	fHTTPStatus
	fErrorCode
	fBytesSent
	fObjectSize
	fTotalTime
	fTurnAroundTime
	fReferrer
	fUserAgent
	fVersionID
	fHostID
	fSigV
	fCipherSuite
	fAuthType
	fEndpoint
	fTLSVersion
	fAccessPointARN
	fACLRequired
	fSourceRegion
)

// fieldNames are the Athena column names, used in error messages.
var fieldNames = [KnownFields]string{
	"bucketowner", "bucket_name", "requestdatetime", "remoteip", "requester",
	"requestid", "operation", "key", "request_uri", "httpstatus", "errorcode",
	"bytessent", "objectsize", "totaltime", "turnaroundtime", "referrer",
	"useragent", "versionid", "hostid", "sigv", "ciphersuite", "authtype",
	"endpoint", "tlsversion", "accesspointarn", "aclrequired", "sourceregion",
}

// span is a field's position in the line: s[lo:hi].
type span struct{ lo, hi int }

// ParseLine parses one access-log line into rec. rec is reset first, so a
// record can be reused from line to line; on error rec is left zeroed.
//
// Trailing '\r' and '\n' bytes are ignored. Fields are separated by single
// spaces. A field that starts with '"' keeps its quotes and may hold spaces;
// it ends at a '"' followed by a space or the end of the line. S3 does not
// escape quotes inside such fields (a request URI can read "GET /" HTTP/1.1"),
// so for request_uri, referrer and useragent the closing quote is the first
// such quote after which the next field fits: httpstatus (digits or "-"), a
// quoted or "-" useragent, and a versionid without quotes. The third field is
// the bracketed time, stored without brackets in RequestDateTime and,
// converted to UTC, in Time. A requester that holds spaces (a CloudFront
// origin access identity) is recognised when the seventh field is not an
// operation, by finding the operation field (REST., SOAP., WEBSITE., BATCH.
// or S3. followed by a name) after it; when none is found the fields are
// taken as split. Bytes that are not UTF-8 are kept as they are.
//
// Lines of 18 to 27 fields fill the fields they have; fields 19 to 27 that
// are missing are absent (Valid=false); fields after the 27th are kept in
// rec.Extra. ParseLine returns an error that names the field and the problem
// when the line has fewer than 18 fields, a quoted field or the bracketed
// time is not closed, the time is not a valid dd/Mon/yyyy:HH:MM:SS ±hhmm, or
// bytessent or objectsize is neither "-" nor a non-negative decimal number.
//
// ParseLine makes one allocation for the line text (all string fields share
// it) and one more only when the line has extra fields.
func ParseLine(line []byte, rec *keytrail.AccessLogRecord) error {
	err := parseLine(line, rec)
	if err != nil {
		*rec = keytrail.AccessLogRecord{}
	}
	return err
}

func parseLine(line []byte, rec *keytrail.AccessLogRecord) error {
	*rec = keytrail.AccessLogRecord{}
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	// One conversion for the whole line: every string field below is a
	// substring of s, so the hot path allocates once.
	s := string(line)

	var buf [32]span
	sp, shift, err := split(s, buf[:0], true)
	if shift < 0 {
		// No operation found after a seventh field that is not one: keep
		// the plain split (the requester is the fifth field).
		sp, _, err = split(s, buf[:0], false)
	}
	if err != nil {
		return err
	}
	if shift > 0 {
		// The requester spans fields 5 to 5+shift.
		sp[fRequester].hi = sp[fRequester+shift].hi
		n := copy(sp[fRequestID:], sp[fRequestID+shift:])
		sp = sp[:fRequestID+n]
	}
	if len(sp) < MinFields {
		return fmt.Errorf("line has %d fields, want at least %d", len(sp), MinFields)
	}

	f := func(i int) string { return s[sp[i].lo:sp[i].hi] }

	rec.BucketOwner = f(fBucketOwner)
	rec.Bucket = f(fBucket)
	tf := f(fTime)
	if len(tf) < 2 || tf[0] != '[' || tf[len(tf)-1] != ']' {
		return fieldErr(fTime, "want [dd/Mon/yyyy:HH:MM:SS +hhmm], got", tf)
	}
	rec.RequestDateTime = tf[1 : len(tf)-1]
	t, ok := parseTime(rec.RequestDateTime)
	if !ok {
		return fieldErr(fTime, "bad time, want dd/Mon/yyyy:HH:MM:SS +hhmm, got", rec.RequestDateTime)
	}
	rec.Time = t
	rec.RemoteIP = f(fRemoteIP)
	rec.Requester = f(fRequester)
	rec.RequestID = f(fRequestID)
	rec.Operation = f(fOperation)
	rec.Key = f(fKey)
	rec.RequestURI = f(fRequestURI)
	rec.HTTPStatus = f(fHTTPStatus)
	rec.ErrorCode = f(fErrorCode)
	if rec.BytesSent, ok = parseCount(f(fBytesSent)); !ok {
		return fieldErr(fBytesSent, "not a number or -:", f(fBytesSent))
	}
	if rec.ObjectSize, ok = parseCount(f(fObjectSize)); !ok {
		return fieldErr(fObjectSize, "not a number or -:", f(fObjectSize))
	}
	rec.TotalTime = f(fTotalTime)
	rec.TurnAroundTime = f(fTurnAroundTime)
	rec.Referrer = f(fReferrer)
	rec.UserAgent = f(fUserAgent)
	rec.VersionID = f(fVersionID)

	opt := func(i int) keytrail.NullString {
		if i >= len(sp) {
			return keytrail.NullString{}
		}
		return keytrail.NullString{String: f(i), Valid: true}
	}
	if len(sp) > fHostID {
		rec.HostID = opt(fHostID)
		rec.SigV = opt(fSigV)
		rec.CipherSuite = opt(fCipherSuite)
		rec.AuthType = opt(fAuthType)
		rec.Endpoint = opt(fEndpoint)
		rec.TLSVersion = opt(fTLSVersion)
		rec.AccessPointARN = opt(fAccessPointARN)
		rec.ACLRequired = opt(fACLRequired)
		rec.SourceRegion = opt(fSourceRegion)
	}
	if len(sp) > KnownFields {
		rec.Extra = make([]string, 0, len(sp)-KnownFields)
		for i := KnownFields; i < len(sp); i++ {
			rec.Extra = append(rec.Extra, f(i))
		}
	}
	return nil
}

// split cuts s into fields, appending their spans to sp. Fields are separated
// by one space (so two spaces make an empty field). The third field, when it
// starts with '[', ends at the first ']'. A field starting with '"' ends at a
// '"' followed by a space or the end of s; S3 does not escape quotes inside
// quoted fields, so when there are several such quotes the one after which
// the line goes on as it must is taken (see closes).
//
// With findOp, a seventh field that does not look like an operation means a
// requester with spaces: split then looks for the operation in the fields
// after it and returns shift, the number of extra fields the requester
// took, or -1 when it found none (the caller then splits again without
// findOp). Otherwise shift is 0.
func split(s string, sp []span, findOp bool) ([]span, int, error) {
	i, shift, searching := 0, 0, false
	for {
		switch {
		case i < len(s) && s[i] == '"':
			field := len(sp) - shift
			if searching {
				field = fRequester
			}
			end := -1
			for j := i + 1; ; {
				k := strings.IndexByte(s[j:], '"')
				if k < 0 {
					break
				}
				j += k + 1
				if j < len(s) && s[j] != ' ' {
					continue
				}
				if end < 0 {
					end = j // the first candidate, used when none fits
				}
				if closes(field, s, j) {
					end = j
					break
				}
			}
			if end < 0 {
				if searching {
					shift = -1
				}
				return sp, shift, fmt.Errorf("field %d (%s): unterminated quoted text starting %s",
					len(sp)+1-max(shift, 0), nameOf(field), clip(s[i:]))
			}
			sp = append(sp, span{i, end})
			i = end
		case len(sp) == fTime && i < len(s) && s[i] == '[':
			k := strings.IndexByte(s[i:], ']')
			if k < 0 {
				return sp, 0, fieldErr(fTime, "no closing ] in", s[i:])
			}
			j := i + k + 1
			if j < len(s) && s[j] != ' ' {
				return sp, 0, fieldErr(fTime, "no space after ] in", s[i:])
			}
			sp = append(sp, span{i, j})
			i = j
		default:
			k := strings.IndexByte(s[i:], ' ')
			if k < 0 {
				k = len(s) - i
			}
			sp = append(sp, span{i, i + k})
			i += k
		}

		if findOp {
			last := sp[len(sp)-1]
			switch {
			case len(sp) == fOperation+1 && !isOperation(s[last.lo:last.hi]):
				searching = true
			case searching && isOperation(s[last.lo:last.hi]):
				searching = false
				shift = len(sp) - 1 - fOperation
			}
		}
		if i == len(s) {
			if searching {
				shift = -1
			}
			return sp, shift, nil
		}
		i++ // the separating space
	}
}

// closes reports whether the '"' before s[j] (followed by a space or the end
// of s) can close quoted field number field, judging by the field after it:
// request_uri is followed by httpstatus (digits or "-"), referrer by the
// useragent (quoted or "-"), useragent by versionid (never quoted). Other
// fields close at the first candidate.
func closes(field int, s string, j int) bool {
	if field != fRequestURI && field != fReferrer && field != fUserAgent || j == len(s) {
		return true
	}
	next := s[j+1:]
	if k := strings.IndexByte(next, ' '); k >= 0 {
		next = next[:k]
	}
	switch field {
	case fRequestURI:
		if next == "-" {
			return true
		}
		for i := 0; i < len(next); i++ {
			if next[i] < '0' || next[i] > '9' {
				return false
			}
		}
		return next != ""
	case fReferrer:
		return next == "-" || strings.HasPrefix(next, `"`)
	}
	return !strings.Contains(next, `"`)
}

// isOperation reports whether t looks like an access-log operation:
// SOAP.operation, REST.method.resource, WEBSITE.method.resource,
// BATCH.DELETE.OBJECT or S3.action.resource.
func isOperation(t string) bool {
	if len(t) < 4 {
		return false
	}
	var n int
	switch t[0] {
	case 'R':
		n = prefixLen(t, "REST.")
	case 'S':
		if n = prefixLen(t, "S3."); n == 0 {
			n = prefixLen(t, "SOAP.")
		}
	case 'W':
		n = prefixLen(t, "WEBSITE.")
	case 'B':
		n = prefixLen(t, "BATCH.")
	}
	if n == 0 || n == len(t) {
		return false
	}
	for i := n; i < len(t); i++ {
		c := t[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func prefixLen(s, p string) int {
	if strings.HasPrefix(s, p) {
		return len(p)
	}
	return 0
}

// parseCount reads bytessent or objectsize: "-" (or "-" in quotes) is
// absent, otherwise the field must be a non-negative decimal int64.
func parseCount(t string) (keytrail.NullInt64, bool) {
	if t == "-" || t == `"-"` {
		return keytrail.NullInt64{}, true
	}
	if t == "" {
		return keytrail.NullInt64{}, false
	}
	var n int64
	for i := 0; i < len(t); i++ {
		d := int64(t[i]) - '0'
		if d < 0 || d > 9 || n > (math.MaxInt64-d)/10 {
			return keytrail.NullInt64{}, false
		}
		n = n*10 + d
	}
	return keytrail.NullInt64{Int64: n, Valid: true}, true
}

// parseTime reads "06/Feb/2019:00:00:38 +0000" (any offset, English month
// abbreviation in any case) and returns the instant in UTC. It is hand-written
// because time.Parse costs several times more than the rest of a line.
func parseTime(s string) (time.Time, bool) {
	if len(s) != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' ||
		s[17] != ':' || s[20] != ' ' || (s[21] != '+' && s[21] != '-') {
		return time.Time{}, false
	}
	day, mon, y1, y2 := num2(s[0], s[1]), month(s[3], s[4], s[5]), num2(s[7], s[8]), num2(s[9], s[10])
	hh, mm, ss := num2(s[12], s[13]), num2(s[15], s[16]), num2(s[18], s[19])
	oh, om := num2(s[22], s[23]), num2(s[24], s[25])
	if day < 1 || mon < 1 || y1 < 0 || y2 < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
		ss < 0 || ss > 59 || oh < 0 || oh > 23 || om < 0 || om > 59 {
		return time.Time{}, false
	}
	year := y1*100 + y2
	if day > daysIn(mon, year) {
		return time.Time{}, false
	}
	off := int64(oh*3600 + om*60)
	if s[21] == '-' {
		off = -off
	}
	secs := daysFromCivil(year, mon, day)*86400 + int64(hh*3600+mm*60+ss) - off
	return time.Unix(secs, 0).UTC(), true
}

// num2 returns the value of two ASCII digits, or -1 if either is not one.
func num2(a, b byte) int {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return -1
	}
	return int(a-'0')*10 + int(b-'0')
}

// month returns 1..12 for an English month abbreviation (any case), else 0.
func month(a, b, c byte) int {
	switch uint32(a|0x20)<<16 | uint32(b|0x20)<<8 | uint32(c|0x20) {
	case 'j'<<16 | 'a'<<8 | 'n':
		return 1
	case 'f'<<16 | 'e'<<8 | 'b':
		return 2
	case 'm'<<16 | 'a'<<8 | 'r':
		return 3
	case 'a'<<16 | 'p'<<8 | 'r':
		return 4
	case 'm'<<16 | 'a'<<8 | 'y':
		return 5
	case 'j'<<16 | 'u'<<8 | 'n':
		return 6
	case 'j'<<16 | 'u'<<8 | 'l':
		return 7
	case 'a'<<16 | 'u'<<8 | 'g':
		return 8
	case 's'<<16 | 'e'<<8 | 'p':
		return 9
	case 'o'<<16 | 'c'<<8 | 't':
		return 10
	case 'n'<<16 | 'o'<<8 | 'v':
		return 11
	case 'd'<<16 | 'e'<<8 | 'c':
		return 12
	}
	return 0
}

func daysIn(mon, year int) int {
	switch mon {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date (Howard Hinnant's well-known algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// Format writes rec back as one access-log line, without a line terminator:
// the inverse of ParseLine for records ParseLine returned, so that
// ParseLine(Format(rec)) gives rec again.
//
// Fields are written as they are, separated by single spaces; Format does
// not quote or escape, so a record whose fields hold spaces (other than a
// quoted field or the requester) or unbalanced quotes will not read back
// the same. RequestDateTime is written in brackets; when it is empty and
// Time is set, Time is written in UTC (+0000). Absent bytessent/objectsize
// are written as "-". The optional fields 19..27 are written up to the last
// present one (absent ones before it as "-"), all of them when Extra is not
// empty, and then the Extra fields.
func Format(rec *keytrail.AccessLogRecord) []byte {
	return AppendFormat(make([]byte, 0, 512), rec)
}

// AppendFormat is Format appending the line to dst.
func AppendFormat(dst []byte, rec *keytrail.AccessLogRecord) []byte {
	dst = append(dst, rec.BucketOwner...)
	dst = append(dst, ' ')
	dst = append(dst, rec.Bucket...)
	dst = append(dst, " ["...)
	if rec.RequestDateTime == "" && !rec.Time.IsZero() {
		dst = rec.Time.UTC().AppendFormat(dst, "02/Jan/2006:15:04:05 -0700")
	} else {
		dst = append(dst, rec.RequestDateTime...)
	}
	dst = append(dst, "] "...)
	for _, v := range [...]string{rec.RemoteIP, rec.Requester, rec.RequestID, rec.Operation,
		rec.Key, rec.RequestURI, rec.HTTPStatus, rec.ErrorCode} {
		dst = append(dst, v...)
		dst = append(dst, ' ')
	}
	dst = appendCount(dst, rec.BytesSent)
	dst = append(dst, ' ')
	dst = appendCount(dst, rec.ObjectSize)
	for _, v := range [...]string{rec.TotalTime, rec.TurnAroundTime, rec.Referrer, rec.UserAgent, rec.VersionID} {
		dst = append(dst, ' ')
		dst = append(dst, v...)
	}
	opt := [...]keytrail.NullString{rec.HostID, rec.SigV, rec.CipherSuite, rec.AuthType,
		rec.Endpoint, rec.TLSVersion, rec.AccessPointARN, rec.ACLRequired, rec.SourceRegion}
	last := -1
	for i, v := range opt {
		if v.Valid {
			last = i
		}
	}
	if len(rec.Extra) > 0 {
		last = len(opt) - 1
	}
	for _, v := range opt[:last+1] {
		dst = append(dst, ' ')
		if v.Valid {
			dst = append(dst, v.String...)
		} else {
			dst = append(dst, '-')
		}
	}
	for _, v := range rec.Extra {
		dst = append(dst, ' ')
		dst = append(dst, v...)
	}
	return dst
}

func appendCount(dst []byte, n keytrail.NullInt64) []byte {
	if !n.Valid {
		return append(dst, '-')
	}
	return strconv.AppendInt(dst, n.Int64, 10)
}

func nameOf(i int) string {
	if i < KnownFields {
		return fieldNames[i]
	}
	return "extra"
}

func fieldErr(i int, what, v string) error {
	return errors.New("field " + strconv.Itoa(i+1) + " (" + nameOf(i) + "): " + what + " " + clip(v))
}

// clip quotes v for an error message, cut to a readable length.
func clip(v string) string {
	const max = 80
	if len(v) > max {
		return strconv.Quote(v[:max]) + "…"
	}
	return strconv.Quote(v)
}
