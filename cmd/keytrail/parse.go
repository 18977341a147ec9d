package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/cloudtrail"
	"github.com/keytrail/keytrail/s3access"
	"github.com/keytrail/keytrail/source"
	"github.com/spf13/cobra"
)

// ParseOptions are the flags of `keytrail parse`.
type ParseOptions struct {
	Type string
	AWS  AWSFlags
}

func newParseCommand(ios *IO, g *GlobalOptions) *cobra.Command {
	opts := &ParseOptions{}
	cmd := &cobra.Command{
		Use:   "parse [--type cloudtrail|s3access] FILE...",
		Short: "Print the records of log files as NDJSON, with Athena's column names",
		Long: `Parse CloudTrail or S3 server access log files and print one JSON object per
record on stdout, with the column names of AWS's Athena tables (eventtime,
useridentity.accesskeyid, requestdatetime, remoteip, …). Access-log records also
get requesttime, the request time in UTC (RFC 3339), and extra_fields, any fields
after the last one keytrail knows.

Files may be gzip- or zstd-compressed; "-" reads stdin, and s3://bucket/key
reads an object from S3 (the standard AWS credential chain, --profile,
--endpoint-url). The type is taken from the path (AWS key layouts) or the
content when --type is absent.

A record that cannot be read is reported on stderr with its file and line or
byte offset; the others are still printed.

EXIT STATUS
  0  every record of every file was read
  1  some record or file could not be read (the rest was printed)
  2  usage error`,
		Example: `  keytrail parse AWSLogs/111122223333/CloudTrail/us-east-1/2026/04/24/*.json.gz
  keytrail parse --type s3access logs/2026-04-24-*`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runParse(cmd.Context(), ios, g, opts, args)
		},
	}
	cmd.Flags().StringVarP(&opts.Type, "type", "t", "", "log type: cloudtrail or s3access (default: detect)")
	opts.AWS.add(cmd.Flags())
	return cmd
}

func runParse(ctx context.Context, ios *IO, g *GlobalOptions, opts *ParseOptions, files []string) error {
	var forced keytrail.LogType
	if opts.Type != "" {
		t, err := keytrail.ParseLogType(opts.Type)
		if err != nil {
			return &FlagError{Err: err}
		}
		forced = t
	}
	out := bufio.NewWriterSize(ios.Out, 256<<10)
	defer out.Flush()
	failed := false
	for _, name := range files {
		n, problems, err := parseFile(ctx, out, ios.Err, name, forced, g.Quiet, opts.AWS)
		if err != nil {
			fmt.Fprintf(ios.Err, "keytrail: %v\n", err)
			failed = true
			continue
		}
		if problems > 0 {
			failed = true
		}
		_ = n
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("cannot write output: %w", err)
	}
	if failed {
		return SilentError
	}
	return nil
}

// parseFile prints the records of one file; it returns the records printed
// and the number of problems reported on errOut. err is for a file that
// could not be opened or identified at all.
func parseFile(ctx context.Context, out *bufio.Writer, errOut io.Writer, name string, t keytrail.LogType, quiet bool, aws AWSFlags) (n, problems int, err error) {
	var f io.Reader
	if name == "-" {
		f = os.Stdin
		name = "(stdin)"
	} else if source.IsS3URL(name) {
		src, err := source.NewS3(ctx, name, source.S3Options{Profile: aws.Profile, Region: aws.Region, EndpointURL: aws.EndpointURL})
		if err != nil {
			return 0, 0, err
		}
		rc, err := src.Open(ctx, keytrail.Object{Key: name})
		if err != nil {
			return 0, 0, err
		}
		defer rc.Close()
		f = rc
	} else {
		fh, err := os.Open(name)
		if err != nil {
			return 0, 0, fmt.Errorf("cannot open %s: %w", name, errors.Unwrap(err))
		}
		defer fh.Close()
		f = fh
	}
	r, closeR, err := source.Decompress(f)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", name, err)
	}
	defer closeR()
	if t == "" {
		t, err = detectType(name, &r)
		if err != nil {
			return 0, 0, err
		}
	}
	report := func(err error) {
		problems++
		fmt.Fprintf(errOut, "keytrail: %v\n", err)
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	print := func(rec any) error {
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("cannot write output: %w", err)
		}
		n++
		return nil
	}
	reject := func(re *keytrail.RecordError) { report(re) }
	var fileErr error
	switch t {
	case keytrail.CloudTrail:
		cr := cloudtrail.NewReader(r, name)
		fileErr, err = keytrail.Each(cr.Next, &keytrail.Event{}, reject, func(ev *keytrail.Event) error { return print(ev) })
		if cr.Kind() == cloudtrail.KindDigest && !quiet {
			fmt.Fprintf(errOut, "keytrail: %s: a CloudTrail digest file (integrity hashes, not events): skipped\n", name)
		}
	case keytrail.S3Access:
		ar := s3access.NewReader(r, name)
		fileErr, err = keytrail.Each(ar.Next, &keytrail.AccessLogRecord{}, reject, func(rec *keytrail.AccessLogRecord) error { return print(rec) })
	}
	if err != nil {
		return n, problems, err
	}
	if fileErr != nil {
		report(fileErr)
	}
	return n, problems, nil
}

// detectType tells the log type from the path's key layout, or else from
// the first bytes of the content (the reader is replaced by one that still
// yields them).
func detectType(name string, r *io.Reader) (keytrail.LogType, error) {
	if _, ok := cloudtrail.ParseKey(name); ok {
		return keytrail.CloudTrail, nil
	}
	if _, ok := s3access.ParseKey(name); ok {
		return keytrail.S3Access, nil
	}
	br := bufio.NewReaderSize(*r, 64<<10)
	*r = br
	head, err := br.Peek(8 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return "", fmt.Errorf("cannot read %s: %w", name, err)
	}
	head = bytes.TrimLeft(head, "\xef\xbb\xbf \t\r\n")
	switch {
	case len(head) == 0:
		return keytrail.CloudTrail, nil // empty: nothing to print either way
	case head[0] == '{' || head[0] == '[':
		return keytrail.CloudTrail, nil
	case s3access.Sniff(head):
		return keytrail.S3Access, nil
	}
	return "", keytrail.Errorf(keytrail.EINVALID, "%s: cannot tell whether this is a CloudTrail or an S3 access log; give --type cloudtrail or --type s3access", name)
}
