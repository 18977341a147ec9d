package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/source"
	"github.com/keytrail/keytrail/store"
	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// IngestOptions are the flags of `keytrail ingest`.
type IngestOptions struct {
	From, To     string
	CloudTrail   []string
	S3AccessLogs []string
	Strict       bool
	DryRun       bool
	NoCompact    bool
	Slack        time.Duration
	Workers      int
	FlushBytes   int64
	Format       string
	AWS          AWSFlags
	Accounts     []string
	Regions      []string
}

// AWSFlags are the flags of commands that may call AWS.
type AWSFlags struct {
	Profile, Region, EndpointURL string
}

func (a *AWSFlags) add(f *pflag.FlagSet) {
	f.StringVar(&a.Profile, "profile", "", "AWS profile of the shared config and credentials files (default: the standard credential chain)")
	f.StringVar(&a.Region, "region", "", "AWS region to start from (a bucket's own region is found automatically)")
	f.StringVar(&a.EndpointURL, "endpoint-url", "", "S3-compatible server to use instead of AWS, e.g. http://127.0.0.1:9000 (path-style addressing)")
}

func newIngestCommand(ios *IO, g *GlobalOptions) *cobra.Command {
	opts := &IngestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest [--from DATE] [--to DATE] [--cloudtrail LOC]... [--s3-access-logs LOC]...",
		Short: "Read CloudTrail and S3 access logs into the local store",
		Long: `Read CloudTrail logs and S3 server access logs from local files or folders, or
straight from S3 buckets (s3://bucket/prefix/), into the store: compact Parquet
files partitioned by table, bucket and UTC day.

Only what is new is read. A log is known by AWS's file name (unique by its time
and random string), so logs already stored are skipped however they are reached
again: another path, a link, a copy, a download of the bucket, a decompressed
copy. A file copied again to the same path is told by its content; one that
changed is reported and not read. With --from/--to only the objects whose key
layout (AWSLogs/…/YYYY/MM/DD, access-log date prefixes) can hold those days are
read, and a stored object only where it holds records not stored yet; rows are
kept by their own time. --from and --to are inclusive UTC dates (2026-04-24) or RFC 3339
instants. Logs are delivered late, so objects dated up to --slack (6h) after --to
are read too; if records of the range still turn up late in that window, the
summary says so and how to read further.

Records that cannot be read are counted, kept in the store's quarantine folder
with their source and reason, and summarised at the end; --strict makes them an
error. An interrupted ingest keeps what it committed; running it again finishes
the work without duplicating rows.

From S3, only the folders the date range needs are listed (AWSLogs/…/REGION/
YYYY/MM/DD/ for CloudTrail, organization trails included; date-named or
date-partitioned access logs), --accounts and --regions narrow that further,
objects are read concurrently with retries, and a re-run fetches only objects
not stored yet (an object of the same name and ETag is stored): nothing when
nothing changed. Credentials
come from the standard AWS chain (environment, --profile, SSO, instance role).
Prefixes that cannot be listed (access denied) are named and the rest is read.

EXIT STATUS
  0  done (rejected records are reported but are not an error without --strict)
  1  an error, or rejected records with --strict
  2  usage error`,
		Example: `  keytrail ingest --cloudtrail ./AWSLogs --from 2026-04-23 --to 2026-04-25
  keytrail ingest --s3-access-logs ./access-logs --format json
  keytrail ingest --cloudtrail s3://my-trail/AWSLogs/ --from 2026-04-24 --to 2026-04-24 --regions us-east-1
  keytrail ingest --s3-access-logs s3://my-logs/s3/ --profile ir --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIngest(cmd, ios, g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "", "first UTC day (YYYY-MM-DD) or instant (RFC 3339) to keep")
	f.StringVar(&opts.To, "to", "", "last UTC day (inclusive) or instant (exclusive) to keep")
	f.StringArrayVar(&opts.CloudTrail, "cloudtrail", nil, "CloudTrail logs: a file, folder or s3://bucket/prefix/ (repeatable)")
	f.StringArrayVar(&opts.S3AccessLogs, "s3-access-logs", nil, "S3 server access logs: a file, folder or s3://bucket/prefix/ (repeatable)")
	f.StringSliceVar(&opts.Accounts, "accounts", nil, "only these 12-digit account IDs (comma-separated), as the key layout names them")
	f.StringSliceVar(&opts.Regions, "regions", nil, "only these regions (comma-separated), as the key layout names them")
	opts.AWS.add(f)
	f.BoolVar(&opts.Strict, "strict", false, "exit with an error when any record is rejected")
	f.BoolVar(&opts.DryRun, "dry-run", false, "list what would be read, and read nothing")
	f.BoolVar(&opts.NoCompact, "no-compact", false, "do not merge small Parquet files after ingesting")
	f.DurationVar(&opts.Slack, "slack", ingest.DefaultSlack, "how late logs may be delivered after their records")
	f.IntVar(&opts.Workers, "workers", 0, "objects parsed at once (default: one per CPU)")
	f.StringVar(&opts.Format, "format", "text", "summary format: text or json")
	f.Int64Var(&opts.FlushBytes, "flush-bytes", 0, "bytes a worker buffers before writing Parquet (for tests)")
	f.MarkHidden("flush-bytes")
	return cmd
}

// storeDir returns the store folder named by --store, $KEYTRAIL_STORE or
// the default.
func storeDir(g *GlobalOptions) (string, error) {
	if g.Store != "" {
		return g.Store, nil
	}
	return store.DefaultDir()
}

// openStore returns the store named by --store, $KEYTRAIL_STORE or the
// default directory; create makes it when missing.
func openStore(g *GlobalOptions, create bool) (*store.Store, error) {
	dir, err := storeDir(g)
	if err != nil {
		return nil, err
	}
	if create {
		return store.Create(dir)
	}
	return store.Open(dir)
}

func runIngest(cmd *cobra.Command, ios *IO, g *GlobalOptions, opts *IngestOptions) error {
	if opts.Format != "text" && opts.Format != "json" {
		return flagErrorf("--format must be text or json, not %q", opts.Format)
	}
	if len(opts.CloudTrail)+len(opts.S3AccessLogs) == 0 {
		return flagErrorf("nothing to ingest: give --cloudtrail DIR and/or --s3-access-logs DIR")
	}
	r, err := keytrail.NewTimeRange(opts.From, opts.To)
	if err != nil {
		return &FlagError{Err: err}
	}
	if opts.Slack < 0 {
		return flagErrorf("--slack must be 0 or more, not %s: it is how late logs arrive after their records", opts.Slack)
	}
	for _, loc := range append(slices.Clone(opts.CloudTrail), opts.S3AccessLogs...) {
		if strings.TrimSpace(loc) == "" {
			return flagErrorf("an empty source was given (an unset variable?): --cloudtrail and --s3-access-logs take a folder, file or s3://bucket/prefix/")
		}
	}
	var inputs []ingest.Input
	for _, spec := range []struct {
		t    keytrail.LogType
		locs []string
	}{{keytrail.CloudTrail, opts.CloudTrail}, {keytrail.S3Access, opts.S3AccessLogs}} {
		for _, loc := range spec.locs {
			src, err := openSource(cmd.Context(), loc, opts)
			if err != nil {
				return err
			}
			inputs = append(inputs, ingest.Input{Type: spec.t, Source: src})
		}
	}
	// A dry run writes nothing, not even a new store: a missing one holds
	// nothing.
	st, err := openStore(g, !opts.DryRun)
	if opts.DryRun && keytrail.ErrorCode(err) == keytrail.ENOTFOUND {
		var dir string
		if dir, err = storeDir(g); err == nil {
			st, err = store.At(dir)
		}
	}
	if err != nil {
		return err
	}
	iopts := ingest.Options{
		Inputs: inputs, Range: r, Slack: opts.Slack, Workers: opts.Workers, FlushBytes: opts.FlushBytes,
		NoCompact: opts.NoCompact, DryRun: opts.DryRun, Accounts: opts.Accounts, Regions: opts.Regions,
		Wait: func(holder string) {
			fmt.Fprintf(ios.Err, "keytrail: waiting for the store %s: it is in use by %s\n", st.Dir, holder)
		},
	}
	if !g.Quiet && isTerminal(ios.Err) {
		iopts.Progress = newBarProgress(ios)
	}
	// Keep the heap of a long ingest bounded (the brief: 512 MB whatever the
	// input); the garbage collector works harder near the limit. GOMEMLIMIT
	// overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(320 << 20)
	}
	sum, err := ingest.Run(cmd.Context(), st, iopts)
	if err != nil && sum != nil && sum.Listed == 0 {
		sum = nil // failed before it listed anything: the error says it all
	}
	if sum != nil {
		if opts.Format == "json" {
			enc := json.NewEncoder(ios.Out)
			enc.SetIndent("", "  ")
			enc.Encode(sum)
		} else {
			if opts.DryRun { // the result: what would be read
				for _, k := range sum.DryRunObject {
					fmt.Fprintln(ios.Out, k)
				}
			}
			if !g.Quiet || err != nil || sum.Problems() {
				printIngestSummary(ios, sum, opts.DryRun)
			}
		}
	}
	if err != nil {
		return err
	}
	if opts.Strict && sum.Problems() {
		return keytrail.Errorf(keytrail.EINVALID, "--strict: %d records rejected (%d of them before this run), %d objects not read to their end (%d of them before this run), %d objects changed since they were stored and %d prefixes not listed",
			sum.Rejected+sum.RejectedBefore, sum.RejectedBefore, len(sum.FileErrors)+len(sum.KnownPartial), len(sum.KnownPartial), len(sum.Changed), len(sum.Skipped))
	}
	return nil
}

// openDB opens a read-only SQL session over the store named by the global
// flags; the caller closes it.
func openDB(ctx context.Context, g *GlobalOptions, opts store.DBOptions) (*store.DB, error) {
	st, err := openStore(g, false)
	if err != nil {
		return nil, err
	}
	opts.ReadOnly = true
	return st.OpenDB(ctx, opts)
}

// openSource returns the Source for a --cloudtrail or --s3-access-logs value.
func openSource(ctx context.Context, loc string, opts *IngestOptions) (keytrail.Source, error) {
	if source.IsS3URL(loc) {
		return source.NewS3(ctx, loc, source.S3Options{
			Profile: opts.AWS.Profile, Region: opts.AWS.Region, EndpointURL: opts.AWS.EndpointURL,
			Accounts: opts.Accounts, Regions: opts.Regions,
		})
	}
	return source.NewDir(loc)
}

func printIngestSummary(ios *IO, s *ingest.Summary, dryRun bool) {
	w := ios.Err
	if dryRun {
		fmt.Fprintf(w, "dry run: would read %s objects (%s); %s already stored, %s digest files skipped\n",
			count(int64(s.Files)), bytesHuman(s.Bytes), count(int64(s.Unchanged)), count(int64(s.Digests)))
		printListProblems(w, s)
		return
	}
	status := "ingested"
	if s.Interrupted {
		status = "interrupted after"
	}
	already := ""
	if s.Already > 0 {
		already = fmt.Sprintf(", %s stored before (read again for the wider range)", count(s.Already))
	}
	fmt.Fprintf(w, "%s %s objects (%s) in %.1fs: %s records stored, %s outside the range%s, %s rejected; %s objects already stored; store %s\n",
		status, count(int64(s.Files)), bytesHuman(s.Bytes), s.Elapsed.Seconds(), count(s.Records), count(s.OutOfRange), already,
		count(s.Rejected), count(int64(s.Unchanged)), signedBytes(s.StoreBytes))
	if s.SameBytes > 0 {
		fmt.Fprintf(w, "  %s of the objects already stored have new modification times and the same bytes (copied again)\n", count(int64(s.SameBytes)))
	}
	if s.Digests > 0 {
		fmt.Fprintf(w, "  %s CloudTrail digest files skipped (integrity hashes, not events)\n", count(int64(s.Digests)))
	}
	printList(w, "not read in full: ", s.FileErrors)
	if n := len(s.NotLogs); n > 0 {
		fmt.Fprintf(w, "  %d objects skipped that are not logs of the type their flag says (first: %s): check --cloudtrail and --s3-access-logs\n", n, s.NotLogs[0])
	}
	printListProblems(w, s)
	rejected := make([]string, len(s.RejectedBy))
	for i, r := range s.RejectedBy {
		rejected[i] = fmt.Sprintf("%s rejected in %s: %s/%s", count(r.Rejected), r.Key, s.Store, r.Quarantine)
	}
	printList(w, "", rejected)
	if s.RejectedBefore > 0 {
		fmt.Fprintf(w, "  %s records of the objects stored earlier were rejected then\n", count(s.RejectedBefore))
	}
	if s.Rejected+s.RejectedBefore > 0 {
		fmt.Fprintf(w, "  rejected records are kept with their source, place and reason in %s/quarantine\n", s.Store)
	}
	if s.Interrupted {
		fmt.Fprintln(w, "  run the same command again to finish: what was stored is kept and will not be read twice")
	}
}

// printListProblems says what listing and planning found, which a dry run
// reports too: prefixes not listed, objects changed since they were stored
// or stored partial, objects listed twice, and the warnings.
func printListProblems(w io.Writer, s *ingest.Summary) {
	printList(w, "not listed, so not read: ", s.Skipped)
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "  %s\n", s.SkippedHint)
	}
	printList(w, "stored earlier, not read in full then: ", s.KnownPartial)
	printList(w, "changed since it was ingested (size, ETag, or bytes at a new modification time), skipped: ", s.Changed)
	if len(s.Changed) > 0 {
		fmt.Fprintln(w, "  AWS never rewrites a delivered log: unless a file was stored while it was still being copied, check who changed them. The store keeps the rows of the versions it read; to read the new versions, ingest them into a new store")
	}
	if s.Twice > 0 {
		fmt.Fprintf(w, "  %s objects listed twice (overlapping sources, links or copies of logs) were read once\n", count(int64(s.Twice)))
	}
	if s.InStore > 0 {
		fmt.Fprintf(w, "  %s files of the store itself, inside a source folder, were passed over\n", count(int64(s.InStore)))
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}

// printList prints the first five items, each after label, and how many
// more there are: a run with thousands of problems must not flood the
// terminal (--format json has them all).
func printList(w io.Writer, label string, items []string) {
	for i, it := range items {
		if i == 5 {
			fmt.Fprintf(w, "  … and %s more (--format json lists them all)\n", count(int64(len(items)-i)))
			return
		}
		fmt.Fprintf(w, "  %s%s\n", label, it)
	}
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// barProgress draws ingest progress on a terminal.
type barProgress struct {
	ios     *IO
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	files   int
	total   int
	records int64
}

func newBarProgress(ios *IO) *barProgress { return &barProgress{ios: ios} }

func (p *barProgress) Start(files int, bytes int64) {
	p.total = files
	p.bar = progressbar.NewOptions64(bytes,
		progressbar.OptionSetWriter(p.ios.Err),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription("reading"),
	)
}

func (p *barProgress) Advance(files int, bytes, records int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files += files
	p.records += records
	p.bar.Describe(fmt.Sprintf("%d/%d files, %s records", p.files, p.total, count(p.records)))
	p.bar.Add64(bytes)
}

func (p *barProgress) Done() {
	p.bar.Finish()
}

// count formats n with thousands separators.
func count(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// signedBytes formats a change of size: +1.2 MiB, -3.0 KiB.
func signedBytes(n int64) string {
	if n < 0 {
		return "-" + bytesHuman(-n)
	}
	return "+" + bytesHuman(n)
}

// bytesHuman formats a byte count for people.
func bytesHuman(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
