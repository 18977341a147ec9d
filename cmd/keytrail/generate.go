package main

import (
	"fmt"
	"time"

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
the access logs because the trail records no S3 data events.`,
		Example: `  keytrail generate --events 100000 --lines 100000 --days 7 ./sample
  keytrail ingest --cloudtrail ./sample/cloudtrail --s3-access-logs ./sample/s3-access-logs`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := gen.DefaultConfig()
			cfg.Seed, cfg.Days, cfg.CloudTrailEvents, cfg.AccessLogLines = opts.Seed, opts.Days, opts.Events, opts.Lines
			cfg.Incident, cfg.DataEvents, cfg.OrgID, cfg.GzipLevel = opts.Incident, opts.DataEvents, opts.OrgID, opts.GzipLevel
			if opts.FileMinutes > 0 {
				cfg.CloudTrailFileInterval = time.Duration(opts.FileMinutes) * time.Minute
			}
			if opts.Start != "" {
				t, err := time.Parse("2006-01-02", opts.Start)
				if err != nil {
					return flagErrorf("--start must be a date (2026-04-24), not %q", opts.Start)
				}
				cfg.Start = t
			}
			sum, err := gen.Generate(args[0], cfg)
			if err != nil {
				return err
			}
			fmt.Fprint(ios.Err, sum.String())
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Events, "events", def.CloudTrailEvents, "CloudTrail events in all")
	f.IntVar(&opts.Lines, "lines", def.AccessLogLines, "S3 access-log lines in all")
	f.IntVar(&opts.Days, "days", def.Days, "days the logs cover")
	f.StringVar(&opts.Start, "start", def.Start.Format("2006-01-02"), "first UTC day")
	f.Int64Var(&opts.Seed, "seed", def.Seed, "seed: other seeds give other data")
	f.BoolVar(&opts.Incident, "incident", true, "include the demo incident")
	f.BoolVar(&opts.DataEvents, "data-events", false, "the trail records S3 data events")
	f.StringVar(&opts.OrgID, "org", "", "write an organization trail's layout with this org id (o-…)")
	f.IntVar(&opts.GzipLevel, "gzip-level", 0, "gzip level of the CloudTrail files (default: fast)")
	f.IntVar(&opts.FileMinutes, "file-minutes", 0, "minutes between CloudTrail files per account and region (default 5, as CloudTrail)")
	return cmd
}
