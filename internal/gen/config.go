// Package gen generates realistic, deterministic AWS logs — CloudTrail log
// files and S3 server access logs — for tests, benchmarks and the demo.
//
// The same Config (including Seed) always gives byte-identical output.
// Generate writes the files in the key layouts AWS uses (CloudTrail's
// AWSLogs/… tree with digest files beside it; S3 access logs in the simple
// and the date-partitioned layout). NewCloudTrailStream and
// NewAccessLogStream give the same records in memory, in time order; Generate
// is built on them, so there is one implementation of each format.
//
// With Config.Incident the data holds a story to investigate: an IAM user's
// access key (IncidentKey) used every five minutes by an EC2 instance that
// uploads database dumps with `aws s3 cp`, visible only in the S3 access logs
// because the trail records no S3 data events. See the Incident* constants.
package gen

import (
	"fmt"
	"time"
)

// The incident story (Config.Incident). IAM user deploy-bot in account
// IncidentAccount owns IncidentKey, which a script on EC2 instance
// IncidentInstance (private IP IncidentIP, launched on the first day by a
// RunInstances event) uses every five minutes, ± 20 s, to run
// `aws s3 cp` of a database dump to IncidentBucket. The uploads go through a
// gateway VPC endpoint, so the access log shows the private IP. A second key,
// IncidentSecondKey, is created on the second day and used a few times from
// a laptop (IncidentLaptopIP); IncidentKey is deactivated on the last day
// (UpdateAccessKey, status Inactive) and the uploads stop then.
const (
	IncidentAccount        = "111122223333"
	IncidentRegion         = "us-east-1"
	IncidentUserName       = "deploy-bot"
	IncidentUser           = "arn:aws:iam::111122223333:user/deploy-bot"
	IncidentKey            = "AKIAIOSFODNN7EXAMPLE"
	IncidentSecondKey      = "AKIAI44QH8DHBEXAMPLE"
	IncidentInstance       = "i-0a1b2c3d4e5f60718"
	IncidentIP             = "10.0.3.17"
	IncidentBucket         = "acme-prod-backups"
	IncidentLaptopIP       = "203.0.113.45"
	IncidentVPCEndpoint    = "vpce-0f3a9b2c41d5e6a78"
	IncidentUploadInterval = 5 * time.Minute
	// IncidentUserAgent is the user agent of the uploads. The script's other
	// CLI calls differ only in the command/ part (sts.get-caller-identity,
	// s3.ls), as the AWS CLI writes it.
	IncidentUserAgent = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.167.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/s3.cp"
	// IncidentLaptopUserAgent is the user agent of the second key's requests.
	IncidentLaptopUserAgent = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69"
	// IncidentAdminRole is the role whose session launches the instance and
	// manages deploy-bot's keys.
	IncidentAdminRole = "arn:aws:iam::111122223333:role/AdminRole"
)

// Config says what to generate. The zero value is not useful; start from
// DefaultConfig.
type Config struct {
	// Seed selects the data; the same Config gives the same bytes.
	Seed int64
	// Start is the UTC day the data starts (the time of day is ignored).
	Start time.Time
	// Days is how many days the events cover.
	Days int
	// CloudTrailEvents is the number of CloudTrail records over all days,
	// data events and the incident's events included. When the incident or
	// the data events alone need more, they win.
	CloudTrailEvents int
	// AccessLogLines is the number of S3 access-log lines over all days and
	// buckets, the incident's uploads included (which win if they need more).
	AccessLogLines int
	// Accounts are the 12-digit account IDs; the trail logs all of them.
	Accounts []string
	// Regions are the regions the trail logs in every account.
	Regions []string
	// OrgID, when set, makes the trail an organization trail: keys are
	// AWSLogs/<OrgID>/<account>/CloudTrail/…. See ValidOrgID.
	OrgID string
	// Incident adds the demo incident story (see the Incident* constants).
	// It adds IncidentAccount and IncidentRegion when they are missing.
	Incident bool
	// DataEvents makes the trail record S3 data events (GetObject,
	// PutObject, …) for the logged buckets; each then has the request ID of
	// the same request in the access logs. Off by default, which is the
	// point of the incident story.
	DataEvents bool
	// CloudTrailFileInterval is how much event time one CloudTrail file
	// covers per account and region; 0 means 5 minutes.
	CloudTrailFileInterval time.Duration
	// AccessLogFileInterval is how much request time one access-log file
	// covers per bucket (each interval has two files, as several S3 log
	// writers deliver in parallel); 0 means 30 minutes. It must divide a day.
	AccessLogFileInterval time.Duration
	// TrailName names the trail (digest file names, digest bucket); empty
	// means "acme-trail".
	TrailName string
	// GzipLevel is the compression level of CloudTrail files, 1 (fastest)
	// to 9; 0 means 2, which is fast and close to level 6 in size.
	GzipLevel int
}

// DefaultConfig returns a small configuration with the incident: three days
// from 2024-05-06, 30,000 CloudTrail events, 20,000 access-log lines, two
// accounts and two regions, no S3 data events.
func DefaultConfig() Config {
	return Config{
		Seed:             1,
		Start:            time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC),
		Days:             3,
		CloudTrailEvents: 30000,
		AccessLogLines:   20000,
		Accounts:         []string{"111122223333", "444455556666"},
		Regions:          []string{"us-east-1", "eu-west-1"},
		Incident:         true,
	}
}

// normalize fills defaults and checks the configuration.
func (c Config) normalize() (Config, error) {
	if c.Start.IsZero() {
		c.Start = DefaultConfig().Start
	}
	s := c.Start.UTC()
	c.Start = time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, time.UTC)
	if c.Days <= 0 {
		c.Days = 1
	}
	if c.CloudTrailEvents < 0 {
		return c, fmt.Errorf("gen: CloudTrailEvents %d is negative", c.CloudTrailEvents)
	}
	if c.AccessLogLines < 0 {
		return c, fmt.Errorf("gen: AccessLogLines %d is negative", c.AccessLogLines)
	}
	if len(c.Accounts) == 0 {
		c.Accounts = DefaultConfig().Accounts
	}
	if len(c.Regions) == 0 {
		c.Regions = DefaultConfig().Regions
	}
	c.Accounts = append([]string(nil), c.Accounts...)
	c.Regions = append([]string(nil), c.Regions...)
	if c.Incident {
		if !contains(c.Accounts, IncidentAccount) {
			c.Accounts = append([]string{IncidentAccount}, c.Accounts...)
		}
		if !contains(c.Regions, IncidentRegion) {
			c.Regions = append([]string{IncidentRegion}, c.Regions...)
		}
	}
	seen := map[string]bool{}
	for _, a := range c.Accounts {
		if len(a) != 12 || !allDigits(a) {
			return c, fmt.Errorf("gen: account %q is not 12 digits", a)
		}
		if seen[a] {
			return c, fmt.Errorf("gen: account %s listed twice", a)
		}
		seen[a] = true
	}
	for _, r := range c.Regions {
		if r == "" || seen[r] {
			return c, fmt.Errorf("gen: bad or repeated region %q", r)
		}
		seen[r] = true
	}
	if c.OrgID != "" && !ValidOrgID(c.OrgID) {
		return c, fmt.Errorf("gen: organization id %q is not o- and 10 to 32 lowercase letters or digits", c.OrgID)
	}
	if c.CloudTrailFileInterval <= 0 {
		c.CloudTrailFileInterval = 5 * time.Minute
	}
	if c.CloudTrailFileInterval < time.Minute {
		c.CloudTrailFileInterval = time.Minute
	}
	if c.AccessLogFileInterval <= 0 {
		c.AccessLogFileInterval = 30 * time.Minute
	}
	if secs := int64(c.AccessLogFileInterval / time.Second); secs < 60 || 86400%secs != 0 || c.AccessLogFileInterval%time.Second != 0 {
		return c, fmt.Errorf("gen: access-log file interval %v does not divide a day", c.AccessLogFileInterval)
	}
	if c.GzipLevel == 0 {
		c.GzipLevel = 2
	}
	if c.GzipLevel < 1 || c.GzipLevel > 9 {
		return c, fmt.Errorf("gen: gzip level %d out of 1..9", c.GzipLevel)
	}
	if c.TrailName == "" {
		c.TrailName = "acme-trail"
	}
	return c, nil
}

// ValidOrgID reports whether id is an AWS Organizations ID: o- and 10 to 32
// lowercase letters or digits (o-[a-z0-9]{10,32}).
func ValidOrgID(id string) bool {
	if len(id) < 12 || len(id) > 34 || id[:2] != "o-" {
		return false
	}
	for i := 2; i < len(id); i++ {
		if c := id[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
