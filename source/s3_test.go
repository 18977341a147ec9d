package source

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/s3test"
)

// newS3 returns a source for url on srv with fast retries.
func newS3(t *testing.T, srv *s3test.Server, url string, opts S3Options) *S3 {
	t.Helper()
	if opts.Client == nil {
		opts.Client = srv.Client()
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 5 * time.Millisecond
	}
	src, err := NewS3(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("NewS3(%s): %v", url, err)
	}
	return src
}

// list returns what src lists, failing the test on an error.
func list(t *testing.T, src keytrail.Source, typ keytrail.LogType, r keytrail.TimeRange, slack time.Duration) []keytrail.Object {
	t.Helper()
	objs, err := tryList(src, typ, r, slack)
	if err != nil {
		t.Fatalf("List %s: %v", src, err)
	}
	return objs
}

func tryList(src keytrail.Source, typ keytrail.LogType, r keytrail.TimeRange, slack time.Duration) ([]keytrail.Object, error) {
	var objs []keytrail.Object
	err := src.List(context.Background(), typ, r, slack, func(o keytrail.Object) error {
		objs = append(objs, o)
		return nil
	})
	return objs, err
}

// keysOf returns the objects' keys relative to base (a local folder or an
// s3:// URL), sorted.
func keysOf(objs []keytrail.Object, base string) []string {
	var keys []string
	for _, o := range objs {
		k := filepath.ToSlash(strings.TrimPrefix(o.Key, base))
		keys = append(keys, strings.TrimPrefix(k, "/"))
	}
	slices.Sort(keys)
	return keys
}

func dayRange(from, to string) keytrail.TimeRange {
	r, err := keytrail.NewTimeRange(from, to)
	if err != nil {
		panic(err)
	}
	return r
}

// generated writes gen's logs for cfg in a temporary folder.
func generated(t *testing.T, cfg gen.Config) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := gen.Generate(dir, cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

func smallGen(org string) gen.Config {
	cfg := gen.DefaultConfig()
	cfg.Days = 4
	cfg.CloudTrailEvents = 1500
	cfg.AccessLogLines = 1500
	cfg.CloudTrailFileInterval = 2 * time.Hour
	cfg.AccessLogFileInterval = 4 * time.Hour
	cfg.OrgID = org
	return cfg
}

// TestS3ListMatchesDir uploads generated logs and checks that S3 lists what
// Dir lists for the same files (digests aside), for several ranges and
// starting points.
func TestS3ListMatchesDir(t *testing.T) {
	single := generated(t, smallGen(""))
	org := generated(t, smallGen("o-a1b2c3d4e5"))
	srv := s3test.Start(t)
	srv.CreateBucket("single")
	srv.CreateBucket("org")
	srv.UploadDir("single", "", single)
	srv.UploadDir("org", "", org)
	srv.SetPageSize(50) // exercise continuation tokens

	start := gen.DefaultConfig().Start
	d := func(n int) string { return start.AddDate(0, 0, n).Format("2006-01-02") }
	ranges := map[string]keytrail.TimeRange{
		"all":        {},
		"second day": dayRange(d(1), d(1)),
		"from":       dayRange(d(2), ""),
		"to":         dayRange("", d(0)),
		"instant":    {From: start.Add(30 * time.Hour), To: start.Add(31 * time.Hour)},
	}
	cases := []struct {
		bucket, local string
		rel           string // below the bucket and the local folder
		typ           keytrail.LogType
	}{
		{"single", single, "cloudtrail/", keytrail.CloudTrail},
		{"single", single, "cloudtrail/AWSLogs/", keytrail.CloudTrail},
		{"single", single, "cloudtrail/AWSLogs/444455556666/CloudTrail/eu-west-1/", keytrail.CloudTrail},
		{"org", org, "cloudtrail/", keytrail.CloudTrail},
		{"org", org, "cloudtrail/AWSLogs/o-a1b2c3d4e5/111122223333/", keytrail.CloudTrail},
		{"single", single, "s3-access-logs/", keytrail.S3Access},
		{"single", single, "s3-access-logs/partitioned/", keytrail.S3Access},
	}
	for _, c := range cases {
		for name, r := range ranges {
			t.Run(c.bucket+"/"+c.rel+"/"+name, func(t *testing.T) {
				for _, slack := range []time.Duration{0, 6 * time.Hour} {
					dir, err := NewDir(filepath.Join(c.local, filepath.FromSlash(c.rel)))
					if err != nil {
						t.Fatal(err)
					}
					var want []keytrail.Object
					for _, o := range list(t, dir, c.typ, r, slack) {
						if !o.Loc.Digest {
							want = append(want, o)
						}
					}
					base := "s3://" + c.bucket + "/" + c.rel
					src := newS3(t, srv, base, S3Options{})
					got := list(t, src, c.typ, r, slack)
					if len(want) == 0 && name != "instant" {
						t.Fatalf("Dir lists nothing: the case tests nothing")
					}
					if w, g := keysOf(want, dir.Path), keysOf(got, base); !slices.Equal(w, g) {
						t.Fatalf("slack %v: S3 lists %d objects, Dir %d\nonly S3: %v\nonly Dir: %v", slack, len(g), len(w), minus(g, w), minus(w, g))
					}
					byKey := map[string]keytrail.Object{}
					for _, o := range want {
						byKey[filepath.ToSlash(strings.TrimPrefix(o.Key, dir.Path+string(filepath.Separator)))] = o
					}
					for i, o := range got {
						if i > 0 && got[i-1].Key >= o.Key {
							t.Errorf("not in key order: %s then %s", got[i-1].Key, o.Key)
						}
						w := byKey[strings.TrimPrefix(o.Key, base)]
						data, err := os.ReadFile(w.Key)
						if err != nil {
							t.Fatal(err)
						}
						if o.Size != w.Size || o.ETag != fmt.Sprintf("%x", md5.Sum(data)) || o.ModTime.IsZero() || o.ModTime.Location() != time.UTC {
							t.Errorf("%s: size %d etag %s mtime %v; want size %d etag md5", o.Key, o.Size, o.ETag, o.ModTime, w.Size)
						}
						wl, gl := w.Loc, o.Loc
						if gl.Path != o.Key {
							t.Errorf("%s: Loc.Path %s", o.Key, gl.Path)
						}
						wl.Path, gl.Path = "", ""
						if wl != gl {
							t.Errorf("%s: Loc %+v, Dir's %+v", o.Key, gl, wl)
						}
					}
				}
			})
		}
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	if len(out) > 10 {
		out = append(out[:10], "…")
	}
	return out
}

// layout writes keys of one log layout for days of history.
type layout struct {
	name  string
	typ   keytrail.LogType
	url   string                            // the source, below s3://logs/
	keys  func(d time.Time) []string        // the keys of one day
	other func(d time.Time) (keys []string) // keys the range must never list, if any
	lists int                               // LIST requests expected
}

const (
	acctA = "111122223333"
	acctB = "444455556666"
	acctC = "777788889999"
)

// ctKeys returns a day's CloudTrail keys below base (".../AWSLogs/[o-…/]"):
// four log files and a digest per account and region.
func ctKeys(base string, accounts, regions []string, d time.Time) []string {
	var keys []string
	for _, a := range accounts {
		for _, r := range regions {
			for h := 0; h < 24; h += 6 {
				t := d.Add(time.Duration(h)*time.Hour + 7*time.Minute)
				keys = append(keys, fmt.Sprintf("%s%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%04X.json.gz",
					base, a, r, d.Format("2006/01/02"), a, r, t.Format("20060102T1504Z"), h))
			}
			keys = append(keys, fmt.Sprintf("%s%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_trail_%s_%sZ.json.gz",
				base, a, r, d.Format("2006/01/02"), a, r, r, d.Format("20060102T150405")))
		}
	}
	return keys
}

// simpleKeys returns a day's simple-layout access-log keys: prefix +
// YYYY-MM-DD-HH-MM-SS-UNIQUE, every six hours.
func simpleKeys(prefix string, d time.Time) []string {
	var keys []string
	for h := 0; h < 24; h += 6 {
		t := d.Add(time.Duration(h)*time.Hour + 13*time.Minute + 7*time.Second)
		keys = append(keys, fmt.Sprintf("%s%s-%016X", prefix, t.Format("2006-01-02-15-04-05"), h*7919+d.YearDay()))
	}
	return keys
}

// partKeys returns a day's date-partitioned access-log keys (EventTime).
func partKeys(prefix string, accounts, regions []string, bucket string, d time.Time) []string {
	var keys []string
	for _, a := range accounts {
		for _, r := range regions {
			for i := 0; i < 3; i++ {
				keys = append(keys, fmt.Sprintf("%s%s/%s/%s/%s/%s-00-00-00-%016X", prefix, a, r, bucket, d.Format("2006/01/02"), d.Format("2006-01-02"), i*104729+d.YearDay()))
			}
		}
	}
	return keys
}

// TestS3ListPruning proves by counting requests that a one-day range over a
// long history reads only the folders of that day: the LIST count is small
// and does not change when more history is added.
func TestS3ListPruning(t *testing.T) {
	regions := []string{"us-east-1", "eu-west-1"}
	d := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	layouts := []layout{
		// root, AWSLogs/, then per account: account, CloudTrail/, and per
		// region the two days (the 9th's last file may hold the 10th's first
		// minutes)
		{name: "cloudtrail", typ: keytrail.CloudTrail, url: "s3://logs/", lists: 2 + 2*(2+2*2),
			keys: func(d time.Time) []string { return ctKeys("AWSLogs/", []string{acctA, acctB}, regions, d) }},
		{name: "cloudtrail org, custom prefix", typ: keytrail.CloudTrail, url: "s3://logs/trail/", lists: 3 + 2*(2+2*2),
			keys: func(d time.Time) []string {
				return ctKeys("trail/AWSLogs/o-a1b2c3d4e5/", []string{acctA, acctB}, regions, d)
			}},
		// the folder's first page, two days, the folder after the year's keys
		{name: "access simple, folder", typ: keytrail.S3Access, url: "s3://logs/logs/", lists: 4,
			keys: func(d time.Time) []string { return simpleKeys("logs/", d) }},
		// ParseKey dates these keys by the end of their names
		{name: "access simple, target prefix without slash", typ: keytrail.S3Access, url: "s3://logs/", lists: 4,
			keys: func(d time.Time) []string { return simpleKeys("mybucket-", d) }},
		// the same, and per account: account, region, the bucket's two days
		{name: "access simple and partitioned in one folder", typ: keytrail.S3Access, url: "s3://logs/logs/", lists: 4 + 3*(2+2),
			keys: func(d time.Time) []string {
				return append(simpleKeys("logs/", d), partKeys("logs/", []string{acctA, "202400000001", "999900000001"}, []string{"us-east-1"}, "src", d)...)
			}},
		// the first page, a-'s two days, the root after a-2024, b-'s two days,
		// the root after b-2024
		{name: "access simple, two target prefixes in the root", typ: keytrail.S3Access, url: "s3://logs/", lists: 7,
			keys: func(d time.Time) []string { return append(simpleKeys("a-", d), simpleKeys("b-", d)...) }},
		// part/, then per account: account, and per region: region, two days
		{name: "access partitioned", typ: keytrail.S3Access, url: "s3://logs/part/", lists: 1 + 2*(1+2*(1+2)),
			keys: func(d time.Time) []string { return partKeys("part/", []string{acctA, acctB}, regions, "src-bucket", d) }},
	}
	r := dayRange("2024-04-10", "2024-04-10")
	for _, lay := range layouts {
		t.Run(lay.name, func(t *testing.T) {
			srv := s3test.Start(t)
			srv.CreateBucket("logs")
			var all []string
			add := func(from time.Time, days int) {
				for i := 0; i < days; i++ {
					for _, k := range lay.keys(from.AddDate(0, 0, i)) {
						srv.Put("logs", k, []byte(k))
						all = append(all, k)
					}
				}
			}
			src := newS3(t, srv, lay.url, S3Options{})
			check := func() int {
				t.Helper()
				srv.Reset()
				got := keysOf(list(t, src, lay.typ, r, 0), "s3://logs/")
				lists := srv.Count(s3test.List)
				var want []string
				for _, k := range all {
					if !strings.HasPrefix("s3://logs/"+k, lay.url) || strings.Contains(k, "Digest") {
						continue
					}
					loc := ParseKey(lay.typ, k)
					if keytrail.MayHold(loc, r, 0) {
						want = append(want, k)
					}
				}
				slices.Sort(want)
				if !slices.Equal(got, want) || len(want) == 0 {
					t.Fatalf("listed %d objects, want %d\nonly listed: %v\nmissing: %v", len(got), len(want), minus(got, want), minus(want, got))
				}
				return lists
			}
			add(d("2024-03-01"), 60)
			n60 := check()
			add(d("2024-01-01"), 60) // more history before
			add(d("2024-04-30"), 60) // and after
			if n := check(); n != n60 {
				t.Errorf("%d LIST requests with 60 days of history, %d with 180", n60, n)
			}
			if lay.typ == keytrail.CloudTrail {
				add(d("2021-01-01"), 30) // older years cost nothing either
				if n := check(); n != n60 {
					t.Errorf("%d LIST requests with 60 days of history, %d with older years", n60, n)
				}
			}
			if n60 != lay.lists {
				t.Errorf("%d LIST requests for one day, want %d: %v", n60, lay.lists, listPrefixes(srv))
			}
		})
	}
}

func listPrefixes(srv *s3test.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Kind == s3test.List {
			s := r.Prefix
			if r.StartAfter != "" {
				s += " after " + r.StartAfter
			}
			if r.Token {
				s += " (next page)"
			}
			out = append(out, s)
		}
	}
	return out
}

// TestS3ListFilters checks that accounts and regions left out are not even
// listed, in both layouts that name them.
func TestS3ListFilters(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	srv.CreateBucket("access")
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1"}
	day := time.Date(2024, 4, 10, 0, 0, 0, 0, time.UTC)
	for _, k := range ctKeys("AWSLogs/o-a1b2c3d4e5/", []string{acctA, acctB, acctC}, regions, day) {
		srv.Put("logs", k, []byte(k))
	}
	for _, k := range partKeys("part/", []string{acctA, acctB, acctC}, regions, "src", day) {
		srv.Put("access", k, []byte(k))
	}
	opts := S3Options{Accounts: []string{acctB}, Regions: []string{"eu-west-1", "ap-south-1"}}
	for _, c := range []struct {
		url string
		typ keytrail.LogType
	}{
		{"s3://logs/AWSLogs/", keytrail.CloudTrail},
		{"s3://logs/", keytrail.CloudTrail},
		{"s3://logs/AWSLogs/o-a1b2c3d4e5/" + acctA + "/", keytrail.CloudTrail}, // an account left out
		{"s3://access/", keytrail.S3Access},
		{"s3://access/part/" + acctB + "/us-east-1/src/2024/", keytrail.S3Access}, // a region left out
	} {
		for _, r := range []keytrail.TimeRange{{}, dayRange("2024-04-10", "2024-04-10")} {
			srv.Reset()
			objs := list(t, newS3(t, srv, c.url, opts), c.typ, r, time.Hour)
			for _, o := range objs {
				if o.Loc.Account != acctB || (o.Loc.Region != "eu-west-1" && o.Loc.Region != "ap-south-1") {
					t.Errorf("%s: listed %s of %s/%s", c.url, o.Key, o.Loc.Account, o.Loc.Region)
				}
			}
			wantN := 0
			if !strings.Contains(c.url, acctA) && !strings.Contains(c.url, "us-east-1") {
				wantN = 2 * 4 // two regions, four files a day
				if c.typ == keytrail.S3Access {
					wantN = 2 * 3
				}
			}
			if len(objs) != wantN {
				t.Errorf("%s %v: listed %d objects, want %d", c.url, r, len(objs), wantN)
			}
			for _, p := range listPrefixes(srv) {
				if strings.Contains(p, acctA+"/") && !strings.HasSuffix(c.url, acctA+"/") || strings.Contains(p, acctC) ||
					strings.Contains(p, "/us-east-1/") && !strings.Contains(c.url, "us-east-1") || strings.Contains(p, "Digest") {
					t.Errorf("%s: listed %s, which the filters leave out", c.url, p)
				}
			}
		}
	}
	if _, err := NewS3(context.Background(), "s3://logs/", S3Options{Client: srv.Client(), Accounts: []string{"1234"}}); keytrail.ErrorCode(err) != keytrail.EINVALID {
		t.Errorf("bad account: %v", err)
	}
	if _, err := NewS3(context.Background(), "s3://logs/", S3Options{Client: srv.Client(), Regions: []string{"Ireland"}}); keytrail.ErrorCode(err) != keytrail.EINVALID {
		t.Errorf("bad region: %v", err)
	}
}

// TestS3ListStartingPoints lists from prefixes that start at every level of
// the CloudTrail layout, and from partial names.
func TestS3ListStartingPoints(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	regions := []string{"us-east-1", "eu-west-1"}
	var all []string
	for i := 0; i < 5; i++ {
		for _, k := range ctKeys("custom/AWSLogs/", []string{acctA, acctB}, regions, time.Date(2024, 4, 8+i, 0, 0, 0, 0, time.UTC)) {
			srv.Put("logs", k, []byte(k))
			all = append(all, k)
		}
	}
	srv.Put("logs", "custom/README.txt", []byte("not a log"))
	srv.Put("logs", "custom/AWSLogs/"+acctA+"/Config/us-east-1/2024/04/10/config.json.gz", []byte("other service"))
	r := dayRange("2024-04-10", "2024-04-10")
	for _, c := range []struct {
		prefix string
		want   int // objects of the range: the four files of the 10th per account and region, README
	}{
		{"", 2*2*4 + 1},
		{"custom", 2*2*4 + 1},
		{"custom/", 2*2*4 + 1},
		{"custom/AWSLogs/", 2 * 2 * 4},
		{"custom/AWSLogs/1111", 2 * 4},
		{"custom/AWSLogs/" + acctA + "/", 2 * 4},
		{"custom/AWSLogs/" + acctA + "/CloudTrail/", 2 * 4},
		{"custom/AWSLogs/" + acctA + "/CloudTrail/eu-west-1/", 4},
		{"custom/AWSLogs/" + acctA + "/CloudTrail/eu-west-1/2024/", 4},
		{"custom/AWSLogs/" + acctA + "/CloudTrail/eu-west-1/2024/04/", 4},
		{"custom/AWSLogs/" + acctA + "/CloudTrail/eu-west-1/2024/04/10/", 4},
		{"custom/AWSLogs/" + acctA + "/CloudTrail/eu-west-1/2024/04/11/", 0},
		{"custom/AWSLogs/" + acctA + "/CloudTrail/eu-west-1/2024/04/10/" + acctA + "_CloudTrail_eu-west-1_20240410T06", 1},
		{"custom/AWSLogs/" + acctA + "/CloudTrail-Digest/", 0},
	} {
		t.Run(c.prefix, func(t *testing.T) {
			got := list(t, newS3(t, srv, "s3://logs/"+c.prefix, S3Options{}), keytrail.CloudTrail, r, 0)
			if len(got) != c.want {
				t.Errorf("listed %d objects, want %d: %v", len(got), c.want, keysOf(got, "s3://logs/"))
			}
			for _, o := range got {
				if !strings.HasPrefix(o.Key, "s3://logs/"+c.prefix) {
					t.Errorf("listed %s, outside the prefix", o.Key)
				}
			}
		})
	}
}

// TestS3ListAccessDenied denies one account's folder: the rest is listed
// and a PartialListError names the folder.
func TestS3ListAccessDenied(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	d := time.Date(2024, 4, 10, 0, 0, 0, 0, time.UTC)
	for _, k := range ctKeys("AWSLogs/", []string{acctA, acctB, acctC}, []string{"us-east-1"}, d) {
		srv.Put("logs", k, []byte(k))
	}
	srv.Deny("logs", "AWSLogs/"+acctB+"/")
	for _, r := range []keytrail.TimeRange{{}, dayRange("2024-04-10", "2024-04-10")} {
		objs, err := tryList(newS3(t, srv, "s3://logs/", S3Options{}), keytrail.CloudTrail, r, 0)
		var pe *PartialListError
		if !errors.As(err, &pe) {
			t.Fatalf("List: %v, want a *PartialListError", err)
		}
		if len(pe.Skipped) != 1 || pe.Skipped[0].Prefix != "s3://logs/AWSLogs/"+acctB+"/" || pe.Skipped[0].Code != "AccessDenied" {
			t.Errorf("skipped %+v", pe.Skipped)
		}
		if !strings.Contains(err.Error(), "s3://logs/AWSLogs/"+acctB+"/ (AccessDenied)") {
			t.Errorf("error %q does not name the prefix", err)
		}
		if len(objs) != 8 || pe.Listed != 8 {
			t.Errorf("listed %d objects (error says %d), want 8", len(objs), pe.Listed)
		}
		for _, o := range objs {
			if o.Loc.Account == acctB {
				t.Errorf("listed %s", o.Key)
			}
		}
	}
	// The whole source denied: nothing listed, still a PartialListError.
	srv.Deny("logs", "")
	_, err := tryList(newS3(t, srv, "s3://logs/AWSLogs/", S3Options{}), keytrail.CloudTrail, keytrail.TimeRange{}, 0)
	var pe *PartialListError
	if !errors.As(err, &pe) || pe.Listed != 0 || len(pe.Skipped) != 1 || pe.Skipped[0].Prefix != "s3://logs/AWSLogs/" {
		t.Errorf("List of a denied source: %v", err)
	}
}

// TestS3ListRetries throttles and fails list requests: the listing is the
// same as without.
func TestS3ListRetries(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	for i := 0; i < 3; i++ {
		for _, k := range ctKeys("AWSLogs/", []string{acctA}, []string{"us-east-1", "eu-west-1"}, time.Date(2024, 4, 9+i, 0, 0, 0, 0, time.UTC)) {
			srv.Put("logs", k, []byte(k))
		}
	}
	src := newS3(t, srv, "s3://logs/", S3Options{})
	want := keysOf(list(t, src, keytrail.CloudTrail, keytrail.TimeRange{}, 0), "")
	srv.Reset()
	clean := srv.Count(s3test.List)
	for _, c := range []struct {
		name  string
		fault func()
	}{
		{"every 2nd request SlowDown", func() { srv.ThrottleEvery(s3test.List, 2) }},
		{"next 5 requests SlowDown", func() { srv.ThrottleNext(s3test.List, 5) }},
		{"500 InternalError", func() { srv.FailNext(s3test.List, 3, 500, "InternalError") }},
		{"400 RequestTimeout", func() { srv.FailNext(s3test.List, 3, 400, "RequestTimeout") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv.ClearFaults()
			c.fault()
			srv.Reset()
			got := keysOf(list(t, src, keytrail.CloudTrail, keytrail.TimeRange{}, 0), "")
			if !slices.Equal(got, want) {
				t.Errorf("listed %d objects, want %d", len(got), len(want))
			}
			if srv.Count(s3test.List) <= clean {
				t.Errorf("%d LIST requests: the fault did not happen", srv.Count(s3test.List))
			}
		})
	}
	srv.ClearFaults()
	srv.ThrottleEvery(s3test.List, 1)
	src = newS3(t, srv, "s3://logs/", S3Options{MaxRetries: 3})
	srv.Reset()
	_, err := tryList(src, keytrail.CloudTrail, keytrail.TimeRange{}, 0)
	if err == nil || !strings.Contains(err.Error(), "SlowDown") || srv.Count(s3test.List) != 3 {
		t.Errorf("always throttled: %v after %d requests, want a SlowDown error after 3", err, srv.Count(s3test.List))
	}
}

// TestS3Errors covers the errors that end a source: bad URLs, a missing
// bucket, rejected credentials, a cancelled context.
func TestS3Errors(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	srv.Put("logs", "AWSLogs/x.json", []byte("{}"))
	ctx := context.Background()
	for _, url := range []string{"logs/AWSLogs/", "https://logs.s3.amazonaws.com/AWSLogs/", "s3://", "s3:///AWSLogs/", "s3:/logs/", "s3://lo/x", "s3://my bucket/"} {
		_, err := NewS3(ctx, url, S3Options{Client: srv.Client()})
		if keytrail.ErrorCode(err) != keytrail.EINVALID || !strings.Contains(err.Error(), "s3://my-trail-bucket/AWSLogs/") {
			t.Errorf("NewS3(%q): %v; want EINVALID with an example", url, err)
		}
	}
	_, err := NewS3(ctx, "s3://nope/AWSLogs/", S3Options{Client: srv.Client()})
	if keytrail.ErrorCode(err) != keytrail.ENOTFOUND || !strings.Contains(err.Error(), "bucket nope does not exist") {
		t.Errorf("missing bucket: %v", err)
	}
	for _, code := range []string{"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "RequestTimeTooSkewed"} {
		srv.RejectCredentials(code)
		src := newS3(t, srv, "s3://logs/", S3Options{}) // HeadBucket's 403 does not say why
		_, err := tryList(src, keytrail.CloudTrail, keytrail.TimeRange{}, 0)
		if keytrail.ErrorCode(err) != keytrail.EINVALID || !strings.Contains(err.Error(), code) {
			t.Errorf("%s: %v", code, err)
		}
		var pe *PartialListError
		if errors.As(err, &pe) {
			t.Errorf("%s: a partial listing", code)
		}
		_, err = src.Open(ctx, keytrail.Object{Key: "s3://logs/AWSLogs/x.json"})
		if keytrail.ErrorCode(err) != keytrail.EINVALID || !strings.Contains(err.Error(), code) {
			t.Errorf("%s: Open: %v", code, err)
		}
	}
	srv.RejectCredentials("")
	src := newS3(t, srv, "s3://logs/", S3Options{})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := src.List(cctx, keytrail.CloudTrail, keytrail.TimeRange{}, 0, func(keytrail.Object) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context: %v", err)
	}
	stop := errors.New("stop")
	if err := src.List(ctx, keytrail.CloudTrail, keytrail.TimeRange{}, 0, func(keytrail.Object) error { return stop }); err != stop {
		t.Errorf("List returned %v, not fn's error", err)
	}
	if src.String() != "s3://logs/" || src.Concurrency() < 1 {
		t.Errorf("String %q, Concurrency %d", src.String(), src.Concurrency())
	}
}

// TestS3Region reads a bucket of another region than the client's: NewS3
// finds it, and the requests after are signed for it.
func TestS3Region(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucketIn("irish", "eu-west-1")
	srv.Put("irish", "AWSLogs/x.json", []byte("{}"))
	src := newS3(t, srv, "s3://irish/AWSLogs/", S3Options{}) // the client is in us-east-1
	if src.Region() != "eu-west-1" {
		t.Fatalf("region %s, want eu-west-1", src.Region())
	}
	srv.Reset()
	objs := list(t, src, keytrail.CloudTrail, keytrail.TimeRange{}, 0)
	if len(objs) != 1 {
		t.Fatalf("listed %d objects", len(objs))
	}
	rc, err := src.Open(context.Background(), objs[0])
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	for _, r := range srv.Requests() {
		if r.Region != "eu-west-1" {
			t.Errorf("%s request signed for %s", r.Kind, r.Region)
		}
	}
}

// TestNewS3Environment builds the client from the environment and an
// endpoint URL, as the command line does.
func TestNewS3Environment(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	srv.Put("logs", "AWSLogs/x.json", []byte("{}"))
	empty := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAENVEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "",
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
	} {
		t.Setenv(k, v)
	}
	src, err := NewS3(context.Background(), "s3://logs/", S3Options{EndpointURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if objs := list(t, src, keytrail.CloudTrail, keytrail.TimeRange{}, 0); len(objs) != 1 || objs[0].Key != "s3://logs/AWSLogs/x.json" {
		t.Errorf("listed %v", objs)
	}
	_, err = NewS3(context.Background(), "s3://logs/", S3Options{EndpointURL: srv.URL, Profile: "nosuchprofile"})
	if keytrail.ErrorCode(err) != keytrail.EINVALID || !strings.Contains(err.Error(), `"nosuchprofile"`) {
		t.Errorf("missing profile: %v", err)
	}
}

// TestS3ListLongRanges covers ranges that are not listed day by day: more
// than 31 days, or open at one end. The objects listed are those of the
// range, read with few requests.
func TestS3ListLongRanges(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("logs")
	var all []string
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 150; i++ {
		d := start.AddDate(0, 0, i)
		keys := append(simpleKeys("access/logs/", d), ctKeys("AWSLogs/", []string{acctA}, []string{"us-east-1"}, d)...)
		keys = append(keys, partKeys("access/", []string{acctA}, []string{"eu-west-1"}, "src", d)...)
		for _, k := range keys {
			srv.Put("logs", k, []byte(k))
			all = append(all, k)
		}
	}
	for _, c := range []struct {
		url      string
		typ      keytrail.LogType
		r        keytrail.TimeRange
		maxLists int
	}{
		{"s3://logs/access/logs/", keytrail.S3Access, dayRange("2024-02-01", "2024-03-15"), 4},
		{"s3://logs/access/logs/", keytrail.S3Access, dayRange("2024-05-01", ""), 4},
		{"s3://logs/access/logs/", keytrail.S3Access, dayRange("", "2024-01-20"), 4},
		{"s3://logs/access/logs/2024-02", keytrail.S3Access, dayRange("2024-01-01", "2024-12-31"), 4},
		{"s3://logs/access/", keytrail.S3Access, dayRange("2024-02-01", "2024-03-15"), 60},
		{"s3://logs/AWSLogs/", keytrail.CloudTrail, dayRange("2024-02-01", "2024-03-15"), 60},
		{"s3://logs/AWSLogs/", keytrail.CloudTrail, dayRange("2024-05-25", ""), 20},
	} {
		t.Run(fmt.Sprintf("%s %s", c.url, c.r), func(t *testing.T) {
			for _, slack := range []time.Duration{0, 36 * time.Hour} {
				srv.Reset()
				got := keysOf(list(t, newS3(t, srv, c.url, S3Options{}), c.typ, c.r, slack), "s3://logs/")
				var want []string
				for _, k := range all {
					if strings.HasPrefix("s3://logs/"+k, c.url) && !strings.Contains(k, "Digest") && keytrail.MayHold(ParseKey(c.typ, k), c.r, slack) {
						want = append(want, k)
					}
				}
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("slack %v: listed %d objects, want %d\nonly listed: %v\nmissing: %v", slack, len(got), len(want), minus(got, want), minus(want, got))
				}
				if n := srv.Count(s3test.List); n > c.maxLists {
					t.Errorf("slack %v: %d LIST requests, want at most %d: %v", slack, n, c.maxLists, listPrefixes(srv))
				}
			}
		})
	}
}
