package main

import (
	"context"
	"io"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/iamkeys"
	"github.com/keytrail/keytrail/internal/awsenv"
	"github.com/keytrail/keytrail/investigate"
	"github.com/keytrail/keytrail/store"
	"github.com/spf13/cobra"
)

// InvestigateOptions are the flags of `keytrail investigate …`.
type InvestigateOptions struct {
	From, To   string
	Format     string
	Principals []string
	Offline    bool
	AWS        AWSFlags
	key        bool // investigate key: IAM may be asked
}

func newInvestigateCommand(ios *IO, g *GlobalOptions) *cobra.Command {
	opts := &InvestigateOptions{}
	cmd := &cobra.Command{
		Use:   "investigate key|principal|ip|object VALUE",
		Short: "Find out who, what and where: for an access key, principal, IP address or S3 object",
		Long: `Investigate an access key, a principal, a source IP address or an S3 object with
the CloudTrail events and S3 server access logs in the store: who (principals),
what (operations, buckets, keys), where (source IPs, and what the logs say they
are: EC2 instances, VPC endpoints, AWS services), how often (cadence, timeline),
and what the logs cannot see (blind spots).

The report leads with its conclusion. --format json gives the same report for
scripts (subject, window, principals, actors, timeline, findings, coverage).`,
	}
	cmd.PersistentFlags().StringVar(&opts.From, "from", "", "first UTC day (YYYY-MM-DD) or instant (RFC 3339)")
	cmd.PersistentFlags().StringVar(&opts.To, "to", "", "last UTC day (inclusive) or instant (exclusive)")
	cmd.PersistentFlags().StringVar(&opts.Format, "format", "text", "report format: text, json or markdown")
	sub := func(use, short, long, example string, run func(context.Context, *store.DB, string, investigate.Options) (*investigate.Report, error)) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Long: long, Example: example,
			Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				return runInvestigate(c.Context(), ios, g, opts, args[0], run)
			},
		}
	}
	key := sub("key KEYID", "Who and what uses an access key",
		`Find the principals that own the key (CloudTrail events made with it, IAM events that
name it, --principal, and IAM), then its CloudTrail events and its principals' S3
access-log requests, grouped by source IP and user agent. The S3 access logs name
the principal, not the key: when the principal has other keys, the report says the
attribution is ambiguous.

When AWS credentials are available (environment, --profile, SSO, instance role),
IAM and STS are asked who owns the key, when and where it was last used, and
which other keys its user has (sts:GetAccessKeyInfo, iam:GetAccessKeyLastUsed,
iam:GetUser, iam:ListAccessKeys: read-only calls, recorded in CloudTrail).
--offline makes no AWS call at all.`,
		"  keytrail investigate key AKIAIOSFODNN7EXAMPLE\n  keytrail investigate key AKIAIOSFODNN7EXAMPLE --principal arn:aws:iam::111122223333:user/deploy-bot --format json",
		investigate.KeyReport)
	key.Flags().StringArrayVar(&opts.Principals, "principal", nil, "ARN of the key's owner, when the logs do not name it (repeatable)")
	key.Flags().BoolVar(&opts.Offline, "offline", false, "make no AWS call (do not ask IAM who owns the key)")
	key.Flags().StringVar(&opts.AWS.Profile, "profile", "", "AWS profile to ask IAM with (default: the standard credential chain)")
	key.Flags().StringVar(&opts.AWS.Region, "region", "", "AWS region for STS (default: the profile's, or us-east-1)")
	key.PreRun = func(*cobra.Command, []string) { opts.key = true }
	cmd.AddCommand(key,
		sub("principal ARN", "What an IAM user, role or session did, and from where", "", "  keytrail investigate principal arn:aws:iam::111122223333:user/deploy-bot", investigate.PrincipalReport),
		sub("ip ADDRESS", "Who made requests from an IP address, and what it is", "", "  keytrail investigate ip 10.0.3.17", investigate.IPReport),
		sub("object s3://BUCKET/KEY", "Who read, wrote or deleted an S3 object, when and from where", "", "  keytrail investigate object s3://acme-prod-backups/backups/db.sql.gz", investigate.ObjectReport),
	)
	return cmd
}

func runInvestigate(ctx context.Context, ios *IO, g *GlobalOptions, opts *InvestigateOptions, value string,
	run func(context.Context, *store.DB, string, investigate.Options) (*investigate.Report, error)) error {
	write, err := reportWriter(opts.Format)
	if err != nil {
		return err
	}
	r, err := keytrail.NewTimeRange(opts.From, opts.To)
	if err != nil {
		return &FlagError{Err: err}
	}
	db, err := openDB(ctx, g, store.DBOptions{})
	if err != nil {
		return err
	}
	defer db.Close()
	if len(db.Manifest.Files) == 0 {
		return keytrail.Errorf(keytrail.ENOTFOUND, "the store %s is empty: ingest logs first (keytrail ingest --cloudtrail DIR --s3-access-logs DIR)", db.Dir)
	}
	iopts := investigate.Options{Range: r, Principals: opts.Principals}
	if opts.key && !opts.Offline {
		if iopts.IAM, iopts.IAMError, err = askIAM(ctx, opts.AWS, value); err != nil {
			return err
		}
	}
	rep, err := run(ctx, db, value, iopts)
	if err != nil {
		return err
	}
	return write(ios.Out, rep)
}

// askIAM asks IAM and STS about keyID when AWS credentials are available.
// No credentials is not an error (the logs may say enough); a failed
// lookup is returned as text for the report; a --profile that does not
// exist is an error.
func askIAM(ctx context.Context, flags AWSFlags, keyID string) (*iamkeys.Owner, string, error) {
	if investigate.ValidateKeyID(keyID) != nil {
		return nil, "", nil // KeyReport says what is wrong with it
	}
	cfg, err := awsenv.Load(ctx, awsenv.Options{Profile: flags.Profile, Region: flags.Region})
	if err != nil {
		return nil, "", err
	}
	if err := awsenv.CheckCredentials(ctx, cfg); err != nil {
		if flags.Profile != "" {
			return nil, "", err
		}
		return nil, "", nil
	}
	owner, err := iamkeys.Lookup(ctx, cfg, keyID)
	if err != nil {
		if owner != nil && owner.Account != "" {
			return owner, err.Error(), nil
		}
		return nil, err.Error(), nil
	}
	return owner, "", nil
}

func reportWriter(format string) (func(io.Writer, *investigate.Report) error, error) {
	switch format {
	case "text":
		return investigate.WriteText, nil
	case "json":
		return investigate.WriteJSON, nil
	case "markdown", "md":
		return investigate.WriteMarkdown, nil
	}
	return nil, flagErrorf("--format must be text, json or markdown, not %q", format)
}
