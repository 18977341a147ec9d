// Package awsenv loads the AWS configuration keytrail uses to read S3: the
// SDK's default credential chain (environment, shared config and
// credentials files, SSO, web identity, containers, EC2 instance roles),
// --profile, --region and --endpoint-url, with errors a person can act on.
package awsenv

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go/logging"

	"github.com/keytrail/keytrail"
)

// DefaultRegion is the region used when neither Options.Region, the
// environment (AWS_REGION, AWS_DEFAULT_REGION) nor the profile names one.
// An S3 bucket's own region is discovered separately.
const DefaultRegion = "us-east-1"

// Options are the command-line settings that override the environment.
type Options struct {
	Profile     string // --profile: a profile of the shared config/credentials files
	Region      string // --region
	EndpointURL string // --endpoint-url: an S3-compatible server, e.g. http://127.0.0.1:9000
}

// Timeouts of CheckCredentials: the EC2 metadata service answers within
// milliseconds on EC2, so a longer wait only delays the error elsewhere;
// other sources (SSO, AssumeRole, web identity) call AWS and get longer.
const (
	imdsTimeout  = 1500 * time.Millisecond
	otherTimeout = 15 * time.Second
)

// Load returns the AWS configuration for opts. It reads no credentials yet
// (CheckCredentials does). A profile that the shared files do not hold is
// an EINVALID error naming the profile and the files; a region left unset
// everywhere becomes DefaultRegion.
func Load(ctx context.Context, opts Options) (aws.Config, error) {
	// The SDK's own log lines (such as its fallback to IMDSv1) would land on
	// stderr among keytrail's; what matters reaches the user as errors.
	lo := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		lo = append(lo, config.WithRegion(opts.Region))
	}
	if opts.EndpointURL != "" {
		lo = append(lo, config.WithBaseEndpoint(opts.EndpointURL))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		var nf config.SharedConfigProfileNotExistError
		if errors.As(err, &nf) {
			name := nf.Profile
			from := "--profile"
			if opts.Profile == "" {
				from = "AWS_PROFILE"
			}
			return aws.Config{}, keytrail.Errorf(keytrail.EINVALID,
				"AWS profile %q (from %s) not found in %s or %s: list the profiles with `aws configure list-profiles`, or create it with `aws configure --profile %s` or `aws configure sso`",
				name, from, configFile(), credentialsFile(), name)
		}
		return aws.Config{}, keytrail.Errorf(keytrail.EINVALID, "cannot load the AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return cfg, nil
}

// CheckCredentials retrieves cfg's credentials once, so that a missing or
// expired login is reported before any work starts, and leaves them cached
// in cfg.Credentials. It waits at most about a second and a half when the
// only source left is the EC2 instance metadata service (so a laptop
// without credentials is told at once), and 15 seconds for others. Errors
// are EINVALID with what to do: log in with SSO, pick a profile, export
// keys.
func CheckCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return noCredentials()
	}
	if aws.IsCredentialsProvider(cfg.Credentials, aws.AnonymousCredentials{}) {
		return nil
	}
	imds := aws.IsCredentialsProvider(cfg.Credentials, (*ec2rolecreds.Provider)(nil))
	timeout := otherTimeout
	if imds {
		timeout = imdsTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err == nil && creds.HasKeys() {
		return nil
	}
	if err == nil {
		return noCredentials()
	}
	profile := profileOf(cfg)
	var sso *ssocreds.InvalidTokenError
	if errors.As(err, &sso) || strings.Contains(err.Error(), "SSO token") {
		return keytrail.Errorf(keytrail.EINVALID, "the AWS SSO session has expired or was never started: run `aws sso login%s`", profileFlag(profile))
	}
	if imds {
		// The chain fell through to the instance metadata service: nothing
		// else is configured, and this is not an EC2 instance with a role.
		return noCredentials()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return keytrail.Errorf(keytrail.EINVALID, "getting AWS credentials took longer than %s: check the network, or the profile%s's settings", timeout, profileNote(profile))
	}
	return keytrail.Errorf(keytrail.EINVALID, "cannot get AWS credentials: %v: check the profile%s, run `aws sso login%s` if it uses SSO, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", cleanErr(err), profileNote(profile), profileFlag(profile))
}

func noCredentials() error {
	return keytrail.Errorf(keytrail.EINVALID, "no AWS credentials found: set AWS_PROFILE or use --profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
}

// cleanErr shortens the SDK's nested "failed to refresh cached credentials,
// …" wording to its last, most specific part.
func cleanErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "failed to refresh cached credentials, "); i >= 0 {
		s = s[i+len("failed to refresh cached credentials, "):]
	}
	return s
}

// profileOf returns the shared-config profile cfg was loaded with, "" for
// the default one.
func profileOf(cfg aws.Config) string {
	for _, src := range cfg.ConfigSources {
		if sc, ok := src.(config.SharedConfig); ok && sc.Profile != config.DefaultSharedConfigProfile {
			return sc.Profile
		}
	}
	return ""
}

func profileFlag(profile string) string {
	if profile != "" {
		return " --profile " + profile
	}
	return ""
}

func profileNote(profile string) string {
	if profile != "" {
		return " " + profile
	}
	return ""
}

func configFile() string {
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		return f
	}
	return config.DefaultSharedConfigFilename()
}

func credentialsFile() string {
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		return f
	}
	return config.DefaultSharedCredentialsFilename()
}
