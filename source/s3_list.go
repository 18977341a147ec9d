package source

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/s3access"
)

// List calls fn for the objects below the source that may hold logs of type
// t with times in r (see keytrail.Source), reading only the folders the
// date range needs, so that its cost grows with the days asked for, not
// with the bucket's history.
//
// It walks folders level by level (ListObjectsV2 with delimiter "/") and
// reads each folder's name for what the key layout makes of it:
//
//   - CloudTrail: AWSLogs/ → o-orgid/ (optional) → 12-digit account →
//     CloudTrail/, CloudTrail-Insight/ or CloudTrail-NetworkActivity/ →
//     region → YYYY/ → MM/ → DD/. CloudTrail-Digest/ trees (integrity
//     hashes, not events) and other services' trees (Config, ELB, …) are
//     not listed at all, so no digest objects are passed to fn.
//   - S3 access logs, date-partitioned: [prefix/]account/region/bucket/
//     YYYY/MM/DD/.
//   - Anywhere else, a folder path ending in YYYY/MM/DD is a day folder,
//     as for Dir.
//
// When r is bounded and needs at most 31 days, the day folders of each
// region (CloudTrail) or source bucket (partitioned access logs) are listed
// directly, one request per day; otherwise year, month and day folders are
// walked, and those that cannot hold records of r (allowing slack for late
// delivery) are not listed. Account and region folders left out by
// S3Options.Accounts and Regions are not listed either. Every kept day
// folder is listed in full. The source's prefix may start anywhere in
// these paths: the bucket root, a custom prefix before AWSLogs/, AWSLogs/,
// an account, a region, a day folder, or the first letters of a folder or
// file name.
//
// S3 access logs in the simple layout (TargetPrefix + YYYY-MM-DD-HH-MM-SS-
// UniqueString, all in one folder; the target prefix may end in "/" or
// not) are found in the first page of their folder. For each target prefix
// seen, each day the range needs is listed with its own prefix (folder +
// target prefix + YYYY-MM-DD) when the range is bounded and needs at most
// 31 days; otherwise one listing reads the dated keys from the first day
// needed (or the first key) to the last (or the last key). The folder's
// listing then goes on after that target prefix's dated keys to find the
// rest (other target prefixes, the partitioned layout's account folders),
// at the cost of one request per year of history. Keys that start with a
// target prefix and a year but are not dated (such as "logs/2024-notes")
// may be passed over. The key of a target prefix without "/" tells ParseKey
// nothing (Loc.Date is zero), but only the days needed are listed.
//
// With a zero r everything below the prefix is listed (digests and other
// services' trees excepted). Objects whose key tells nothing are listed.
// Each Object has Key and Loc.Path "s3://bucket/key", Size, ModTime (UTC),
// ETag (without quotes) and Loc from ParseKey. Within a folder fn is
// called in lexical key order, except that a target prefix's dated keys
// come together. The context is checked before every request.
//
// A prefix that S3 refuses to list (403 AccessDenied) is skipped and the
// rest listed; List then returns a *PartialListError naming the skipped
// prefixes. A missing bucket or rejected credentials end the listing with
// an error that says what to do. An error from fn ends the listing and is
// returned as it is.
func (s *S3) List(ctx context.Context, t keytrail.LogType, r keytrail.TimeRange, slack time.Duration, fn func(keytrail.Object) error) error {
	l := &s3Lister{s: s, ctx: ctx, t: t, r: r, slack: slack, fn: fn}
	l.days = neededDays(r, slack)
	folder, name := s.prefix, ""
	if i := strings.LastIndexByte(s.prefix, '/'); i < len(s.prefix)-1 {
		folder, name = s.prefix[:i+1], s.prefix[i+1:]
	}
	var err error
	if name == "" && folder != "" {
		err = l.folder(folder)
	} else {
		err = l.walk(folder, name)
	}
	if err != nil {
		return err
	}
	if len(l.skipped) > 0 {
		return &PartialListError{Source: s.String(), Listed: l.listed, Skipped: l.skipped}
	}
	return nil
}

// s3Lister is the state of one List call.
type s3Lister struct {
	s     *S3
	ctx   context.Context
	t     keytrail.LogType
	r     keytrail.TimeRange
	slack time.Duration
	fn    func(keytrail.Object) error
	// days are the UTC days whose delivered logs may hold records of r,
	// for the simple access-log layout; nil when r is open at either end.
	days    []time.Time
	listed  int
	skipped []SkippedPrefix
}

// folderAction is what List does with a folder.
type folderAction int

const (
	walkFolder folderAction = iota // list it level by level
	skipFolder                     // leave it out
	listFolder                     // a day folder: list everything below it
	daysFolder                     // the parent of YYYY/MM/DD/ folders: list the days needed
	undecided
)

// folder lists one folder (ending in "/") as its name calls for.
func (l *s3Lister) folder(path string) error {
	switch l.decide(path) {
	case skipFolder:
		return nil
	case listFolder:
		return l.listAll(path, "", nil)
	case daysFolder:
		for _, d := range l.days {
			if err := l.listAll(path+d.Format("2006/01/02/"), "", nil); err != nil {
				return err
			}
		}
		return nil
	}
	return l.walk(path, "")
}

// walk lists folder+name with the delimiter, handing sub-folders to
// l.folder and objects to l.emit, in key order. For S3 access logs with a
// date range, the simple layout's dated keys are listed by day instead.
func (l *s3Lister) walk(folder, name string) error {
	prefix := folder + name
	dated := l.t == keytrail.S3Access && !(l.r.From.IsZero() && l.r.To.IsZero())
	handled := map[string]bool{} // target prefixes whose days were listed
	lastSub := ""                // the last sub-folder handled
	startAfter := ""
	for {
		var token *string
		restart := ""
	pages:
		for {
			if err := l.ctx.Err(); err != nil {
				return err
			}
			in := &s3.ListObjectsV2Input{Bucket: aws.String(l.s.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")}
			if token != nil {
				in.ContinuationToken = token
			} else if startAfter != "" {
				in.StartAfter = aws.String(startAfter)
			}
			out, err := l.s.client.ListObjectsV2(l.ctx, in, l.s.callOptions)
			if err != nil {
				return l.failed(prefix, err)
			}
			objs, subs := out.Contents, out.CommonPrefixes
			for i, j := 0, 0; i < len(objs) || j < len(subs); {
				if j < len(subs) && (i == len(objs) || aws.ToString(subs[j].Prefix) < aws.ToString(objs[i].Key)) {
					sub := aws.ToString(subs[j].Prefix)
					j++
					if sub <= lastSub {
						continue // some servers repeat a folder on the next page
					}
					lastSub = sub
					if err := l.folder(sub); err != nil {
						return err
					}
					continue
				}
				o := objs[i]
				i++
				if dated {
					if tp, year, ok := simpleName(aws.ToString(o.Key)[len(folder):]); ok {
						if !handled[tp] {
							handled[tp] = true
							if err := l.simple(folder, tp, prefix); err != nil {
								return err
							}
						}
						// Go on after this year's dated keys: an account folder
						// of the partitioned layout may sort between two years.
						restart = folder + tp + year + "."
						break pages
					}
				}
				if err := l.emit(o); err != nil {
					return err
				}
			}
			if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
				return nil
			}
			token = out.NextContinuationToken
		}
		startAfter = restart
	}
}

// maxDayLists is the most days that List asks for one at a time (day
// folders, simple-layout day prefixes); longer or open ranges are walked
// (folders) or swept (simple layout).
const maxDayLists = 31

// simple lists the simple layout's objects folder+tp+YYYY-MM-DD-… of the
// days the range needs, staying below the source's prefix: one listing per
// day when the range is bounded and needs at most maxDayLists days,
// otherwise one listing from the first day needed to the last (or to the
// last dated key). Keys of sub-folders are left to the folder walk.
func (l *s3Lister) simple(folder, tp, prefix string) error {
	base := folder + tp
	below := func(key string) (stop, skip bool) {
		return false, strings.IndexByte(key[len(folder):], '/') >= 0
	}
	if l.days != nil && len(l.days) <= maxDayLists {
		for _, d := range l.days {
			if p, ok := narrower(base+d.Format("2006-01-02"), prefix); ok {
				if err := l.listAll(p, "", below); err != nil {
					return err
				}
			}
		}
		return nil
	}
	p, ok := narrower(base, prefix)
	if !ok {
		return nil
	}
	startAfter := ""
	if !l.r.From.IsZero() {
		// keys before base+"YYYY-MM-DD." are of earlier days
		startAfter = base + day(l.r.From.Add(-25*time.Hour)).AddDate(0, 0, -1).Format("2006-01-02") + "."
	}
	var last time.Time
	if !l.r.To.IsZero() {
		last = day(l.r.To.Add(l.slack))
	}
	end := base + ":" // every dated key is before it
	return l.listAll(p, startAfter, func(key string) (stop, skip bool) {
		if key >= end {
			return true, false
		}
		if !last.IsZero() && len(key) >= len(base)+10 {
			if d, err := time.Parse("2006-01-02", key[len(base):len(base)+10]); err == nil && d.After(last) {
				return true, false
			}
		}
		return below(key)
	})
}

// narrower returns the longer of two prefixes when one starts with the
// other (the keys below both), and false when they have no key in common.
func narrower(a, b string) (string, bool) {
	switch {
	case strings.HasPrefix(a, b):
		return a, true
	case strings.HasPrefix(b, a):
		return b, true
	}
	return "", false
}

// listAll lists every object below prefix after startAfter, without the
// delimiter. filter, when not nil, may skip a key or stop the listing
// there.
func (l *s3Lister) listAll(prefix, startAfter string, filter func(key string) (stop, skip bool)) error {
	var token *string
	for {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		in := &s3.ListObjectsV2Input{Bucket: aws.String(l.s.bucket), Prefix: aws.String(prefix), ContinuationToken: token}
		if token == nil && startAfter != "" {
			in.StartAfter = aws.String(startAfter)
		}
		out, err := l.s.client.ListObjectsV2(l.ctx, in, l.s.callOptions)
		if err != nil {
			return l.failed(prefix, err)
		}
		for _, o := range out.Contents {
			if filter != nil {
				stop, skip := filter(aws.ToString(o.Key))
				if stop {
					return nil
				}
				if skip {
					continue
				}
			}
			if err := l.emit(o); err != nil {
				return err
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return nil
		}
		token = out.NextContinuationToken
	}
}

// emit passes a listed object to fn when its key allows records of the
// range and of the accounts and regions asked for.
func (l *s3Lister) emit(o types.Object) error {
	key := aws.ToString(o.Key)
	if strings.HasSuffix(key, "/") {
		return nil // a folder placeholder made by the console
	}
	loc := ParseKey(l.t, key)
	if !keytrail.MayHold(loc, l.r, l.slack) || !l.s.wantAccount(loc.Account) || !l.s.wantRegion(loc.Region) {
		return nil
	}
	url := "s3://" + l.s.bucket + "/" + key
	loc.Path = url
	obj := keytrail.Object{Key: url, Size: aws.ToInt64(o.Size), ETag: strings.Trim(aws.ToString(o.ETag), `"`), Loc: loc}
	if o.LastModified != nil {
		obj.ModTime = o.LastModified.UTC()
	}
	l.listed++
	return l.fn(obj)
}

// failed handles a list request that failed for prefix: access denied is
// noted and the listing goes on; anything else ends it.
func (l *s3Lister) failed(prefix string, err error) error {
	if l.ctx.Err() != nil {
		return l.ctx.Err()
	}
	url := "s3://" + l.s.bucket + "/" + prefix
	if isDenied(err) {
		code := apiCode(err)
		if code == "" {
			code = "Forbidden"
		}
		l.skipped = append(l.skipped, SkippedPrefix{Prefix: url, Code: code, Reason: apiMessage(err)})
		return nil
	}
	return l.s.explain("cannot list "+url, url, err)
}

// decide reads a folder path (ending in "/") for what the key layouts make
// of it.
func (l *s3Lister) decide(path string) folderAction {
	segs := strings.Split(strings.TrimSuffix(path, "/"), "/")
	if l.t == keytrail.CloudTrail {
		for i := len(segs) - 1; i >= 0; i-- {
			if segs[i] == "AWSLogs" {
				return l.decideCloudTrail(segs[i+1:])
			}
		}
	} else if a := l.decidePartitioned(segs); a != undecided {
		return a
	}
	if len(segs) >= 3 {
		if d, ok := parseDay(segs[len(segs)-3:]); ok {
			if !l.dayMayHold(d) {
				return skipFolder
			}
			return listFolder
		}
	}
	return walkFolder
}

// decideCloudTrail reads the segments after AWSLogs/:
// [o-orgid/]account/CloudTrail/region/YYYY/MM/DD.
func (l *s3Lister) decideCloudTrail(rel []string) folderAction {
	if len(rel) > 0 && strings.HasPrefix(rel[0], "o-") {
		rel = rel[1:]
	}
	if len(rel) == 0 {
		return walkFolder
	}
	if !keytrail.IsAccountID(rel[0]) || !l.s.wantAccount(rel[0]) {
		return skipFolder
	}
	if len(rel) == 1 {
		return walkFolder
	}
	switch rel[1] {
	case "CloudTrail", "CloudTrail-Insight", "CloudTrail-NetworkActivity":
	default:
		return skipFolder // CloudTrail-Digest, Config, elasticloadbalancing, …
	}
	if len(rel) == 2 {
		return walkFolder
	}
	if !l.s.wantRegion(rel[2]) {
		return skipFolder
	}
	return l.decideDate(rel[3:])
}

// decidePartitioned looks for the date-partitioned access-log layout,
// account/region/bucket/YYYY/MM/DD, at the end of a folder path.
func (l *s3Lister) decidePartitioned(segs []string) folderAction {
	for a := len(segs) - 1; a >= 0 && a >= len(segs)-6; a-- {
		if !keytrail.IsAccountID(segs[a]) {
			continue
		}
		rest := segs[a+1:] // region, bucket, YYYY, MM, DD
		if len(rest) >= 1 && !keytrail.IsRegionName(rest[0]) {
			continue
		}
		if len(rest) >= 3 && !allDigits(rest[2]) {
			continue
		}
		if !l.s.wantAccount(segs[a]) || len(rest) >= 1 && !l.s.wantRegion(rest[0]) {
			return skipFolder
		}
		if len(rest) <= 1 {
			return walkFolder
		}
		return l.decideDate(rest[2:])
	}
	return undecided
}

// decideDate reads YYYY, YYYY/MM or YYYY/MM/DD[/…] folder segments, none
// for the folder that holds the years.
func (l *s3Lister) decideDate(date []string) folderAction {
	switch {
	case len(date) == 0 && l.days != nil && len(l.days) <= maxDayLists:
		return daysFolder // a bounded range: the day folders are known
	case len(date) == 0:
		return walkFolder
	case len(date) == 1:
		if y, ok := parseYear(date[0]); ok && !l.yearMayHold(y) {
			return skipFolder
		}
		return walkFolder
	case len(date) == 2:
		if y, ok := parseYear(date[0]); ok {
			if m, ok := parseMonth(date[1]); ok && !l.monthMayHold(y, m) {
				return skipFolder
			}
		}
		return walkFolder
	}
	d, ok := parseDay(date[:3])
	if !ok {
		return walkFolder
	}
	if !l.dayMayHold(d) {
		return skipFolder
	}
	return listFolder
}

func (l *s3Lister) dayMayHold(d time.Time) bool {
	return keytrail.MayHold(keytrail.Location{Date: d}, l.r, l.slack)
}

func (l *s3Lister) monthMayHold(y int, m time.Month) bool {
	for d := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC); d.Month() == m; d = d.AddDate(0, 0, 1) {
		if l.dayMayHold(d) {
			return true
		}
	}
	return false
}

func (l *s3Lister) yearMayHold(y int) bool {
	for m := time.January; m <= time.December; m++ {
		if l.monthMayHold(y, m) {
			return true
		}
	}
	return false
}

// neededDays returns the UTC days whose delivered logs may hold records of
// r (keytrail.MayHold of the day); nil when r is open at either end.
func neededDays(r keytrail.TimeRange, slack time.Duration) []time.Time {
	if r.From.IsZero() || r.To.IsZero() {
		return nil
	}
	days := []time.Time{}
	for d, end := day(r.From.Add(-25*time.Hour)), day(r.To.Add(slack)); !d.After(end); d = d.AddDate(0, 0, 1) {
		if keytrail.MayHold(keytrail.Location{Date: d}, r, slack) {
			days = append(days, d)
		}
	}
	return days
}

// day returns the start of t's UTC day.
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// simpleName reads a file name of the simple access-log layout,
// <TargetPrefix>YYYY-mm-DD-HH-MM-SS-<UniqueString>, where the target
// prefix's part after the last "/" is the start of the name. It returns
// that part and the year.
func simpleName(name string) (tp, year string, ok bool) {
	if strings.IndexByte(name, '/') >= 0 {
		return "", "", false
	}
	for p := 0; p+21 <= len(name); p++ {
		if c := name[p]; c < '0' || c > '9' {
			continue
		}
		if _, ok := s3access.ParseKey(name[p:]); ok {
			return name[:p], name[p : p+4], true
		}
	}
	return "", "", false
}

func parseYear(s string) (int, bool) {
	if len(s) != 4 || !allDigits(s) {
		return 0, false
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	return y, y >= 1970
}

func parseMonth(s string) (time.Month, bool) {
	if len(s) != 2 || !allDigits(s) {
		return 0, false
	}
	m := int(s[0]-'0')*10 + int(s[1]-'0')
	return time.Month(m), m >= 1 && m <= 12
}

// parseDay reads YYYY, MM, DD folder names as a valid date.
func parseDay(segs []string) (time.Time, bool) {
	if len(segs[0]) != 4 || len(segs[1]) != 2 || len(segs[2]) != 2 {
		return time.Time{}, false
	}
	d, err := time.Parse("2006/01/02", segs[0]+"/"+segs[1]+"/"+segs[2])
	return d, err == nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (s *S3) wantAccount(a string) bool { return s.accounts == nil || a == "" || s.accounts[a] }
func (s *S3) wantRegion(r string) bool  { return s.regions == nil || r == "" || s.regions[r] }
