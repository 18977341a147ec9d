package cloudtrail_test

import (
	"testing"
	"time"

	"github.com/keytrail/keytrail/cloudtrail"
)

func TestParseKey(t *testing.T) {
	tests := []struct {
		key                        string
		ok                         bool
		org, account, region, date string
		digest, insight            bool
	}{
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/04/24/111122223333_CloudTrail_us-east-1_20260424T1305Z_abcDEF0123456789.json.gz", true, "", "111122223333", "us-east-1", "2026-04-24T13:05:00Z", false, false},
		{"my/prefix/AWSLogs/o-exampleorgid/111122223333/CloudTrail/eu-west-1/2026/01/02/x.json.gz", true, "o-exampleorgid", "111122223333", "eu-west-1", "2026-01-02T00:00:00Z", false, false},
		{"/home/me/logs/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/04/24/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260424T130000Z.json.gz", true, "", "111122223333", "us-east-1", "2026-04-24T00:00:00Z", true, false},
		{"AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/04/24/f.json.gz", true, "", "111122223333", "us-east-1", "2026-04-24T00:00:00Z", false, true},
		{"AWSLogs/111122223333/CloudTrail-NetworkActivity/us-east-1/2026/04/24/f.json.gz", true, "", "111122223333", "us-east-1", "2026-04-24T00:00:00Z", false, false},
		// A file name whose time is of another day keeps the folder's day.
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/04/24/111122223333_CloudTrail_us-east-1_20260425T0005Z_x.json.gz", true, "", "111122223333", "us-east-1", "2026-04-24T00:00:00Z", false, false},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/13/24/f.json.gz", false, "", "", "", "", false, false},
		{"AWSLogs/1111/CloudTrail/us-east-1/2026/04/24/f.json.gz", false, "", "", "", "", false, false},
		{"AWSLogs/111122223333/elasticloadbalancing/us-east-1/2026/04/24/f.log.gz", false, "", "", "", "", false, false},
		{"logs/2026-04-24-13-05-00-ABCDEF0123456789", false, "", "", "", "", false, false},
		// Downloaded flat: the name tells.
		{"/tmp/dl/111122223333_CloudTrail_us-east-1_20260424T1305Z_abcDEF0123456789.json.gz", true, "", "111122223333", "us-east-1", "2026-04-24T13:05:00Z", false, false},
		{"dl\\111122223333_CloudTrail-Insight_eu-west-1_20260424T1305Z_abcDEF0123456789.json", true, "", "111122223333", "eu-west-1", "2026-04-24T13:05:00Z", false, true},
		{"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260424T130000Z.json.gz", true, "", "111122223333", "us-east-1", "2026-04-24T13:00:00Z", true, false},
		{"111122223333_CloudTrail_us-east-1_20260424T1305Z_short.json.gz", false, "", "", "", "", false, false},
		{"111122223333_CloudTrail_us-east-1_20260424T1305Z_abcDEF0123456789.csv", false, "", "", "", "", false, false},
		{"111122223333_CloudTrail_us-east-1_2026-04-24_abcDEF0123456789.json.gz", false, "", "", "", "", false, false},
		{"events.json", false, "", "", "", "", false, false},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/04", false, "", "", "", "", false, false},
	}
	for _, tt := range tests {
		loc, ok := cloudtrail.ParseKey(tt.key)
		if ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.key, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if loc.OrgID != tt.org || loc.Account != tt.account || loc.Region != tt.region || loc.Date.Format(time.RFC3339) != tt.date || loc.Digest != tt.digest || loc.Insight != tt.insight {
			t.Errorf("%s: got %+v", tt.key, loc)
		}
	}
}

func TestDayPrefix(t *testing.T) {
	got := cloudtrail.DayPrefix("AWSLogs/o-abc", "111122223333", "us-east-1", time.Date(2026, 4, 24, 13, 0, 0, 0, time.UTC))
	if want := "AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2026/04/24/"; got != want {
		t.Errorf("DayPrefix = %q, want %q", got, want)
	}
}
