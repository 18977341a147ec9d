package iamkeys_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/iamkeys"
	"github.com/keytrail/keytrail/internal/iamtest"
)

// The tests ask a fake IAM and STS (internal/iamtest) on a loopback server,
// which checks every request's SigV4 signature.

const (
	homeAccount    = "111122223333"
	foreignAccount = "444455556666"
	analystARN     = "arn:aws:iam::111122223333:user/analyst"
)

// Key ids of the table.
const (
	aliceUsed     = "AKIAALICEUSED0000001"
	aliceOther    = "AKIAALICEOTHER000002"
	aliceOld      = "AKIAALICEOLD00000003"
	bobNever      = "AKIABOBNEVERUSED0001"
	deletedKey    = "AKIADELETEDKEY000001"
	foreignKey    = "AKIAFOREIGNKEY000001"
	temporaryKey  = "ASIAANALYSTSESSION01"
	lastUsedAlice = "2026-04-24T13:05:00Z"
)

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fakeUsers are what IAM and STS know. Alice's three keys take two
// ListAccessKeys pages (iamtest.PageSize is 2).
var fakeUsers = []iamtest.User{
	{Name: "alice", Path: "/engineering/", Created: day("2023-01-10T08:00:00Z"), Keys: []iamtest.Key{
		{ID: aliceUsed, Status: "Active", Created: day("2024-03-01T09:30:00Z"), LastUsed: utc(lastUsedAlice), Service: "s3", Region: "us-east-1"},
		{ID: aliceOther, Status: "Active", Created: day("2025-06-01T10:00:00Z")},
		{ID: aliceOld, Status: "Inactive", Created: day("2023-01-15T11:00:00Z"), LastUsed: utc("2023-12-01T00:00:00Z"), Service: "iam", Region: "us-east-1"},
	}},
	{Name: "bob", Path: "/", Created: day("2026-04-20T07:00:00Z"), Keys: []iamtest.Key{
		{ID: bobNever, Status: "Active", Created: day("2026-04-20T07:05:00Z")},
	}},
	// Keys of homeAccount that no user has: STS knows them, IAM does not.
	{Keys: []iamtest.Key{{ID: deletedKey, Created: day("2022-05-01T00:00:00Z")}, {ID: temporaryKey, Created: day("2026-04-25T00:00:00Z")}}},
	{Name: "someone", Account: foreignAccount, Keys: []iamtest.Key{{ID: foreignKey, Created: day("2025-01-01T00:00:00Z")}}},
}

// newFake starts the fake IAM and STS, answering as analystARN.
func newFake(t *testing.T) *iamtest.Server {
	return iamtest.Start(t, homeAccount, analystARN, fakeUsers...)
}

// The expected answers.

func utc(s string) *time.Time {
	t := day(s)
	return &t
}

var aliceOwner = iamkeys.Owner{
	KeyID: aliceUsed, Account: homeAccount, UserName: "alice", ARN: "arn:aws:iam::111122223333:user/engineering/alice",
	LastUsed: utc(lastUsedAlice), LastService: "s3", LastRegion: "us-east-1",
	Keys: []iamkeys.Key{ // oldest first
		{ID: aliceOld, Status: "Inactive", Created: day("2023-01-15T11:00:00Z")},
		{ID: aliceUsed, Status: "Active", Created: day("2024-03-01T09:30:00Z")},
		{ID: aliceOther, Status: "Active", Created: day("2025-06-01T10:00:00Z")},
	},
}

func with(o iamkeys.Owner, fn func(*iamkeys.Owner)) iamkeys.Owner {
	fn(&o)
	return o
}

var (
	whoAmI     = "sts:GetCallerIdentity"
	keyInfo    = "sts:GetAccessKeyInfo"
	lastUsed   = "iam:GetAccessKeyLastUsed"
	getUser    = "iam:GetUser"
	listKeys   = "iam:ListAccessKeys"
	allActions = []string{whoAmI, keyInfo, lastUsed, getUser, listKeys, listKeys} // alice's keys take two pages
)

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		name     string
		key      string
		deny     []string
		throttle map[string]int
		want     iamkeys.Owner // Notes are checked with notes
		notes    []string      // a substring of each note, in order
		code     string        // keytrail.ErrorCode of the error; "" for none
		errHas   []string      // substrings of the error message
		calls    []string      // the requests the fake must see, in order
	}{{
		name:  "used key, user with an active and an inactive other key",
		key:   aliceUsed,
		want:  aliceOwner,
		calls: allActions,
	}, {
		name: "never used key",
		key:  bobNever,
		want: iamkeys.Owner{KeyID: bobNever, Account: homeAccount, UserName: "bob", ARN: "arn:aws:iam::111122223333:user/bob",
			Keys: []iamkeys.Key{{ID: bobNever, Status: "Active", Created: day("2026-04-20T07:05:00Z")}}},
		calls: []string{whoAmI, keyInfo, lastUsed, getUser, listKeys},
	}, {
		name:  "GetUser denied: ARN built without the path",
		key:   aliceUsed,
		deny:  []string{getUser},
		want:  with(aliceOwner, func(o *iamkeys.Owner) { o.ARN = "arn:aws:iam::111122223333:user/alice" }),
		notes: []string{"iam:GetUser denied: ARN built from the user name, without the user's path"},
		calls: allActions,
	}, {
		name:  "ListAccessKeys denied",
		key:   aliceUsed,
		deny:  []string{listKeys},
		want:  with(aliceOwner, func(o *iamkeys.Owner) { o.Keys = nil }),
		notes: []string{"iam:ListAccessKeys denied: other keys of alice unknown"},
		calls: []string{whoAmI, keyInfo, lastUsed, getUser, listKeys},
	}, {
		name:  "IAM denied, STS tells the account",
		key:   aliceUsed,
		deny:  []string{lastUsed},
		want:  iamkeys.Owner{KeyID: aliceUsed, Account: homeAccount},
		notes: []string{"iam:GetAccessKeyLastUsed denied: the key's owner and last use are unknown"},
		calls: []string{whoAmI, keyInfo, lastUsed},
	}, {
		name:   "everything denied",
		key:    aliceUsed,
		deny:   []string{keyInfo, lastUsed, getUser, listKeys},
		want:   iamkeys.Owner{KeyID: aliceUsed},
		notes:  []string{"sts:GetAccessKeyInfo denied", "iam:GetAccessKeyLastUsed denied"},
		code:   keytrail.EINVALID,
		errHas: []string{analystARN, "sts:GetAccessKeyInfo and iam:GetAccessKeyLastUsed were denied", "grant them", "--offline"},
		calls:  []string{whoAmI, keyInfo, lastUsed},
	}, {
		name:   "key of another account",
		key:    foreignKey,
		want:   iamkeys.Owner{KeyID: foreignKey, Account: foreignAccount},
		notes:  []string{"belongs to account 444455556666, not to 111122223333"},
		code:   keytrail.ENOTFOUND,
		errHas: []string{"belongs to AWS account 444455556666", "not to 111122223333", "credentials of that account"},
		calls:  []string{whoAmI, keyInfo}, // IAM is not asked
	}, {
		name:  "deleted key",
		key:   deletedKey,
		want:  iamkeys.Owner{KeyID: deletedKey, Account: homeAccount},
		notes: []string{"iam:GetAccessKeyLastUsed failed (NoSuchEntity: The Access Key with id AKIADELETEDKEY000001 cannot be found): IAM of this account has no such key"},
		calls: []string{whoAmI, keyInfo, lastUsed},
	}, {
		name:  "temporary key",
		key:   temporaryKey,
		want:  iamkeys.Owner{KeyID: temporaryKey, Account: homeAccount},
		notes: []string{"temporary key (ASIA…) issued by STS"},
		calls: []string{whoAmI, keyInfo},
	}, {
		name:     "throttled once, then answered",
		key:      aliceUsed,
		throttle: map[string]int{lastUsed: 1},
		want:     aliceOwner,
		calls:    []string{whoAmI, keyInfo, lastUsed, lastUsed, getUser, listKeys, listKeys},
	}, {
		name:     "throttled beyond the retries",
		key:      aliceUsed,
		deny:     []string{keyInfo},
		throttle: map[string]int{lastUsed: 5},
		want:     iamkeys.Owner{KeyID: aliceUsed},
		notes:    []string{"sts:GetAccessKeyInfo denied", "iam:GetAccessKeyLastUsed failed (Throttling: Rate exceeded)"},
		code:     keytrail.EINVALID,
		errHas:   []string{"sts:GetAccessKeyInfo was denied", "grant it"},
		calls:    []string{whoAmI, keyInfo, lastUsed, lastUsed, lastUsed},
	}, {
		name:   "invalid key id",
		key:    "akia-not-a-key",
		want:   iamkeys.Owner{KeyID: "akia-not-a-key"},
		code:   keytrail.EINVALID,
		errHas: []string{`"akia-not-a-key" is not an access key id`, "AKIA"},
		calls:  []string{},
	}, {
		name:   "user id instead of a key id",
		key:    "AIDAALICE00000000001",
		want:   iamkeys.Owner{KeyID: "AIDAALICE00000000001"},
		code:   keytrail.EINVALID,
		errHas: []string{"is not an access key id"},
		calls:  []string{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.Deny(tc.deny...)
			for a, n := range tc.throttle {
				f.ThrottleNext(a, n)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			got, err := iamkeys.Lookup(ctx, f.Config(), tc.key)
			t.Logf("notes %q; error: %v", got.Notes, err)
			checkError(t, err, tc.code, tc.errHas)
			checkOwner(t, got, tc.want, tc.notes)
			if calls := f.Called(); !slices.Equal(calls, tc.calls) {
				t.Errorf("requests:\n got  %q\n want %q", calls, tc.calls)
			}
		})
	}
}

func checkError(t *testing.T, err error, code string, has []string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("Lookup: unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Lookup: no error, want one with code %s", code)
	}
	var ke *keytrail.Error
	if !errors.As(err, &ke) {
		t.Errorf("error %v (%T) is not a *keytrail.Error", err, err)
	}
	if got := keytrail.ErrorCode(err); got != code {
		t.Errorf("error code %q, want %q (error: %v)", got, code, err)
	}
	for _, s := range has {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func checkOwner(t *testing.T, got *iamkeys.Owner, want iamkeys.Owner, notes []string) {
	t.Helper()
	if got == nil {
		t.Fatal("Lookup returned a nil *Owner")
	}
	gotNotes := got.Notes
	g := *got
	g.Notes = nil
	gj, _ := json.MarshalIndent(g, "", "  ")
	wj, _ := json.MarshalIndent(want, "", "  ")
	if string(gj) != string(wj) {
		t.Errorf("owner:\n%s\nwant:\n%s", gj, wj)
	}
	if got.LastUsed != nil && got.LastUsed.Location() != time.UTC {
		t.Errorf("LastUsed %v is not in UTC", got.LastUsed)
	}
	for _, k := range got.Keys {
		if k.Created.Location() != time.UTC {
			t.Errorf("key %s: Created %v is not in UTC", k.ID, k.Created)
		}
	}
	if len(gotNotes) != len(notes) {
		t.Errorf("notes %q, want %d like %q", gotNotes, len(notes), notes)
		return
	}
	for i, n := range notes {
		if !strings.Contains(gotNotes[i], n) {
			t.Errorf("note %d %q does not contain %q", i, gotNotes[i], n)
		}
	}
}

func TestLookupUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: &endpoint,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDANALYSTTEST00001", "fake/secret", "")}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := iamkeys.Lookup(ctx, cfg, aliceUsed)
	t.Logf("notes %q; error: %v", got.Notes, err)
	checkError(t, err, keytrail.EINTERNAL, []string{"cannot reach AWS", "--offline"})
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Errorf("Lookup used up the caller's context instead of failing on its own: %v", err)
	}
	checkOwner(t, got, iamkeys.Owner{KeyID: aliceUsed}, []string{"sts:GetCallerIdentity got no answer"})
}

func TestLookupNoCredentials(t *testing.T) {
	f := newFake(t)
	for name, provider := range map[string]aws.CredentialsProvider{
		"none":      nil,
		"anonymous": aws.AnonymousCredentials{},
		"failing": aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("failed to refresh cached credentials, no EC2 IMDS role found")
		}),
	} {
		t.Run(name, func(t *testing.T) {
			cfg := f.Config()
			cfg.Credentials = provider
			got, err := iamkeys.Lookup(t.Context(), cfg, aliceUsed)
			if !errors.Is(err, iamkeys.ErrNoCredentials) {
				t.Errorf("error %v does not wrap ErrNoCredentials", err)
			}
			checkError(t, err, keytrail.EINVALID, []string{"no AWS credentials", "AWS_PROFILE", "--offline"})
			checkOwner(t, got, iamkeys.Owner{KeyID: aliceUsed}, nil)
		})
	}
	if calls := f.Called(); len(calls) != 0 {
		t.Errorf("requests without credentials: %q", calls)
	}
}

func TestLookupCredentialsRejected(t *testing.T) {
	f := newFake(t)
	cfg := f.Config()
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDSOMEONEELSE00001", "wrong", "")
	got, err := iamkeys.Lookup(t.Context(), cfg, aliceUsed)
	checkError(t, err, keytrail.EINVALID, []string{"AWS rejected", "InvalidClientTokenId", "--offline"})
	checkOwner(t, got, iamkeys.Owner{KeyID: aliceUsed}, []string{"sts:GetCallerIdentity was refused"})
}

func TestLookupCanceled(t *testing.T) {
	f := newFake(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := iamkeys.Lookup(ctx, f.Config(), aliceUsed)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want one wrapping context.Canceled", err)
	}
}

// TestLookupEndpointFromEnvironment checks the route the end-to-end CLI tests
// take: config.LoadDefaultConfig reading credentials, region and the
// AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS endpoints from the environment.
func TestLookupEndpointFromEnvironment(t *testing.T) {
	f := newFake(t)
	id, secret := f.Credentials()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           id,
		"AWS_SECRET_ACCESS_KEY":       secret,
		"AWS_REGION":                  "us-east-1",
		"AWS_ENDPOINT_URL_IAM":        f.URL,
		"AWS_ENDPOINT_URL_STS":        f.URL,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint != nil {
		t.Fatalf("BaseEndpoint %q: the endpoints must come from the per-service variables", *cfg.BaseEndpoint)
	}
	got, err := iamkeys.Lookup(ctx, cfg, aliceUsed)
	checkError(t, err, "", nil)
	checkOwner(t, got, aliceOwner, nil)
	if calls := f.Called(); !slices.Equal(calls, allActions) {
		t.Errorf("requests:\n got  %q\n want %q", calls, allActions)
	}
}
