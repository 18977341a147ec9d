package s3access_test

import (
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/s3access"
)

func TestParseKey(t *testing.T) {
	day := func(y, m, d, hh, mm, ss int) time.Time {
		return time.Date(y, time.Month(m), d, hh, mm, ss, 0, time.UTC)
	}
	for _, tt := range []struct {
		key  string
		ok   bool
		want keytrail.Location // Path and Type are checked apart
	}{
		// Simple layout.
		{"logs/2026-04-24-10-15-02-ABCDEF0123456789", true, keytrail.Location{Date: day(2026, 4, 24, 10, 15, 2)}},
		{"2026-04-24-10-15-02-ABCDEF0123456789", true, keytrail.Location{Date: day(2026, 4, 24, 10, 15, 2)}},
		{"s3://log-bucket/access/2026-04-24-23-59-59-0123456789ABCDEF", true, keytrail.Location{Date: day(2026, 4, 24, 23, 59, 59)}},
		{"/home/me/s3logs/prod/2024-02-29-00-00-01-X", true, keytrail.Location{Date: day(2024, 2, 29, 0, 0, 1)}},
		{"logs/2026-04-24-10-15-02-ABCDEF0123456789.gz", true, keytrail.Location{Date: day(2026, 4, 24, 10, 15, 2)}},

		// Date-based partitioned layout, EventTime (time 00-00-00).
		{"logs/123456789012/us-east-1/amzn-s3-demo-bucket1/2026/04/24/2026-04-24-00-00-00-ABCDEF0123456789", true,
			keytrail.Location{Account: "123456789012", Region: "us-east-1", Bucket: "amzn-s3-demo-bucket1", Date: day(2026, 4, 24, 0, 0, 0), EventDate: true}},
		{"s3://central-logs/123456789012/us-gov-west-1/b.example/2026/01/02/2026-01-02-00-00-00-X", true,
			keytrail.Location{Account: "123456789012", Region: "us-gov-west-1", Bucket: "b.example", Date: day(2026, 1, 2, 0, 0, 0), EventDate: true}},
		{"210987654321/cn-north-1/data/2025/12/31/2025-12-31-00-00-00-X", true,
			keytrail.Location{Account: "210987654321", Region: "cn-north-1", Bucket: "data", Date: day(2025, 12, 31, 0, 0, 0), EventDate: true}},
		// DeliveryTime: a time of day, so not the event day.
		{"logs/123456789012/eu-west-1/amzn-s3-demo-bucket1/2026/04/24/2026-04-24-10-15-02-ABCDEF0123456789", true,
			keytrail.Location{Account: "123456789012", Region: "eu-west-1", Bucket: "amzn-s3-demo-bucket1", Date: day(2026, 4, 24, 10, 15, 2)}},
		// Folders that do not fit the partitioned form: the simple layout.
		{"logs/123456789012/us-east-1/bucket/2026/04/23/2026-04-24-00-00-00-X", true, keytrail.Location{Date: day(2026, 4, 24, 0, 0, 0)}},
		{"logs/12345678901/us-east-1/bucket/2026/04/24/2026-04-24-00-00-00-X", true, keytrail.Location{Date: day(2026, 4, 24, 0, 0, 0)}},
		{"logs/123456789012/US-EAST-1/bucket/2026/04/24/2026-04-24-00-00-00-X", true, keytrail.Location{Date: day(2026, 4, 24, 0, 0, 0)}},
		{"123456789012/us-east-1//2026/04/24/2026-04-24-00-00-00-X", true, keytrail.Location{Date: day(2026, 4, 24, 0, 0, 0)}},
		{"us-east-1/bucket/2026/04/24/2026-04-24-00-00-00-X", true, keytrail.Location{Date: day(2026, 4, 24, 0, 0, 0)}},

		// A prefix without a trailing slash is part of the name.
		{"s3://logs/acme-logs2024-05-06-01-17-27-6168C47D143EA1E1", true, keytrail.Location{Date: day(2024, 5, 6, 1, 17, 27)}},
		{"dl/access-2026-04-24-10-15-02-ABCDEF0123456789", true, keytrail.Location{Date: day(2026, 4, 24, 10, 15, 2)}},

		// Not access-log keys.
		{"notes-2026-04-24-10-15-02-X", false, keytrail.Location{}},
		{"backup-2026-04-24-10-15-02-ABCDEF012345678.tar", false, keytrail.Location{}},
		{"", false, keytrail.Location{}},
		{"logs/", false, keytrail.Location{}},
		{"logs/2026-04-24-10-15-02-", false, keytrail.Location{}},
		{"logs/2026-04-24-10-15-02", false, keytrail.Location{}},
		{"logs/2026-13-24-10-15-02-X", false, keytrail.Location{}},
		{"logs/2026-02-30-10-15-02-X", false, keytrail.Location{}},
		{"logs/2026-04-24-24-15-02-X", false, keytrail.Location{}},
		{"logs/2026-04-24T10-15-02-X", false, keytrail.Location{}},
		{"logs/2026-04-24-10-15-02-X/", false, keytrail.Location{}},
		{"AWSLogs/123456789012/CloudTrail/us-east-1/2026/04/24/123456789012_CloudTrail_us-east-1_20260424T1015Z_abc.json.gz", false, keytrail.Location{}},
	} {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := s3access.ParseKey(tt.key)
			if ok != tt.ok {
				t.Fatalf("ParseKey ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				if got != (keytrail.Location{}) {
					t.Errorf("Location = %+v, want zero", got)
				}
				return
			}
			want := tt.want
			want.Path, want.Type = tt.key, keytrail.S3Access
			if got != want {
				t.Errorf("ParseKey =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestDayPrefix(t *testing.T) {
	d := time.Date(2026, 4, 24, 23, 30, 0, 0, time.UTC)
	inTokyo := d.In(time.FixedZone("JST", 9*3600)) // 2026-04-25 08:30 local: the UTC day counts
	for _, day := range []time.Time{d, inTokyo} {
		if got, want := s3access.DayPrefix("logs/", day), "logs/2026-04-24-"; got != want {
			t.Errorf("DayPrefix = %q, want %q", got, want)
		}
		got := s3access.PartitionedDayPrefix("logs/", "123456789012", "us-east-1", "amzn-s3-demo-bucket1", day)
		if want := "logs/123456789012/us-east-1/amzn-s3-demo-bucket1/2026/04/24/"; got != want {
			t.Errorf("PartitionedDayPrefix = %q, want %q", got, want)
		}
	}
	if got := s3access.DayPrefix("", d); got != "2026-04-24-" {
		t.Errorf("DayPrefix without prefix = %q", got)
	}

	// Keys under a day's prefix parse back to that day.
	simple := s3access.DayPrefix("logs/", d) + "10-15-02-ABCDEF0123456789"
	part := s3access.PartitionedDayPrefix("logs/", "123456789012", "us-east-1", "b", d) + "2026-04-24-00-00-00-ABCDEF0123456789"
	for _, key := range []string{simple, part} {
		loc, ok := s3access.ParseKey(key)
		if !ok || loc.Date.Format(time.DateOnly) != "2026-04-24" {
			t.Errorf("ParseKey(%q) = %+v, %v", key, loc, ok)
		}
		if strings.HasPrefix(key, "logs/1") && (loc.Account != "123456789012" || !loc.EventDate) {
			t.Errorf("ParseKey(%q) = %+v", key, loc)
		}
	}
}
