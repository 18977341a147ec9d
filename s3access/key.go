package s3access

import (
	"strings"
	"time"

	"github.com/keytrail/keytrail"
)

// ParseKey reads what the key layout of an access-log object reveals. key is
// an S3 key, an s3:// URL or a local path; only its last path segments are
// looked at, so any target prefix (or local folder) before them is allowed.
// The two layouts S3 writes are:
//
// Simple (the default):
//
//	<TargetPrefix>YYYY-mm-DD-HH-MM-SS-<UniqueString>
//
// Date is that time, the delivery time of the object, in UTC.
//
// Date-based partitioned (PartitionedPrefix):
//
//	<TargetPrefix><SourceAccountId>/<SourceRegion>/<SourceBucket>/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-<UniqueString>
//
// Account, Region and Bucket are those of the logged (source) bucket and Date
// is the file name's date and time. With PartitionDateSource=EventTime, the
// default, the date is the day of the events in the file and the time part is
// always 00-00-00; with PartitionDateSource=DeliveryTime the date and time are
// the delivery time. The key does not say which was configured, so EventDate
// is set when the time part is 00-00-00 (the EventTime form) and left false
// otherwise, since a non-midnight time can only be a delivery time. A key whose
// folders do not match the partitioned form (12-digit account, a region name,
// a bucket, and YYYY/MM/DD equal to the file name's date) is read as the
// simple layout with a prefix that contains slashes.
//
// A TargetPrefix without a trailing "/" is part of the file name
// (<prefix>YYYY-mm-DD-HH-MM-SS-<UniqueString>); such a name is recognized
// by its end, where the unique string is AWS's 16 letters and digits.
//
// Type is keytrail.S3Access and Path is key. ParseKey returns false when the
// file name does not match YYYY-mm-DD-HH-MM-SS-<UniqueString> with a valid
// date and time and a non-empty unique string.
func ParseKey(key string) (keytrail.Location, bool) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	t, ok := nameTime(name)
	if !ok {
		const tail = len("2006-01-02-15-04-05-") + 16
		if len(name) <= tail || !keytrail.IsUniqueString(name[len(name)-16:]) {
			return keytrail.Location{}, false
		}
		if t, ok = nameTime(name[len(name)-tail:]); !ok {
			return keytrail.Location{}, false
		}
		return keytrail.Location{Path: key, Type: keytrail.S3Access, Date: t}, true
	}
	loc := keytrail.Location{Path: key, Type: keytrail.S3Access, Date: t}

	dir := strings.Split(key[:len(key)-len(name)], "/") // ends with "" (the name's slot)
	if len(dir) < 7 {
		return loc, true
	}
	seg := dir[len(dir)-7 : len(dir)-1] // account, region, bucket, YYYY, MM, DD
	if keytrail.IsAccountID(seg[0]) && keytrail.IsRegionName(seg[1]) && seg[2] != "" &&
		seg[3] == name[0:4] && seg[4] == name[5:7] && seg[5] == name[8:10] {
		loc.Account, loc.Region, loc.Bucket = seg[0], seg[1], seg[2]
		loc.EventDate = t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
	}
	return loc, true
}

// nameTime reads the YYYY-mm-DD-HH-MM-SS- start of an access-log object name,
// which must be followed by a non-empty unique string.
func nameTime(name string) (time.Time, bool) {
	const layout = "2006-01-02-15-04-05-"
	if len(name) <= len(layout) {
		return time.Time{}, false
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] == '-' {
			if name[i] != '-' {
				return time.Time{}, false
			}
		} else if name[i] < '0' || name[i] > '9' {
			return time.Time{}, false
		}
	}
	t, err := time.Parse(layout, name[:len(layout)])
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// DayPrefix returns the listing prefix of the simple key layout for the
// objects delivered on day (its UTC date): prefix + "YYYY-mm-DD-", for
// example "logs/2026-04-24-". prefix is the bucket's TargetPrefix, used as
// it is (include its trailing "/" if it has one).
func DayPrefix(prefix string, day time.Time) string {
	return prefix + day.UTC().Format("2006-01-02-")
}

// PartitionedDayPrefix returns the listing prefix of the date-based
// partitioned key layout for one source bucket and day (its UTC date):
// prefix + "<account>/<region>/<bucket>/YYYY/MM/DD/". With
// PartitionDateSource=EventTime it lists the objects holding that day's
// events; with DeliveryTime, those delivered that day. prefix is the
// TargetPrefix, used as it is.
func PartitionedDayPrefix(prefix, account, region, bucket string, day time.Time) string {
	return prefix + account + "/" + region + "/" + bucket + "/" + day.UTC().Format("2006/01/02/")
}
