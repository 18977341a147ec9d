package cloudtrail

import (
	"strings"
	"time"

	"github.com/keytrail/keytrail"
)

// ParseKey reads what a CloudTrail object key (or a local path that keeps the
// bucket layout) tells:
//
//	[prefix/]AWSLogs/[o-orgid/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>
//
// and the CloudTrail-Digest, CloudTrail-Insight and CloudTrail-NetworkActivity
// trees beside it. The date is the delivery day (UTC); when the file name
// holds the delivery time (<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_…),
// Date has it to the minute. Returns false when the key does not follow the
// layout.
//
// A key outside that layout whose file name is CloudTrail's own (see
// ParseName), as in a folder downloaded flat, tells what its name tells.
func ParseKey(key string) (keytrail.Location, bool) {
	loc := keytrail.Location{Path: key, Type: keytrail.CloudTrail}
	parts := strings.Split(strings.ReplaceAll(key, "\\", "/"), "/")
	i := lastIndex(parts, "AWSLogs")
	if i < 0 {
		if n, ok := ParseName(parts[len(parts)-1]); ok {
			n.Path = key
			return n, true
		}
		return loc, false
	}
	p := parts[i+1:]
	if len(p) > 0 && strings.HasPrefix(p[0], "o-") {
		loc.OrgID = p[0]
		p = p[1:]
	}
	// account, tree, region, YYYY, MM, DD, file
	if len(p) < 7 || !keytrail.IsAccountID(p[0]) {
		return loc, false
	}
	loc.Account = p[0]
	switch p[1] {
	case "CloudTrail", "CloudTrail-NetworkActivity":
	case "CloudTrail-Digest":
		loc.Digest = true
	case "CloudTrail-Insight":
		loc.Insight = true
	default:
		return loc, false
	}
	loc.Region = p[2]
	y, ok1 := digits(p[3])
	m, ok2 := digits(p[4])
	d, ok3 := digits(p[5])
	if !ok1 || !ok2 || !ok3 || len(p[3]) != 4 || m < 1 || m > 12 || d < 1 || d > 31 {
		return loc, false
	}
	loc.Date = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	// <account>_CloudTrail_<region>_20260424T1305Z_<unique>.json.gz
	if f := strings.Split(p[len(p)-1], "_"); len(f) >= 5 {
		if t, err := time.Parse("20060102T1504Z", f[3]); err == nil && t.Format("20060102") == loc.Date.Format("20060102") {
			loc.Date = t.UTC()
		}
	}
	return loc, true
}

// ParseName reads a CloudTrail log file's name, which is unique by itself:
//
//	<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<16 letters and digits>.json[.gz]
//
// (CloudTrail-Insight and CloudTrail-NetworkActivity alike), and a digest's,
// <account>_CloudTrail-Digest_<region>_<trail>_<region>_YYYYMMDDTHHmmssZ.json.gz.
// Date is the delivery time. Returns false for any other name.
func ParseName(name string) (keytrail.Location, bool) {
	loc := keytrail.Location{Type: keytrail.CloudTrail}
	f := strings.Split(name, "_")
	if len(f) < 5 || !keytrail.IsAccountID(f[0]) || f[2] == "" {
		return loc, false
	}
	loc.Account, loc.Region = f[0], f[2]
	switch f[1] {
	case "CloudTrail", "CloudTrail-NetworkActivity", "CloudTrail-Insight":
		unique, _, _ := strings.Cut(f[4], ".")
		t, err := time.Parse("20060102T1504Z", f[3])
		if len(f) != 5 || err != nil || !keytrail.IsUniqueString(unique) || !strings.HasPrefix(f[4][16:], ".json") {
			return loc, false
		}
		loc.Date, loc.Insight = t.UTC(), f[1] == "CloudTrail-Insight"
	case "CloudTrail-Digest":
		stamp, _, _ := strings.Cut(f[len(f)-1], ".")
		t, err := time.Parse("20060102T150405Z", stamp)
		if err != nil {
			return loc, false
		}
		loc.Date, loc.Digest = t.UTC(), true
	default:
		return loc, false
	}
	return loc, true
}

// DayPrefix returns the key prefix that holds one account's files for one
// region and UTC day, below base (which ends in "AWSLogs/" or
// "AWSLogs/o-orgid/"). Listing these prefixes reads only the days asked for.
func DayPrefix(base, account, region string, day time.Time) string {
	if base != "" && !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + account + "/CloudTrail/" + region + "/" + day.UTC().Format("2006/01/02") + "/"
}

// IsDigestKey reports whether a key or path names a CloudTrail digest file.
func IsDigestKey(key string) bool {
	return strings.Contains(key, "CloudTrail-Digest") || strings.Contains(key, "_CloudTrail-Digest_")
}

func lastIndex(parts []string, s string) int {
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] == s {
			return i
		}
	}
	return -1
}
