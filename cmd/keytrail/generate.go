package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/spf13/cobra"
)

// GenerateOptions are the flags of `keytrail generate`.
type GenerateOptions struct {
	Events, Lines, Days int
	Start               string
	Seed                int64
	Incident            bool
	DataEvents          bool
	OrgID               string
	GzipLevel           int
	FileMinutes         int
}

func newGenerateCommand(ios *IO) *cobra.Command {
	opts := &GenerateOptions{}
	def := gen.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "generate [--events N] [--lines N] [--days D] OUT_DIR",
		Short: "Write realistic sample CloudTrail and S3 access logs (for trying keytrail, tests and benchmarks)",
		Long: `Write deterministic, realistic CloudTrail logs and S3 server access logs in
AWS's key layouts under OUT_DIR/cloudtrail (AWSLogs/…, with digest files) and
OUT_DIR/s3-access-logs (both the simple and the date-partitioned layout). The
same flags always give the same bytes.

With --incident (the default) the logs hold the demo story: an access key used
every five minutes by an EC2 instance uploading with "aws s3 cp", visible only in
the access logs because the trail records no S3 data events.

--events and --lines count the incident's records, and --events counts the S3
data events of --data-events (most access-log lines have one). These are always
written in full, so a smaller number gives more records than asked (a note says
so). OUT_DIR is created if it does not exist.`,
		Example: `  keytrail generate --events 100000 --lines 100000 --days 7 ./sample
  keytrail ingest --cloudtrail ./sample/cloudtrail --s3-access-logs ./sample/s3-access-logs`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := opts.config()
			if err != nil {
				return err
			}
			dir := args[0]
			if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
				return keytrail.Errorf(keytrail.EINVALID, "OUT_DIR %s is a file, not a folder: give a new or existing folder to write the logs in", dir)
			}
			sum, err := gen.Generate(dir, cfg)
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return keytrail.Errorf(keytrail.EINVALID, "cannot write the logs below %s: %v", dir, err)
			}
			if err != nil {
				return err
			}
			if quiet, _ := cmd.Flags().GetBool("quiet"); quiet {
				return nil
			}
			fmt.Fprint(ios.Err, sum.String())
			var always []string
			if opts.Incident {
				always = append(always, "the incident's")
			}
			if opts.DataEvents {
				always = append(always, "the S3 data")
			}
			if n := sum.CloudTrail.Records; n > int64(opts.Events) {
				fmt.Fprintf(ios.Err, "keytrail: note: %d CloudTrail events, more than --events %d: %s events are always written\n", n, opts.Events, strings.Join(always, " and "))
			}
			if n := sum.AccessLogs.Records; n > int64(opts.Lines) {
				fmt.Fprintf(ios.Err, "keytrail: note: %d access-log lines, more than --lines %d: the incident's uploads are always written\n", n, opts.Lines)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Events, "events", def.CloudTrailEvents, "CloudTrail events in all, at least the incident's and the S3 data events")
	f.IntVar(&opts.Lines, "lines", def.AccessLogLines, "S3 access-log lines in all, at least the incident's uploads")
	f.IntVar(&opts.Days, "days", def.Days, "days the logs cover, 1 to 3650")
	f.StringVar(&opts.Start, "start", def.Start.Format("2006-01-02"), "first UTC day, 1970-01-01 to 9989-12-31")
	f.Int64Var(&opts.Seed, "seed", def.Seed, "seed: other seeds give other data")
	f.BoolVar(&opts.Incident, "incident", true, "include the demo incident")
	f.BoolVar(&opts.DataEvents, "data-events", false, "the trail records S3 data events")
	f.StringVar(&opts.OrgID, "org", "", "write an organization trail's layout with this organization ID (o-a1b2c3d4e5)")
	f.IntVar(&opts.GzipLevel, "gzip-level", 2, "gzip level of the CloudTrail files, 1 (fastest) to 9 (smallest)")
	f.IntVar(&opts.FileMinutes, "file-minutes", 5, "minutes between CloudTrail files per account and region, 1 to 1440")
	return cmd
}

// Bounds of the flags: --days and --start keep every key in the years
// 1970–9999 (the generator's day arithmetic assumes times after 1970, and
// files of the last day are delivered up to a day later) and the per-minute
// timeline of --days in memory.
const maxGenerateDays = 3650

var (
	minGenerateStart = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxGenerateStart = time.Date(9989, 12, 31, 0, 0, 0, 0, time.UTC)
)

// config checks the flags and returns the generator's configuration. A
// value out of range is a usage error naming the flag, the value and the
// range.
func (o *GenerateOptions) config() (gen.Config, error) {
	cfg := gen.DefaultConfig()
	for _, f := range []struct {
		name   string
		v      int
		lo, hi int
	}{
		{"events", o.Events, 0, math.MaxInt},
		{"lines", o.Lines, 0, math.MaxInt},
		{"days", o.Days, 1, maxGenerateDays},
		{"file-minutes", o.FileMinutes, 1, 1440},
		{"gzip-level", o.GzipLevel, 1, 9},
	} {
		switch {
		case f.v >= f.lo && f.v <= f.hi:
		case f.hi == math.MaxInt:
			return cfg, flagErrorf("--%s must be %d or more, not %d", f.name, f.lo, f.v)
		default:
			return cfg, flagErrorf("--%s must be %d to %d, not %d", f.name, f.lo, f.hi, f.v)
		}
	}
	start, err := time.Parse("2006-01-02", o.Start)
	if err != nil || start.Before(minGenerateStart) || start.After(maxGenerateStart) {
		return cfg, flagErrorf("--start must be a date from %s to %s (YYYY-MM-DD), not %q",
			minGenerateStart.Format("2006-01-02"), maxGenerateStart.Format("2006-01-02"), o.Start)
	}
	if o.OrgID != "" && !gen.ValidOrgID(o.OrgID) {
		return cfg, flagErrorf("--org must be an organization ID, o- and 10 to 32 lowercase letters or digits (o-a1b2c3d4e5), not %q", o.OrgID)
	}
	cfg.Seed, cfg.Start, cfg.Days = o.Seed, start, o.Days
	cfg.CloudTrailEvents, cfg.AccessLogLines = o.Events, o.Lines
	cfg.Incident, cfg.DataEvents, cfg.OrgID, cfg.GzipLevel = o.Incident, o.DataEvents, o.OrgID, o.GzipLevel
	cfg.CloudTrailFileInterval = time.Duration(o.FileMinutes) * time.Minute
	return cfg, nil
}
