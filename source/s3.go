package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/internal/awsenv"
)

// S3Options configure an S3 source.
type S3Options struct {
	Profile     string // --profile; "" uses the default credential chain
	Region      string // --region: where to ask first; the bucket's own region is discovered
	EndpointURL string // --endpoint-url of an S3-compatible server; implies path-style addressing

	// Accounts and Regions, when set, limit the listing to these 12-digit
	// account IDs and regions, as far as the key layout tells them: other
	// account and region folders are not listed at all.
	Accounts []string
	Regions  []string

	// Client, when set, is used instead of one built from Profile and
	// EndpointURL (which are then ignored, and credentials are not checked
	// up front). Its region, or Region if set, is where the bucket's region
	// is asked first. The retry policy below replaces the client's.
	Client *s3.Client

	// MaxRetries is the number of attempts of one request (throttling, 5xx,
	// timeouts, connection resets) and the number of consecutive attempts
	// to resume a body that broke off without any progress; 0 means 10.
	MaxRetries int
	// MaxBackoff caps the delay before one retry; 0 means 20 seconds.
	// Delays grow exponentially with jitter.
	MaxBackoff time.Duration
	// ReadTimeout is how long a body read may make no progress before the
	// connection is given up and the rest re-requested; 0 means 60 seconds.
	ReadTimeout time.Duration
}

// S3 is a bucket prefix of logs, s3://bucket/prefix. It lists only the
// folders that the key layouts and the date range call for (see List) and
// reads objects with retries and transparent resumption (see Open). Its
// methods may be called from several goroutines.
type S3 struct {
	bucket string
	prefix string
	client *s3.Client
	region string // the bucket's region, as discovered

	retryer     aws.Retryer
	maxRetries  int
	maxBackoff  time.Duration
	readTimeout time.Duration
	accounts    map[string]bool // nil: all
	regions     map[string]bool // nil: all
}

var _ keytrail.Source = (*S3)(nil)

// s3URLExample is shown with every error about an s3:// URL.
const s3URLExample = "s3://my-trail-bucket/AWSLogs/ or s3://my-log-bucket/logs/"

// ParseS3URL splits an s3://bucket/prefix URL. The prefix may be empty,
// name a folder (ending in "/" or not) or the start of key names. Returns
// EINVALID, with an example of a right URL, when url is not of that form.
func ParseS3URL(url string) (bucket, prefix string, err error) {
	rest, ok := cutPrefixFold(url, "s3://")
	if !ok {
		return "", "", keytrail.Errorf(keytrail.EINVALID, "%q is not an s3:// URL: give the bucket and prefix, e.g. %s", url, s3URLExample)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", keytrail.Errorf(keytrail.EINVALID, "%q names no bucket: give s3://BUCKET/PREFIX, e.g. %s", url, s3URLExample)
	}
	if !validBucket(bucket) {
		return "", "", keytrail.Errorf(keytrail.EINVALID, "%q is not a valid bucket name (3 to 63 lower-case letters, digits, dots and dashes): give s3://BUCKET/PREFIX, e.g. %s", bucket, s3URLExample)
	}
	return bucket, prefix, nil
}

// IsS3URL reports whether s is meant as an s3:// URL rather than a local
// path.
func IsS3URL(s string) bool {
	_, ok := cutPrefixFold(s, "s3://")
	return ok
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// validBucket accepts S3 bucket names, including the upper-case letters and
// underscores that old us-east-1 buckets may have.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 255 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// NewS3 returns the Source for url, s3://bucket/prefix. Unless opts.Client
// is given, it loads the AWS configuration (default credential chain,
// opts.Profile, opts.Region, opts.EndpointURL) and checks that credentials
// can be had. It then asks for the bucket (HeadBucket) to learn its region,
// so that a bucket in any region can be read whatever region is
// configured. Errors: EINVALID for a bad URL, account ID or configuration,
// or credentials that cannot be found; ENOTFOUND when the bucket does not
// exist. Access denied to HeadBucket is not an error: listing tells what
// can be read.
func NewS3(ctx context.Context, url string, opts S3Options) (*S3, error) {
	bucket, prefix, err := ParseS3URL(url)
	if err != nil {
		return nil, err
	}
	s := &S3{
		bucket:      bucket,
		prefix:      prefix,
		maxRetries:  opts.MaxRetries,
		maxBackoff:  opts.MaxBackoff,
		readTimeout: opts.ReadTimeout,
	}
	if s.maxRetries <= 0 {
		s.maxRetries = 10
	}
	if s.maxBackoff <= 0 {
		s.maxBackoff = 20 * time.Second
	}
	if s.readTimeout <= 0 {
		s.readTimeout = 60 * time.Second
	}
	if len(opts.Accounts) > 0 {
		s.accounts = map[string]bool{}
		for _, a := range opts.Accounts {
			a = strings.TrimSpace(a)
			if !keytrail.IsAccountID(a) {
				return nil, keytrail.Errorf(keytrail.EINVALID, "%q is not an AWS account ID: give 12 digits, e.g. 111122223333", a)
			}
			s.accounts[a] = true
		}
	}
	if len(opts.Regions) > 0 {
		s.regions = map[string]bool{}
		for _, r := range opts.Regions {
			r = strings.TrimSpace(r)
			if !keytrail.IsRegionName(r) {
				return nil, keytrail.Errorf(keytrail.EINVALID, "%q is not an AWS region name: give names such as us-east-1 or eu-west-1", r)
			}
			s.regions[r] = true
		}
	}
	s.retryer = retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = s.maxRetries
		o.MaxBackoff = s.maxBackoff
		// Many objects are fetched at once; a shared retry budget would turn
		// a burst of SlowDown into failures. Backoff alone paces the retries.
		o.RateLimiter = ratelimit.None
	})

	s.client = opts.Client
	if s.client == nil {
		cfg, err := awsenv.Load(ctx, awsenv.Options{Profile: opts.Profile, Region: opts.Region, EndpointURL: opts.EndpointURL})
		if err != nil {
			return nil, err
		}
		if err := awsenv.CheckCredentials(ctx, cfg); err != nil {
			return nil, err
		}
		s.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = opts.EndpointURL != ""
			// Enough idle connections for the objects opened ahead (Go's
			// default keeps 2 per host, so most requests would open a new
			// one), and reads of the bodies in large pieces.
			o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
				tr.MaxIdleConnsPerHost = 4 * s.Concurrency()
				tr.ReadBufferSize = 256 << 10
			})
		})
	}
	s.region = s.client.Options().Region
	if opts.Region != "" {
		s.region = opts.Region
	}
	if s.region == "" {
		s.region = awsenv.DefaultRegion
	}
	if err := s.discoverRegion(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// discoverRegion asks for the bucket where s.region points and moves
// s.region to the region S3 names in its answer (the x-amz-bucket-region
// header of HeadBucket, also sent with a 301 redirect or a 400 for a
// request signed for the wrong region).
func (s *S3) discoverRegion(ctx context.Context) error {
	out, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}, s.callOptions)
	if err == nil {
		if r := aws.ToString(out.BucketRegion); r != "" {
			s.region = r
		}
		return nil
	}
	if r := headerOf(err, "X-Amz-Bucket-Region"); r != "" && r != s.region {
		// Asked in the wrong region (301 PermanentRedirect, or 400 for a
		// signature of the wrong region): ask again where S3 says.
		s.region = r
		if _, err = s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}, s.callOptions); err == nil {
			return nil
		}
	}
	switch status := statusOf(err); {
	case status == http.StatusNotFound:
		return keytrail.Errorf(keytrail.ENOTFOUND, "bucket %s does not exist%s: check the bucket name in %s", s.bucket, s.endpointNote(), s.String())
	case status == http.StatusForbidden:
		return nil // HeadBucket needs s3:ListBucket on the whole bucket; the prefix may still be readable
	case status == http.StatusMovedPermanently || status == http.StatusBadRequest:
		return keytrail.Errorf(keytrail.EINVALID, "bucket %s is not in %s and S3 did not say where it is: pass its region with --region", s.bucket, s.region)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return s.explain("cannot reach bucket "+s.bucket, s.String(), err)
}

// endpointNote names a custom endpoint, for errors.
func (s *S3) endpointNote() string {
	if ep := aws.ToString(s.client.Options().BaseEndpoint); ep != "" {
		return " at " + ep
	}
	return ""
}

// callOptions applies to every request: the bucket's region, the retry
// policy, and no response checksum validation (ranged GETs that resume a
// body cannot be checked against a whole object's checksum; If-Match on
// the ETag and the Content-Length guard the bytes instead).
func (s *S3) callOptions(o *s3.Options) {
	o.Region = s.region
	o.Retryer = s.retryer
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

// String returns the source's URL, s3://bucket/prefix.
func (s *S3) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// Region returns the bucket's region, as discovered by NewS3.
func (s *S3) Region() string { return s.region }

// Concurrency returns how many objects a reader should keep open ahead:
// S3 serves many requests in parallel, and each one waits mostly on the
// network.
func (s *S3) Concurrency() int { return 16 }

// PartialListError is returned by List when some prefixes or folders
// could not be listed (access denied) while the rest was: every other
// object was passed to fn, and Skipped names what was left out.
type PartialListError struct {
	Source  string          // the source, s3://bucket/prefix or a folder
	Listed  int             // objects passed to fn
	Skipped []SkippedPrefix // in the order met
}

// SkippedPrefix is a prefix or folder that List could not read.
type SkippedPrefix struct {
	Prefix string // s3://bucket/prefix, or a local path
	Code   string // S3's error code, e.g. AccessDenied; "unreadable" for a folder
	Reason string // S3's message, or the file system's
}

func (e *PartialListError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: listed %d objects but could not list %d prefixes: ", e.Source, e.Listed, len(e.Skipped))
	for i, p := range e.Skipped {
		if i == 5 {
			fmt.Fprintf(&b, ", and %d more", len(e.Skipped)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s)", p.Prefix, p.Code)
	}
	b.WriteString("; the logs there were not read: ")
	b.WriteString(e.Hint())
	return b.String()
}

// Hint says how to make the skipped prefixes readable.
func (e *PartialListError) Hint() string {
	if IsS3URL(e.Source) {
		return "grant s3:ListBucket on those prefixes (and s3:GetObject on their objects), or leave them out of the source"
	}
	return "make those folders readable to this user, or leave them out of the source"
}

// ErrObjectChanged is wrapped by the errors of Open and of reads when the
// object's ETag is no longer the one listed: it was overwritten since.
var ErrObjectChanged = errors.New("object changed since it was listed")

// Error helpers.

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

func statusOf(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func headerOf(err error, name string) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

// isDenied reports an error that stops one prefix or object but not the
// others: a 403 that is not about the credentials themselves.
func isDenied(err error) bool {
	switch apiCode(err) {
	case "AccessDenied", "AllAccessDisabled":
		return true
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
		"RequestTimeTooSkewed", "AccountProblem", "InvalidClientTokenId":
		return false
	}
	return statusOf(err) == http.StatusForbidden
}

// explain turns errors that no retry or other prefix can help into a
// sentence on what to do; others are wrapped with what was being done.
func (s *S3) explain(doing, target string, err error) error {
	code := apiCode(err)
	switch code {
	case "NoSuchBucket":
		return keytrail.Errorf(keytrail.ENOTFOUND, "bucket %s does not exist: check the bucket name in %s", s.bucket, s.String())
	case "InvalidAccessKeyId", "InvalidClientTokenId":
		return keytrail.Errorf(keytrail.EINVALID, "%s: S3 does not know the access key of your credentials (%s): check AWS_PROFILE or --profile, or the exported AWS_ACCESS_KEY_ID", doing, code)
	case "SignatureDoesNotMatch":
		return keytrail.Errorf(keytrail.EINVALID, "%s: S3 rejected the request signature (%s): the secret key does not belong to the access key; check AWS_SECRET_ACCESS_KEY or the profile's credentials", doing, code)
	case "ExpiredToken", "TokenRefreshRequired", "InvalidToken":
		return keytrail.Errorf(keytrail.EINVALID, "%s: your AWS session has expired (%s): run `aws sso login`, or get new temporary credentials", doing, code)
	case "RequestTimeTooSkewed":
		return keytrail.Errorf(keytrail.EINVALID, "%s: this computer's clock is more than 15 minutes off S3's (%s): set the clock right (enable NTP) and try again", doing, code)
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		region := headerOf(err, "X-Amz-Bucket-Region")
		if region == "" {
			region = "another region"
		}
		return keytrail.Errorf(keytrail.EINVALID, "%s: bucket %s is in %s, not %s (%s): pass --region %s", doing, s.bucket, region, s.region, code, region)
	case "AccountProblem", "AllAccessDisabled":
		return keytrail.Errorf(keytrail.EINVALID, "%s: S3 refuses access to %s (%s): %s", doing, target, code, apiMessage(err))
	}
	if isDenied(err) {
		return fmt.Errorf("%s: access denied to %s (bucket in %s): your credentials lack the permission (s3:ListBucket to list, s3:GetObject to read, kms:Decrypt for SSE-KMS objects): %w", doing, target, s.region, err)
	}
	return fmt.Errorf("%s: %s (bucket in %s): %w", doing, target, s.region, err)
}
