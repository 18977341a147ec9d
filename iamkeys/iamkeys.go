// Package iamkeys asks AWS who owns an access key, for the times the logs do
// not say: `keytrail investigate key AKIA…` uses it when AWS credentials are
// at hand and --offline was not given.
//
// Lookup makes these calls, in this order, each at most once (ListAccessKeys
// once per page):
//
//	sts:GetCallerIdentity     the credentials' own account (needs no permission)
//	sts:GetAccessKeyInfo      the key's account; answers for any account's key
//	iam:GetAccessKeyLastUsed  the owning user, and when, where and for which service the key was last used
//	iam:GetUser               the user's ARN, with its path
//	iam:ListAccessKeys        every key of that user, with status and creation date
//
// A key of another account stops Lookup after GetAccessKeyInfo: that
// account's IAM holds the answer, and asking ours would only add AccessDenied
// events to the CloudTrail of the account under investigation. A temporary
// key (ASIA…) stops it there too: IAM keeps no record of those.
//
// Partial answers are normal during an incident, so a call that is denied or
// fails becomes a note in Owner.Notes and the other calls still run. Once AWS
// cannot be reached or rejects the credentials, Lookup stops asking: every
// further call would fail the same way.
//
// # Time and retries
//
// Each call has a timeout of a few seconds (callTimeout), retries included;
// at most three attempts are made, with backoff capped at one second, whatever
// retry settings cfg holds. A machine without network therefore gets an
// error within seconds; --offline skips Lookup altogether.
//
// # Endpoints and region
//
// Lookup builds its IAM and STS clients from cfg with the SDK's usual rules,
// so the endpoints can be pointed elsewhere (a test server, a VPC endpoint):
// with cfg.BaseEndpoint (both services), or, for a cfg from
// config.LoadDefaultConfig, with the environment variables
// AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS (AWS_ENDPOINT_URL for both)
// or endpoint_url in the profile's services section. keytrail's end-to-end
// tests use the environment variables. An empty cfg.Region is taken as
// us-east-1, where the aws partition's IAM lives; other partitions need their
// region set.
//
// # Permissions
//
// sts:GetAccessKeyInfo and iam:GetAccessKeyLastUsed are what Lookup cannot do
// without; iam:GetUser (on the owning user) adds the user's path, and
// iam:ListAccessKeys (on the owning user) the user's other keys, which decide
// whether S3 access-log requests by that user can be pinned on this key.
package iamkeys

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keytrail/keytrail"
)

// Limits that keep Lookup from hanging on a machine without network.
const (
	callTimeout = 5 * time.Second // one call, all its attempts included
	maxAttempts = 3               // attempts per call
	maxBackoff  = time.Second     // longest wait between two attempts
	maxPages    = 20              // ListAccessKeys pages (IAM allows two keys per user)
)

// ErrNoCredentials is in the chain of the error Lookup returns when cfg
// holds no usable credentials (none configured, or the provider failed), so
// a caller can skip IAM quietly: errors.Is(err, iamkeys.ErrNoCredentials).
// The error itself is a *keytrail.Error (EINVALID) saying how to supply them.
var ErrNoCredentials = errors.New("no AWS credentials")

// Owner is what IAM and STS told about an access key. Empty fields were not
// learned; Notes say why. Every time is UTC.
type Owner struct {
	KeyID string `json:"key_id"`
	// Account is the AWS account the key belongs to, from sts:GetAccessKeyInfo
	// (which answers for any account's key), or the credentials' own account
	// when only IAM answered.
	Account string `json:"account,omitempty"`
	// UserName is the IAM user owning the key, from iam:GetAccessKeyLastUsed.
	UserName string `json:"user_name,omitempty"`
	// ARN is the user's ARN from iam:GetUser, path included; when GetUser
	// fails it is built as arn:PARTITION:iam::ACCOUNT:user/NAME (no path) and
	// a note says so.
	ARN string `json:"arn,omitempty"`
	// LastUsed is when IAM last saw the key used; nil when IAM says it never
	// was (or it was not learned: then a note says so).
	LastUsed *time.Time `json:"last_used,omitempty"`
	// LastService and LastRegion are the service and region of that last use;
	// IAM's "N/A" (never used) is "".
	LastService string `json:"last_service,omitempty"`
	LastRegion  string `json:"last_region,omitempty"`
	// Keys are all the user's access keys (this one included) from
	// iam:ListAccessKeys, oldest first; nil when not learned.
	Keys []Key `json:"keys,omitempty"`
	// Notes say, one sentence each, what could not be learned and why, e.g.
	// "iam:ListAccessKeys denied: other keys of alice unknown".
	Notes []string `json:"notes,omitempty"`
}

// Key is one access key of a user, as iam:ListAccessKeys lists it.
type Key struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"`  // "Active" or "Inactive", as IAM says
	Created time.Time `json:"created"` // UTC
}

// keyIDPattern matches the access key ids IAM and STS can tell about:
// AKIA… (long-term, of an IAM user or the root user) and ASIA… (temporary,
// issued by STS). AWS allows 16 to 128 characters; today's ids have 20.
var keyIDPattern = regexp.MustCompile(`^A[KS]IA[A-Z0-9]{12,124}$`)

// Lookup asks STS and IAM, with cfg's credentials, who owns the access key
// keyID and what IAM knows of it (see the package documentation for the
// calls and the permissions they need).
//
// It always returns a non-nil *Owner holding whatever was learned, with a
// note for each thing that could not be; all its times are UTC. The error is
// non-nil only when nothing about the owner could be learned in the
// credentials' account; errors.As then finds a *keytrail.Error in it, whose
// message says what to do:
//   - keyID is not an access key id: EINVALID, and nothing is asked;
//   - cfg has no usable credentials: EINVALID, with ErrNoCredentials in the
//     chain;
//   - AWS rejected the credentials (invalid, expired) or denied every
//     question: EINVALID, naming the missing permissions;
//   - the key belongs to another account: ENOTFOUND naming that account
//     (also in Owner.Account), whose IAM must be asked;
//   - IAM has no such key: ENOTFOUND;
//   - AWS could not be reached, or failed: EINTERNAL.
//
// When ctx ends, Lookup returns at once with an error wrapping ctx.Err()
// instead (errors.Is(err, context.Canceled)).
func Lookup(ctx context.Context, cfg aws.Config, keyID string) (*Owner, error) {
	keyID = strings.TrimSpace(keyID)
	o := &Owner{KeyID: keyID}
	if !keyIDPattern.MatchString(keyID) {
		return o, keytrail.Errorf(keytrail.EINVALID, "%q is not an access key id IAM can look up: those start with AKIA (an IAM user's or the root user's long-term key) or ASIA (temporary credentials from STS) followed by upper-case letters and digits (20 characters today), like AKIAIOSFODNN7EXAMPLE", keyID)
	}
	l := &lookup{ctx: ctx, o: o, failures: map[string]failure{}}
	if err := l.credentials(cfg); err != nil {
		return o, err
	}
	l.clients(cfg)
	err := l.run()
	if l.ctx.Err() != nil {
		return o, err
	}
	l.notes()
	if err != nil {
		return o, err
	}
	slices.SortFunc(o.Keys, func(a, b Key) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	if o.Account == "" && o.UserName == "" {
		return o, l.nothingLearned()
	}
	return o, nil
}

// lookup is the state of one Lookup.
type lookup struct {
	ctx      context.Context
	o        *Owner
	iam      *iam.Client
	sts      *sts.Client
	stop     bool               // AWS unreachable or credentials rejected: ask nothing more
	failures map[string]failure // by action ("iam:GetUser")
	order    []string           // actions of failures, in the order they failed

	callerAccount, callerARN string
}

// credentials checks that cfg has credentials with keys, within callTimeout.
func (l *lookup) credentials(cfg aws.Config) error {
	msg := "no AWS credentials to ask IAM who owns %s%s: set AWS_PROFILE (after aws configure or aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with --offline to use the logs alone"
	if cfg.Credentials == nil || aws.IsCredentialsProvider(cfg.Credentials, aws.AnonymousCredentials{}) {
		return &noCredentialsError{keytrail.Errorf(keytrail.EINVALID, msg, l.o.KeyID, "")}
	}
	ctx, cancel := context.WithTimeout(l.ctx, callTimeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if l.ctx.Err() != nil {
		return canceled(l.o.KeyID, l.ctx.Err())
	}
	if err != nil {
		return &noCredentialsError{keytrail.Errorf(keytrail.EINVALID, msg, l.o.KeyID, " ("+oneLine(err.Error())+")")}
	}
	if !creds.HasKeys() {
		return &noCredentialsError{keytrail.Errorf(keytrail.EINVALID, msg, l.o.KeyID, "")}
	}
	return nil
}

// clients builds the IAM and STS clients: cfg's settings, a default region,
// and bounded retries.
func (l *lookup) clients(cfg aws.Config) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = maxBackoff
			o.RateLimiter = ratelimit.None // a fresh client per Lookup: no budget to share
		})
	}
	l.iam = iam.NewFromConfig(cfg, func(o *iam.Options) {
		o.Retryer = retryer()
		o.RetryMaxAttempts = 0
	})
	l.sts = sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.Retryer = retryer()
		o.RetryMaxAttempts = 0
	})
}

// call runs fn with a callTimeout context unless Lookup stopped asking. A
// failure is recorded (and becomes a note); it reports whether fn succeeded.
// The error is non-nil only when l.ctx ended.
func (l *lookup) call(action string, fn func(context.Context) error) (bool, error) {
	if l.stop {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(l.ctx, callTimeout)
	err := fn(ctx)
	cancel()
	if l.ctx.Err() != nil {
		return false, canceled(l.o.KeyID, l.ctx.Err())
	}
	if err == nil {
		return true, nil
	}
	f := classify(err)
	l.failures[action] = f
	l.order = append(l.order, action)
	if f.kind == unreachable || f.kind == rejected {
		l.stop = true
	}
	return false, nil
}

// run makes the calls and fills l.o. Its error is a canceled context or a
// key of another account; any other failure is recorded for notes.
func (l *lookup) run() error {
	o := l.o
	if _, err := l.call("sts:GetCallerIdentity", func(ctx context.Context) error {
		out, err := l.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			l.callerAccount, l.callerARN = aws.ToString(out.Account), aws.ToString(out.Arn)
		}
		return err
	}); err != nil {
		return err
	}
	if _, err := l.call("sts:GetAccessKeyInfo", func(ctx context.Context) error {
		out, err := l.sts.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(o.KeyID)})
		if err == nil {
			o.Account = aws.ToString(out.Account)
		}
		return err
	}); err != nil {
		return err
	}
	if o.Account != "" && l.callerAccount != "" && o.Account != l.callerAccount {
		o.Notes = append(o.Notes, fmt.Sprintf("the key belongs to account %s, not to %s whose credentials were used: IAM was not asked", o.Account, l.callerAccount))
		return keytrail.Errorf(keytrail.ENOTFOUND, "access key %s belongs to AWS account %s, not to %s whose credentials keytrail used: its owner is known only to IAM in %s, so run again with credentials of that account or ask its administrators (aws iam get-access-key-last-used --access-key-id %s)", o.KeyID, o.Account, l.callerAccount, o.Account, o.KeyID)
	}
	if strings.HasPrefix(o.KeyID, "ASIA") {
		o.Notes = append(o.Notes, "temporary key (ASIA…) issued by STS: IAM keeps no owner for it; the CloudTrail event that issued it (AssumeRole, GetSessionToken, GetFederationToken, …) and useridentity.arn name its session")
		return nil
	}

	var userName string
	if _, err := l.call("iam:GetAccessKeyLastUsed", func(ctx context.Context) error {
		out, err := l.iam.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(o.KeyID)})
		if err != nil {
			return err
		}
		userName = aws.ToString(out.UserName)
		if u := out.AccessKeyLastUsed; u != nil {
			if u.LastUsedDate != nil {
				t := u.LastUsedDate.UTC()
				o.LastUsed = &t
			}
			o.LastService, o.LastRegion = notNA(aws.ToString(u.ServiceName)), notNA(aws.ToString(u.Region))
		}
		return nil
	}); err != nil {
		return err
	}
	if userName == "" {
		return nil
	}
	o.UserName = userName
	if o.Account == "" {
		o.Account = l.callerAccount // IAM answered, so the key is in the credentials' account
	}

	if _, err := l.call("iam:GetUser", func(ctx context.Context) error {
		out, err := l.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(userName)})
		if err == nil && out.User != nil {
			o.ARN = aws.ToString(out.User.Arn)
		}
		return err
	}); err != nil {
		return err
	}
	if o.ARN == "" && o.Account != "" {
		o.ARN = fmt.Sprintf("arn:%s:iam::%s:user/%s", l.partition(), o.Account, userName)
	}

	var keys []Key
	p := iam.NewListAccessKeysPaginator(l.iam, &iam.ListAccessKeysInput{UserName: aws.String(userName)})
	listed := false
	for page := 0; page < maxPages && p.HasMorePages(); page++ {
		ok, err := l.call("iam:ListAccessKeys", func(ctx context.Context) error {
			out, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, m := range out.AccessKeyMetadata {
				k := Key{ID: aws.ToString(m.AccessKeyId), Status: string(m.Status)}
				if m.CreateDate != nil {
					k.Created = m.CreateDate.UTC()
				}
				keys = append(keys, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if listed = ok; !ok {
			break
		}
	}
	switch {
	case listed && p.HasMorePages():
		l.order = append(l.order, "iam:ListAccessKeys")
		l.failures["iam:ListAccessKeys"] = failure{kind: other, reason: fmt.Sprintf("more than %d pages", maxPages)}
	case listed:
		o.Keys = keys
		if o.Keys == nil {
			o.Keys = []Key{}
		}
	}
	return nil
}

// partition returns the partition of the credentials' ARN ("aws" when unknown).
func (l *lookup) partition() string {
	if p := strings.Split(l.callerARN, ":"); len(p) > 2 && p[0] == "arn" && p[1] != "" {
		return p[1]
	}
	return "aws"
}

// notNA turns IAM's "N/A" (no use recorded) into "".
func notNA(s string) string {
	if s == "N/A" {
		return ""
	}
	return s
}

// oneLine collapses whitespace so an SDK message fits in a sentence.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
