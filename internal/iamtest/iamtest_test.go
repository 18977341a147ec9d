package iamtest_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/keytrail/keytrail/internal/iamtest"
)

const (
	home    = "111122223333"
	foreign = "444455556666"
	caller  = "arn:aws:iam::111122223333:user/ops/analyst"
)

var used = time.Date(2026, 4, 24, 13, 5, 0, 0, time.UTC)

func start(t *testing.T) (*iamtest.Server, *iam.Client, *sts.Client) {
	s := iamtest.Start(t, home, caller,
		iamtest.User{Name: "analyst", Path: "/ops/", UserID: "AIDAANALYST000000001"},
		iamtest.User{Name: "alice", Keys: []iamtest.Key{
			{ID: "AKIAALICE00000000001", Created: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), LastUsed: &used, Service: "s3", Region: "eu-west-1"},
			{ID: "AKIAALICE00000000002", Status: "Inactive"},
			{ID: "AKIAALICE00000000003"},
		}},
		iamtest.User{Keys: []iamtest.Key{{ID: "AKIADELETED000000001"}}},
		iamtest.User{Name: "alice", Account: foreign, Keys: []iamtest.Key{{ID: "AKIAFOREIGN000000001"}}},
	)
	cfg := s.Config()
	cfg.RetryMaxAttempts = 1
	return s, iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestAnswers(t *testing.T) {
	s, ic, sc := start(t)
	ctx := t.Context()

	who, err := sc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != home || aws.ToString(who.Arn) != caller || aws.ToString(who.UserId) != "AIDAANALYST000000001" {
		t.Errorf("GetCallerIdentity: %+v, %v", who, err)
	}
	for key, want := range map[string]string{"AKIAALICE00000000002": home, "AKIADELETED000000001": home, "AKIAFOREIGN000000001": foreign} {
		info, err := sc.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(key)})
		if err != nil || aws.ToString(info.Account) != want {
			t.Errorf("GetAccessKeyInfo %s: %+v, %v; want account %s", key, info, err, want)
		}
	}
	if _, err := sc.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAUNKNOWN000000001")}); code(err) != "InvalidParameterValue" {
		t.Errorf("GetAccessKeyInfo of an unknown key: %v", err)
	}

	last, err := ic.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAALICE00000000001")})
	if err != nil || aws.ToString(last.UserName) != "alice" || !aws.ToTime(last.AccessKeyLastUsed.LastUsedDate).Equal(used) ||
		aws.ToString(last.AccessKeyLastUsed.ServiceName) != "s3" || aws.ToString(last.AccessKeyLastUsed.Region) != "eu-west-1" {
		t.Errorf("GetAccessKeyLastUsed: %+v, %v", last, err)
	}
	last, err = ic.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAALICE00000000003")})
	if err != nil || last.AccessKeyLastUsed.LastUsedDate != nil || aws.ToString(last.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Errorf("GetAccessKeyLastUsed of a key never used: %+v, %v", last, err)
	}
	for key, want := range map[string]string{"AKIADELETED000000001": "NoSuchEntity", "AKIAFOREIGN000000001": "AccessDenied", "AKIAUNKNOWN000000001": "AccessDenied"} {
		if _, err := ic.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(key)}); code(err) != want {
			t.Errorf("GetAccessKeyLastUsed %s: %v, want %s", key, err, want)
		}
	}

	u, err := ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("analyst")})
	if err != nil || aws.ToString(u.User.Arn) != caller || aws.ToString(u.User.Path) != "/ops/" {
		t.Errorf("GetUser: %+v, %v", u, err)
	}
	if _, err := ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")}); code(err) != "NoSuchEntity" {
		t.Errorf("GetUser of an unknown user: %v", err)
	}

	var keys []string
	p := iam.NewListAccessKeysPaginator(ic, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.AccessKeyMetadata) > iamtest.PageSize {
			t.Errorf("page of %d keys", len(page.AccessKeyMetadata))
		}
		for _, k := range page.AccessKeyMetadata {
			keys = append(keys, aws.ToString(k.AccessKeyId)+" "+string(k.Status))
		}
	}
	if want := []string{"AKIAALICE00000000001 Active", "AKIAALICE00000000002 Inactive", "AKIAALICE00000000003 Active"}; !slices.Equal(keys, want) {
		t.Errorf("ListAccessKeys: %q, want %q", keys, want)
	}

	want := []string{iamtest.GetCallerIdentity, iamtest.GetAccessKeyInfo, iamtest.GetAccessKeyInfo, iamtest.GetAccessKeyInfo, iamtest.GetAccessKeyInfo,
		iamtest.GetAccessKeyLastUsed, iamtest.GetAccessKeyLastUsed, iamtest.GetAccessKeyLastUsed, iamtest.GetAccessKeyLastUsed, iamtest.GetAccessKeyLastUsed,
		iamtest.GetUser, iamtest.GetUser, iamtest.ListAccessKeys, iamtest.ListAccessKeys}
	if got := s.Called(); !slices.Equal(got, want) {
		t.Errorf("Called:\n got  %q\n want %q", got, want)
	}
}

func TestFaults(t *testing.T) {
	s, ic, sc := start(t)
	ctx := t.Context()
	s.Deny(iamtest.GetUser)
	s.ThrottleNext(iamtest.GetCallerIdentity, 2)
	for i, want := range []string{"Throttling", "Throttling", ""} {
		if _, err := sc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); code(err) != want {
			t.Errorf("GetCallerIdentity %d: %v, want %q", i, err, want)
		}
	}
	for range 2 {
		if _, err := ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}); code(err) != "AccessDenied" {
			t.Errorf("denied GetUser: %v", err)
		}
	}

	cfg := s.Config()
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDSOMEONEELSE00001", "wrong", "")
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); code(err) != "InvalidClientTokenId" {
		t.Errorf("other credentials: %v", err)
	}
	if id, secret := s.Credentials(); id == "" || secret == "" {
		t.Errorf("Credentials: %q, %q", id, secret)
	}

	want := []string{iamtest.GetCallerIdentity, iamtest.GetCallerIdentity, iamtest.GetCallerIdentity, iamtest.GetUser, iamtest.GetUser}
	if got := s.Called(); !slices.Equal(got, want) {
		t.Errorf("Called:\n got  %q\n want %q", got, want)
	}

	defer func() {
		if recover() == nil {
			t.Error("Deny of an unknown action did not panic")
		}
	}()
	s.Deny("iam:ListAccessKey")
}
