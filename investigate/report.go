// Package investigate answers who, what and where for an access key, a
// principal, an IP address or an S3 object, from the CloudTrail events and
// S3 access-log requests in the store, and says what the logs cannot see.
//
// Every query goes through the store's DuckDB session with parameters;
// nothing the user typed is pasted into SQL.
package investigate

import (
	"time"

	"github.com/keytrail/keytrail/iamkeys"
)

// Report is the result of an investigation. Its JSON form is the contract
// for scripts: subject, window, principals, actors, timeline, findings,
// coverage.
type Report struct {
	Subject    Subject     `json:"subject"`
	Window     Window      `json:"window"`
	Conclusion string      `json:"conclusion"`
	Principals []Principal `json:"principals"`
	Actors     []*Actor    `json:"actors"`
	Timeline   Timeline    `json:"timeline"`
	Findings   []Finding   `json:"findings"`
	Coverage   Coverage    `json:"coverage"`
	Keys       []KeyState  `json:"keys,omitempty"` // key lifecycle from IAM events
	// IAM is what IAM said about the key (GetAccessKeyLastUsed,
	// ListAccessKeys), when it was asked.
	IAM *iamkeys.Owner `json:"iam,omitempty"`
}

// Subject is what was investigated.
type Subject struct {
	Kind  string `json:"kind"` // key, principal, ip, object
	Value string `json:"value"`
}

// Window is the time range the evidence covers (UTC). From and To are the
// bounds asked for, or the first and last evidence when none were.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Principal is an identity the subject resolves to.
type Principal struct {
	ARN       string    `json:"arn"`
	Type      string    `json:"type,omitempty"`
	Source    []string  `json:"source"` // how it was found: cloudtrail, iam-event, flag
	Events    int64     `json:"cloudtrail_events"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	OtherKeys []string  `json:"other_active_keys,omitempty"`
}

// Actor is one (source IP, user agent) pair seen in the evidence.
type Actor struct {
	SourceIP    string           `json:"source_ip"`
	UserAgent   string           `json:"user_agent"`
	Requests    int64            `json:"requests"`
	FirstSeen   time.Time        `json:"first_seen"`
	LastSeen    time.Time        `json:"last_seen"`
	Operations  map[string]int64 `json:"operations"`
	Buckets     []string         `json:"buckets"`
	KeyPrefixes []Count          `json:"top_key_prefixes"`
	ErrorCodes  map[string]int64 `json:"error_codes"`
	Interval    Interval         `json:"interval_seconds"`
	Sources     []string         `json:"sources"` // cloudtrail, s3-access-logs, both
	Principals  []string         `json:"principals,omitempty"`
	Attribution Attribution      `json:"attribution"`
	times       []time.Time
	prefixes    map[string]int64
	buckets     map[string]bool
	sources     map[string]bool
	principals  map[string]bool
}

// Count is a value and how often it was seen.
type Count struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Interval describes the typical gap between an actor's requests.
type Interval struct {
	Median    float64 `json:"median"`
	Scheduled bool    `json:"scheduled"` // regular gaps: a timer, not a person
	Jitter    float64 `json:"jitter"`    // median absolute deviation of the gaps, seconds
}

// Attribution is what the logs say about a source IP.
type Attribution struct {
	Kind        string `json:"kind"` // ec2-instance, aws-service, aws-internal, private, public, unknown
	Description string `json:"description"`
	InstanceID  string `json:"instance_id,omitempty"`
	AssignedAt  string `json:"assigned_at,omitempty"`
	AssignedBy  string `json:"assigned_by,omitempty"`
	VPCEndpoint string `json:"vpc_endpoint,omitempty"`
}

// Timeline counts requests per hour or day, by actor.
type Timeline struct {
	Bucket string           `json:"bucket"` // hour or day
	Starts []time.Time      `json:"starts"`
	Series []TimelineSeries `json:"series"`
}

// TimelineSeries is one actor's counts, aligned with Timeline.Starts.
type TimelineSeries struct {
	Actor  string  `json:"actor"` // "IP user-agent", or "other"
	Counts []int64 `json:"counts"`
}

// Finding is a conclusion or a blind spot, in plain words.
type Finding struct {
	Severity string `json:"severity"` // high, warning, info
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// Coverage is what the store holds for the window.
type Coverage struct {
	CloudTrailDays    []string `json:"cloudtrail_days"`
	CloudTrailRegions []string `json:"cloudtrail_regions"`
	AccessLogBuckets  []string `json:"access_log_buckets"`
	AccessLogDays     []string `json:"access_log_days"`
	S3DataEvents      int64    `json:"s3_data_events"`
}

// KeyState is what IAM events say of an access key's life.
type KeyState struct {
	KeyID       string    `json:"key_id"`
	User        string    `json:"user"`
	Created     time.Time `json:"created,omitzero"`
	Deactivated time.Time `json:"deactivated,omitzero"`
	Deleted     time.Time `json:"deleted,omitzero"`
}
