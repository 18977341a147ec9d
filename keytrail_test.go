package keytrail_test

import (
	"testing"
	"time"

	"github.com/keytrail/keytrail"
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNewTimeRange(t *testing.T) {
	tests := []struct {
		from, to   string
		wantFrom   string
		wantTo     string
		wantErrSub string
	}{
		{"2026-04-24", "2026-04-24", "2026-04-24T00:00:00Z", "2026-04-25T00:00:00Z", ""},
		{"2026-04-24T13:00:00+02:00", "", "2026-04-24T11:00:00Z", "", ""},
		{"", "2026-04-24T13:00:00Z", "", "2026-04-24T13:00:00Z", ""},
		{"2026-04-25", "2026-04-24", "", "", "is not before"},
		{"yesterday", "", "", "", "cannot read time"},
		{"2026-02-30", "", "", "", "cannot read time"},
	}
	for _, tt := range tests {
		r, err := keytrail.NewTimeRange(tt.from, tt.to)
		if tt.wantErrSub != "" {
			if err == nil || keytrail.ErrorCode(err) != keytrail.EINVALID {
				t.Errorf("%q..%q: err = %v, want EINVALID", tt.from, tt.to, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q..%q: %v", tt.from, tt.to, err)
		}
		f, to := "", ""
		if !r.From.IsZero() {
			f = r.From.Format(time.RFC3339)
		}
		if !r.To.IsZero() {
			to = r.To.Format(time.RFC3339)
		}
		if f != tt.wantFrom || to != tt.wantTo {
			t.Errorf("%q..%q = %s..%s, want %s..%s", tt.from, tt.to, f, to, tt.wantFrom, tt.wantTo)
		}
	}
}

func TestMayHold(t *testing.T) {
	r := keytrail.TimeRange{From: mustTime("2026-04-24T00:00:00Z"), To: mustTime("2026-04-25T00:00:00Z")}
	slack := 2 * time.Hour
	tests := []struct {
		name string
		loc  keytrail.Location
		want bool
	}{
		{"no date", keytrail.Location{}, true},
		{"same day", keytrail.Location{Date: mustTime("2026-04-24T00:00:00Z")}, true},
		{"day before", keytrail.Location{Date: mustTime("2026-04-23T00:00:00Z")}, true}, // a file delivered late on the 23rd... ends at 24T00 + skew
		{"two days before", keytrail.Location{Date: mustTime("2026-04-22T00:00:00Z")}, false},
		{"next day (late delivery)", keytrail.Location{Date: mustTime("2026-04-25T00:00:00Z")}, true},
		{"delivered 01:30 next day", keytrail.Location{Date: mustTime("2026-04-25T01:30:00Z")}, true},
		{"delivered 03:00 next day", keytrail.Location{Date: mustTime("2026-04-25T03:00:00Z")}, false},
		{"delivered 23:50 the day before", keytrail.Location{Date: mustTime("2026-04-23T23:50:00Z")}, true},
		{"delivered 22:00 the day before", keytrail.Location{Date: mustTime("2026-04-23T22:00:00Z")}, false},
		{"event day", keytrail.Location{Date: mustTime("2026-04-24T00:00:00Z"), EventDate: true}, true},
		{"event day after", keytrail.Location{Date: mustTime("2026-04-25T00:00:00Z"), EventDate: true}, false},
		{"event day before", keytrail.Location{Date: mustTime("2026-04-23T00:00:00Z"), EventDate: true}, false},
	}
	for _, tt := range tests {
		if got := keytrail.MayHold(tt.loc, r, slack); got != tt.want {
			t.Errorf("%s: MayHold = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !keytrail.MayHold(keytrail.Location{Date: mustTime("2020-01-01T00:00:00Z")}, keytrail.TimeRange{}, slack) {
		t.Error("an unbounded range must hold everything")
	}
}
