// Package keytrail holds the domain types shared by every part of keytrail:
// CloudTrail events, S3 server access log records, time ranges, log
// locations and errors. It imports only the standard library; the format
// packages (cloudtrail, s3access), the store and the commands depend on it,
// never the other way round.
package keytrail

import (
	"fmt"
	"strings"
	"time"
)

// LogType names a kind of log keytrail reads.
type LogType string

const (
	// CloudTrail is an AWS CloudTrail log (Records files, NDJSON, CloudWatch envelopes).
	CloudTrail LogType = "cloudtrail"
	// S3Access is an S3 server access log (space-delimited lines).
	S3Access LogType = "s3access"
)

// ParseLogType returns the LogType named by s ("cloudtrail", "s3access"; a few
// common spellings are accepted). Returns EINVALID for anything else.
func ParseLogType(s string) (LogType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cloudtrail", "ct":
		return CloudTrail, nil
	case "s3access", "s3-access", "s3-access-logs", "s3accesslogs", "access", "s3":
		return S3Access, nil
	}
	return "", Errorf(EINVALID, "unknown log type %q: use cloudtrail or s3access", s)
}

// IsAccountID reports whether s is an AWS account ID: 12 digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsUniqueString reports whether s is the unique string AWS ends a log
// file's name with: 16 letters and digits.
func IsUniqueString(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// IsRegionName reports whether s looks like an AWS region name (us-east-1,
// eu-central-2, cn-north-1, us-gov-west-1): lower-case letters, digits and
// dashes, with a dash, ending in a digit.
func IsRegionName(s string) bool {
	if len(s) < 4 || !strings.Contains(s, "-") || s[0] == '-' || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// TimeRange is an inclusive-exclusive interval [From, To) of UTC instants.
// A zero From means "since the beginning", a zero To "until now and later".
type TimeRange struct {
	From time.Time
	To   time.Time
}

// Contains reports whether t falls inside the range.
func (r TimeRange) Contains(t time.Time) bool {
	if !r.From.IsZero() && t.Before(r.From) {
		return false
	}
	if !r.To.IsZero() && !t.Before(r.To) {
		return false
	}
	return true
}

// ContainsDay reports whether any instant of the UTC day d (any time of that
// day) can fall inside the range widened by slack on both sides.
func (r TimeRange) ContainsDay(d time.Time, slack time.Duration) bool {
	start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 1)
	if !r.From.IsZero() && !end.After(r.From.Add(-slack)) {
		return false
	}
	if !r.To.IsZero() && !start.Before(r.To.Add(slack)) {
		return false
	}
	return true
}

// String formats the range for people, e.g. "2026-04-24T00:00:00Z..2026-04-25T00:00:00Z".
func (r TimeRange) String() string {
	f, t := "beginning", "now"
	if !r.From.IsZero() {
		f = r.From.UTC().Format(time.RFC3339)
	}
	if !r.To.IsZero() {
		t = r.To.UTC().Format(time.RFC3339)
	}
	return f + ".." + t
}

// ParseTimeBound parses a --from/--to value: a date (YYYY-MM-DD) or an RFC 3339
// instant, always in UTC. A date used as an upper bound (end=true) means the
// end of that day, so --from D --to D covers the whole UTC day D.
func ParseTimeBound(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d.UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, Errorf(EINVALID, "cannot read time %q: use a UTC date (2026-04-24) or an RFC 3339 instant (2026-04-24T13:00:00Z)", s)
}

// NewTimeRange builds a TimeRange from --from/--to strings (either may be
// empty). Returns EINVALID when a bound cannot be read or From is not before To.
func NewTimeRange(from, to string) (TimeRange, error) {
	var r TimeRange
	var err error
	if r.From, err = ParseTimeBound(from, false); err != nil {
		return r, err
	}
	if r.To, err = ParseTimeBound(to, true); err != nil {
		return r, err
	}
	if !r.From.IsZero() && !r.To.IsZero() && !r.From.Before(r.To) {
		return r, Errorf(EINVALID, "--from %s is not before --to %s", from, to)
	}
	return r, nil
}

// Location says where a log object came from: a local path or an s3:// URL,
// with what its key layout reveals. Empty fields are unknown.
type Location struct {
	Path      string    // local path or s3://bucket/key
	Type      LogType   // the kind of log the layout implies, if any
	Account   string    // AWS account id from the layout
	OrgID     string    // organization id (o-…) of an organization trail
	Region    string    // region (CloudTrail) or source region (partitioned access logs)
	Bucket    string    // source bucket (partitioned access logs)
	Date      time.Time // the UTC date (and time, when the layout has one) in the key
	Digest    bool      // a CloudTrail-Digest file: not events
	Insight   bool      // a CloudTrail-Insight file
	EventDate bool      // Date is the event day (PartitionDateSource=EventTime), not the delivery time
}

// Errorf is a shorthand for a domain *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
