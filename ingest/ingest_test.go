package ingest

import (
	"testing"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/store"
)

func TestObjectID(t *testing.T) {
	const (
		name = "111122223333_CloudTrail_us-east-1_20260424T1005Z_abcdefghijklmnop.json"
		ct   = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/04/24/" + name + ".gz"
		id   = "cloudtrail:" + name
	)
	tests := []struct {
		t     keytrail.LogType
		paths []string
		want  string
	}{
		{keytrail.CloudTrail, []string{"/data/case1/" + ct}, id},
		{keytrail.CloudTrail, []string{"s3://trail/prefix/" + ct}, id},
		{keytrail.CloudTrail, []string{"/dl/" + name + ".gz"}, id},                                 // downloaded flat
		{keytrail.CloudTrail, []string{"/unzipped/" + name}, id},                                   // gunzipped
		{keytrail.CloudTrail, []string{"s3://t/AWSLogs/o-a1b2c3d4e5/" + ct[len("AWSLogs/"):]}, id}, // an organization trail's layout
		{keytrail.CloudTrail, []string{"/farm/" + ct, "/blobs/blob1"}, id},                         // a link in the layout
		{keytrail.CloudTrail, []string{"/a/latest.json.gz", "/a/" + ct}, id},                       // a link to a file in it
		{keytrail.CloudTrail, []string{"/x/AWSLogs/111122223333/CloudTrail/us-east-1/2026/04/24/mine.json"},
			"cloudtrail:AWSLogs/111122223333/CloudTrail/us-east-1/2026/04/24/mine.json"}, // in the layout, another name
		{keytrail.CloudTrail, []string{"/data/events.json"}, "/data/events.json"},
		{keytrail.S3Access, []string{"/dl/logs/2026-04-24-10-15-02-0123456789ABCDEF"}, "s3access:2026-04-24-10-15-02-0123456789ABCDEF"},
		{keytrail.S3Access, []string{"s3://logs/p/111122223333/us-east-1/bucket-one/2026/04/24/2026-04-24-00-00-00-0123456789ABCDEF"},
			"s3access:2026-04-24-00-00-00-0123456789ABCDEF"},
		{keytrail.S3Access, []string{"s3://logs/acme-logs2024-05-06-01-17-27-6168C47D143EA1E1"}, "s3access:acme-logs2024-05-06-01-17-27-6168C47D143EA1E1"},
		{keytrail.S3Access, []string{"/data/" + ct}, "/data/" + ct}, // not an access log's name
		{keytrail.CloudTrail, []string{"/d/caf\xe9.json"}, "hex:2f642f636166e92e6a736f6e"},
	}
	for _, tt := range tests {
		if got := objectID(tt.t, tt.paths...); got != tt.want {
			t.Errorf("objectID(%s, %q) = %q, want %q", tt.t, tt.paths, got, tt.want)
		}
	}
}

// TestAdoptIDs: entries of an old manifest are keyed by ID; two paths of
// one object become one entry covering what both read; entries of objects
// that were not logs go.
func TestAdoptIDs(t *testing.T) {
	const name = "2026-04-24-10-15-02-0123456789ABCDEF"
	day := func(d int) store.Span {
		from := time.Date(2026, 4, d, 0, 0, 0, 0, time.UTC)
		return store.Span{From: from, To: from.AddDate(0, 0, 1)}
	}
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	m := &store.Manifest{Sources: map[string]*store.SourceEntry{
		"/a/" + name:        {Key: "/a/" + name, Type: keytrail.S3Access, Size: 100, Spans: []store.Span{day(24)}, Rows: 10, Ingested: t0},
		"/copy/" + name:     {Key: "/copy/" + name + ".gz", Type: keytrail.S3Access, Size: 40, Spans: []store.Span{day(25)}, Rows: 5, Ingested: t0.Add(time.Hour)},
		"/a/README.md":      {Key: "/a/README.md", Type: keytrail.S3Access, Note: "not an S3 server access log"},
		"s3access:other":    {ID: "s3access:other", Key: "/x/other", Type: keytrail.S3Access},
		"/a/cut.json.gz":    {Key: "/a/cut.json.gz", Type: keytrail.CloudTrail, Note: "/a/cut.json.gz: byte 2482: unexpected end of data"},
		"/a/digest.json.gz": {Key: "/a/digest.json.gz", Type: keytrail.CloudTrail, Note: "digest file: no events"},
	}}
	changed, lost := adoptIDs(m)
	if !changed || len(lost) != 1 || lost[0].Key != "/a/README.md" {
		t.Fatalf("adoptIDs: changed %v, lost %v; want the README's entry lost", changed, lost)
	}
	if len(m.Sources) != 4 {
		t.Fatalf("%d entries, want 4: %v", len(m.Sources), m.Sources)
	}
	// The newer entry describes the file, key and size alike.
	e := m.Sources["s3access:"+name]
	if e == nil || e.Key != "/copy/"+name+".gz" || e.Size != 40 || e.Rows != 15 || len(e.Spans) != 1 || !e.Spans[0].From.Equal(day(24).From) || !e.Spans[0].To.Equal(day(25).To) {
		t.Errorf("merged entry %+v, want the newer key and size, 15 rows and the 24th and 25th", e)
	}
	// A file an older build could not read to its end is partial.
	if !m.Sources["/a/cut.json.gz"].Partial || m.Sources["/a/digest.json.gz"].Partial {
		t.Errorf("partial: cut %v, digest %v; want true and false", m.Sources["/a/cut.json.gz"].Partial, m.Sources["/a/digest.json.gz"].Partial)
	}
	if changed, _ := adoptIDs(m); changed {
		t.Error("a second adoptIDs changed the manifest again")
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Second:                 "20s",
		5*time.Hour + 46*time.Minute:     "5h46m",
		12 * time.Hour:                   "12h",
		30 * time.Minute:                 "30m",
		90*time.Minute + 29*time.Second:  "1h30m",
		6*time.Hour + 2*time.Millisecond: "6h",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %q, want %q", d, got, want)
		}
	}
}
