package keytrail

import "time"

// Coverage says what a store holds: for each table and each account and
// region (CloudTrail) or bucket (access logs), the days with rows, the row
// counts and the gaps inside the covered range.
type Coverage struct {
	Tables []TableCoverage `json:"tables"`
}

// TableCoverage is the coverage of one table.
type TableCoverage struct {
	Table  string          `json:"table"` // cloudtrail_logs or s3_access_logs
	Rows   int64           `json:"rows"`
	Groups []CoverageGroup `json:"groups"`
}

// CoverageGroup is one account/region (CloudTrail) or bucket (access logs).
type CoverageGroup struct {
	Account     string    `json:"account,omitempty"`
	Region      string    `json:"region,omitempty"`
	Bucket      string    `json:"bucket,omitempty"`
	First       time.Time `json:"first"` // earliest record time
	Last        time.Time `json:"last"`  // latest record time
	Days        int       `json:"days"`  // days with rows
	Rows        int64     `json:"rows"`
	MissingDays []string  `json:"missing_days"` // days without rows between the first and last
	EmptyHours  []string  `json:"empty_hours"`  // "2026-04-24T03" hours without rows inside days that have rows
}
