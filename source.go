package keytrail

import (
	"context"
	"io"
	"time"
)

// Object is one log object that a Source can read.
type Object struct {
	Key     string    // local path or s3://bucket/key
	Size    int64     // bytes as stored (compressed or not)
	ModTime time.Time // modification time, when known
	ETag    string    // S3 ETag, when known
	Loc     Location  // what the key layout tells; Loc.Date is zero when it tells nothing
}

// Source lists and opens log objects: a local folder or an S3 prefix.
type Source interface {
	// List calls fn for every object below the source that may hold logs of
	// type t with times in r: objects whose key layout dates them outside r
	// (allowing slack for late delivery) are not listed. Objects whose key
	// tells nothing are listed. CloudTrail digest files are listed with
	// Loc.Digest set, so that callers can count them. An error from fn ends
	// the listing and is returned.
	List(ctx context.Context, t LogType, r TimeRange, slack time.Duration, fn func(Object) error) error
	// Open returns the object's bytes as stored (possibly compressed).
	Open(ctx context.Context, o Object) (io.ReadCloser, error)
	// String names the source for people.
	String() string
}

// MayHold reports whether an object whose key layout gives loc can hold
// records with times in r, given that logs are delivered up to slack after
// the records they hold (and, by clock skew, a little before). Objects
// without a date may hold anything.
func MayHold(loc Location, r TimeRange, slack time.Duration) bool {
	if loc.Date.IsZero() {
		return true
	}
	const skew = 15 * time.Minute
	first, last := loc.Date, loc.Date // the span of the date in the key
	if loc.Date.Equal(loc.Date.Truncate(24 * time.Hour)) {
		last = loc.Date.Add(24 * time.Hour)
	}
	if loc.EventDate {
		// The key's date is the records' day.
		return (r.To.IsZero() || first.Before(r.To)) && (r.From.IsZero() || last.After(r.From))
	}
	// The key's date is the delivery time: records are from [date-slack, date+skew].
	return (r.To.IsZero() || first.Add(-slack).Before(r.To)) && (r.From.IsZero() || last.Add(skew).After(r.From))
}
