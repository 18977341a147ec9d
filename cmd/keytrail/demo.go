package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/investigate"
	"github.com/keytrail/keytrail/source"
	"github.com/keytrail/keytrail/store"
	"github.com/spf13/cobra"
)

// DemoOptions are the flags of `keytrail demo`.
type DemoOptions struct {
	Format string
	Keep   string
}

func newDemoCommand(ios *IO, g *GlobalOptions) *cobra.Command {
	opts := &DemoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Investigate a built-in sample incident, end to end",
		Long: `Generate a realistic sample incident with ordinary background traffic (an IAM
user's access key used every five minutes by an EC2 instance running
"aws s3 cp", on a trail that records no S3 data events), ingest it into a
temporary store, and investigate the key, as you would with your own logs:

  keytrail ingest --cloudtrail DIR --s3-access-logs DIR
  keytrail investigate key AKIA…

--keep DIR keeps the generated logs and the store there to explore further.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), ios, g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "report format: text, json or markdown")
	cmd.Flags().StringVar(&opts.Keep, "keep", "", "keep the logs and the store in this folder")
	return cmd
}

func runDemo(ctx context.Context, ios *IO, g *GlobalOptions, opts *DemoOptions) error {
	write, err := reportWriter(opts.Format)
	if err != nil {
		return err
	}
	dir := opts.Keep
	if dir == "" {
		d, err := os.MkdirTemp("", "keytrail-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	say := func(format string, args ...any) {
		if !g.Quiet {
			fmt.Fprintf(ios.Err, format, args...)
		}
	}
	start := time.Now()
	cfg := gen.DefaultConfig()
	cfg.Days, cfg.CloudTrailEvents, cfg.AccessLogLines = 7, 40000, 30000
	cfg.CloudTrailFileInterval = 15 * time.Minute
	cfg.AccessLogFileInterval = time.Hour
	logs := filepath.Join(dir, "logs")
	sum, err := gen.Generate(logs, cfg)
	if err != nil {
		return fmt.Errorf("cannot generate the sample logs: %w", err)
	}
	say("keytrail demo: generated %d CloudTrail events and %d S3 access-log lines over %d days in %s\n",
		sum.CloudTrail.Records, sum.AccessLogs.Records, cfg.Days, logs)
	st, err := store.Create(filepath.Join(dir, "store"))
	if err != nil {
		return err
	}
	var inputs []ingest.Input
	for _, in := range []struct {
		t   keytrail.LogType
		sub string
	}{{keytrail.CloudTrail, "cloudtrail"}, {keytrail.S3Access, "s3-access-logs"}} {
		src, err := source.NewDir(filepath.Join(logs, in.sub))
		if err != nil {
			return err
		}
		inputs = append(inputs, ingest.Input{Type: in.t, Source: src})
	}
	isum, err := ingest.Run(ctx, st, ingest.Options{Inputs: inputs})
	if err != nil {
		return err
	}
	say("keytrail demo: ingested %d objects, %d records into %s\n", isum.Files, isum.Records, st.Dir)
	db, err := st.OpenDB(ctx, store.DBOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	say("keytrail demo: the story: IAM says access key %s was used on S3 today, and nobody knows by what.\n", gen.IncidentKey)
	say("keytrail demo: $ keytrail investigate key %s\n\n", gen.IncidentKey)
	rep, err := investigate.KeyReport(ctx, db, gen.IncidentKey, investigate.Options{})
	if err != nil {
		return err
	}
	if err := write(ios.Out, rep); err != nil {
		return err
	}
	say("\nkeytrail demo: done in %.1fs. Try it on your logs: keytrail ingest --cloudtrail DIR --s3-access-logs DIR, then keytrail investigate key AKIA…\n", time.Since(start).Seconds())
	if opts.Keep != "" {
		say("keytrail demo: explore further: keytrail query --store %s \"SELECT …\"\n", st.Dir)
	}
	return nil
}
