package iamkeys

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/keytrail/keytrail"
)

// kind sorts a failed call by what it means for the rest of the lookup.
type kind int

const (
	other       kind = iota // anything else: a server error, throttling that outlasted the retries, …
	denied                  // the credentials lack the permission
	notFound                // IAM has no such key or user
	invalid                 // AWS rejected a parameter (the key id)
	unreachable             // no answer: network, DNS, proxy, timeout
	rejected                // AWS rejected the credentials themselves
)

// failure is one failed call.
type failure struct {
	kind   kind
	code   string // AWS error code, if AWS answered
	reason string // short, one line: "Throttling: Rate exceeded", "dial tcp …: connection refused"
}

// Error codes of AWS's query APIs (IAM, STS), by kind.
var codeKinds = map[string]kind{
	"AccessDenied":                denied,
	"AccessDeniedException":       denied,
	"UnauthorizedOperation":       denied,
	"NoSuchEntity":                notFound,
	"NoSuchEntityException":       notFound,
	"ValidationError":             invalid,
	"InvalidParameterValue":       invalid,
	"InvalidInput":                invalid,
	"InvalidClientTokenId":        rejected,
	"InvalidAccessKeyId":          rejected,
	"SignatureDoesNotMatch":       rejected,
	"IncompleteSignature":         rejected,
	"ExpiredToken":                rejected,
	"ExpiredTokenException":       rejected,
	"RequestExpired":              rejected,
	"UnrecognizedClientException": rejected,
	"AuthFailure":                 rejected,
	"MissingAuthenticationToken":  rejected,
}

// classify sorts an SDK error.
func classify(err error) failure {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		f := failure{kind: codeKinds[ae.ErrorCode()], code: ae.ErrorCode(), reason: ae.ErrorCode()}
		if m := oneLine(ae.ErrorMessage()); m != "" {
			f.reason += ": " + m
		}
		return f
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return failure{kind: unreachable, reason: fmt.Sprintf("no answer within %s", callTimeout)}
	}
	var ne net.Error
	var se *smithyhttp.RequestSendError
	switch {
	case errors.As(err, &ne):
		return failure{kind: unreachable, reason: oneLine(ne.Error())}
	case errors.As(err, &se):
		return failure{kind: unreachable, reason: oneLine(se.Err.Error())}
	}
	return failure{kind: other, reason: oneLine(err.Error())}
}

// consequences says, per call, what its failure leaves unknown.
var consequences = map[string]string{
	"sts:GetCallerIdentity":    "whether the key is in the credentials' account is unknown",
	"sts:GetAccessKeyInfo":     "the key's account is unknown",
	"iam:GetAccessKeyLastUsed": "the key's owner and last use are unknown",
	"iam:GetUser":              "the user's ARN is unknown",
	"iam:ListAccessKeys":       "other keys of %s unknown",
}

// notes puts a note for each failed call at the head of l.o.Notes.
func (l *lookup) notes() {
	var notes []string
	for _, action := range l.order {
		f := l.failures[action]
		what := "failed (" + f.reason + ")"
		switch f.kind {
		case denied:
			what = "denied"
		case unreachable:
			what = "got no answer (" + f.reason + ")"
		case rejected:
			what = "was refused: the credentials were rejected (" + f.reason + ")"
		}
		then := consequences[action]
		switch {
		case action == "iam:ListAccessKeys":
			then = fmt.Sprintf(then, l.o.UserName)
		case action == "iam:GetAccessKeyLastUsed" && f.kind == notFound:
			then = "IAM of this account has no such key: it was deleted, or it belongs to another account"
		case action == "iam:GetUser":
			if l.o.ARN != "" {
				then = "ARN built from the user name, without the user's path"
			}
			if f.kind == notFound {
				what, then = "found no user "+l.o.UserName, "deleted since? "+then
			}
		}
		if f.kind == unreachable || f.kind == rejected {
			then += "; nothing more was asked"
		}
		notes = append(notes, action+" "+what+": "+then)
	}
	l.o.Notes = append(notes, l.o.Notes...)
}

// nothingLearned is Lookup's error when neither the key's account nor its
// user could be learned: the failure that best says what to do.
func (l *lookup) nothingLearned() error {
	key := l.o.KeyID
	first := func(k kind) (string, failure, bool) {
		for _, a := range l.order {
			if f := l.failures[a]; f.kind == k {
				return a, f, true
			}
		}
		return "", failure{}, false
	}
	who := "the credentials keytrail used"
	if l.callerARN != "" {
		who = "the credentials of " + l.callerARN
	}
	if _, f, ok := first(rejected); ok {
		return keytrail.Errorf(keytrail.EINVALID, "AWS rejected %s while asking who owns %s (%s): they are invalid or expired, or this machine's clock is wrong; refresh them (aws sso login, aws configure), use others, or run with --offline", who, key, f.reason)
	}
	if a, f, ok := first(unreachable); ok {
		return keytrail.Errorf(keytrail.EINTERNAL, "cannot reach AWS to ask who owns %s (%s: %s): check the network, the proxy (HTTPS_PROXY) and AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_IAM if set, or run with --offline to use the logs alone", key, a, f.reason)
	}
	var refused []string
	for _, a := range l.order {
		if l.failures[a].kind == denied {
			refused = append(refused, a)
		}
	}
	if len(refused) > 0 {
		them := plural(len(refused), "it", "them")
		return keytrail.Errorf(keytrail.EINVALID, "%s may not ask who owns %s: %s %s denied; grant %s (and iam:GetUser and iam:ListAccessKeys, for the user's ARN and other keys) or use credentials that have %s, or run with --offline to use the logs alone",
			who, key, andList(refused, " and "), plural(len(refused), "was", "were"), them, them)
	}
	if _, _, ok := first(notFound); ok {
		return keytrail.Errorf(keytrail.ENOTFOUND, "IAM of the credentials' account has no access key %s: it was deleted, or it belongs to another account (sts:GetAccessKeyInfo tells which)", key)
	}
	if _, f, ok := first(invalid); ok {
		return keytrail.Errorf(keytrail.EINVALID, "AWS says %s is not a valid access key id (%s)", key, f.reason)
	}
	if len(l.o.Notes) == 0 {
		return keytrail.Errorf(keytrail.EINTERNAL, "STS and IAM said nothing about %s: try again, or run with --offline", key)
	}
	return keytrail.Errorf(keytrail.EINTERNAL, "could not learn who owns %s: %s; try again later, or run with --offline", key, strings.Join(l.o.Notes, "; "))
}

// andList joins words with ", " and a final sep.
func andList(words []string, sep string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + sep + words[len(words)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// canceled is Lookup's error when ctx ends.
func canceled(key string, err error) error {
	return fmt.Errorf("asking IAM who owns %s: %w", key, err)
}

// noCredentialsError is a *keytrail.Error with ErrNoCredentials in its chain.
type noCredentialsError struct {
	err *keytrail.Error
}

func (e *noCredentialsError) Error() string   { return e.err.Error() }
func (e *noCredentialsError) Unwrap() []error { return []error{e.err, ErrNoCredentials} }
