package s3test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// listAll pages through a listing with max-keys n and returns its entries
// (folders end in the delimiter) in the order received.
func listAll(t *testing.T, c *s3.Client, in s3.ListObjectsV2Input) []string {
	t.Helper()
	var out []string
	for {
		page, err := c.ListObjectsV2(context.Background(), &in)
		if err != nil {
			t.Fatal(err)
		}
		// S3 returns keys and folders merged in key order; so must pages.
		var entries []string
		for _, o := range page.Contents {
			entries = append(entries, *o.Key)
		}
		for _, p := range page.CommonPrefixes {
			entries = append(entries, *p.Prefix)
		}
		slices.Sort(entries)
		if int32(len(entries)) != aws.ToInt32(page.KeyCount) {
			t.Errorf("KeyCount %d, %d entries", aws.ToInt32(page.KeyCount), len(entries))
		}
		out = append(out, entries...)
		if !aws.ToBool(page.IsTruncated) {
			return out
		}
		in.ContinuationToken = page.NextContinuationToken
		in.StartAfter = nil
	}
}

func TestListObjectsV2(t *testing.T) {
	s := Start(t)
	s.CreateBucket("b")
	for _, k := range []string{"a/1", "a/2", "a/3", "b/1", "b/2", "c", "d/1", "d/2/x", "e"} {
		s.Put("b", k, []byte(k))
	}
	c := s.Client()
	cases := []struct {
		prefix, delim, after string
		want                 string
	}{
		{"", "/", "", "a/ b/ c d/ e"},
		{"", "", "", "a/1 a/2 a/3 b/1 b/2 c d/1 d/2/x e"},
		{"a/", "/", "", "a/1 a/2 a/3"},
		{"d/", "/", "", "d/1 d/2/"},
		{"", "/", "a/2", "a/ b/ c d/ e"}, // S3 still rolls up a/3 into a/
		{"", "/", "b/9", "c d/ e"},
		{"", "", "b/1", "b/2 c d/1 d/2/x e"},
		{"zz", "/", "", ""},
	}
	for _, pageSize := range []int{1, 2, 3, 1000} {
		s.SetPageSize(pageSize)
		for _, tc := range cases {
			in := s3.ListObjectsV2Input{Bucket: aws.String("b"), Prefix: aws.String(tc.prefix)}
			if tc.delim != "" {
				in.Delimiter = aws.String(tc.delim)
			}
			if tc.after != "" {
				in.StartAfter = aws.String(tc.after)
			}
			got := strings.Join(listAll(t, c, in), " ")
			if got != tc.want {
				t.Errorf("page size %d, prefix %q delimiter %q after %q: %q, want %q", pageSize, tc.prefix, tc.delim, tc.after, got, tc.want)
			}
		}
	}
	s.SetPageSize(0)
	_, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("nope")})
	if code(err) != "NoSuchBucket" {
		t.Errorf("missing bucket: %v", err)
	}
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestObjects(t *testing.T) {
	s := Start(t)
	s.CreateBucketIn("b", "eu-west-1")
	etag := s.Put("b", "k", []byte("hello, world"))
	cfg := s.Config()
	cfg.Region = "eu-west-1"
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()

	hb, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("b")})
	if err != nil || aws.ToString(hb.BucketRegion) != "eu-west-1" {
		t.Errorf("HeadBucket: %v, region %v", err, aws.ToString(hb.BucketRegion))
	}
	_, err = s.Client().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("b")}) // signed for us-east-1
	if err == nil || !strings.Contains(err.Error(), "301") {
		t.Errorf("HeadBucket signed for another region: %v", err)
	}

	get := func(in *s3.GetObjectInput) (string, error) {
		in.Bucket, in.Key = aws.String("b"), aws.String("k")
		out, err := c.GetObject(ctx, in)
		if err != nil {
			return "", err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		return string(b), err
	}
	if got, err := get(&s3.GetObjectInput{IfMatch: aws.String(`"` + etag + `"`), Range: aws.String("bytes=7-")}); got != "world" || err != nil {
		t.Errorf("ranged GET with the right ETag: %q, %v", got, err)
	}
	if _, err := get(&s3.GetObjectInput{IfMatch: aws.String(`"0123"`)}); code(err) != "PreconditionFailed" {
		t.Errorf("GET with the wrong ETag: %v", err)
	}

	s.Deny("b", "k")
	if _, err := get(&s3.GetObjectInput{}); code(err) != "AccessDenied" {
		t.Errorf("denied GET: %v", err)
	}
	s.ClearFaults()
	s.ThrottleNext(Get, 1)
	s.Reset()
	if got, err := get(&s3.GetObjectInput{}); got != "hello, world" || err != nil || s.Count(Get) != 2 {
		t.Errorf("throttled GET: %q, %v, %d requests", got, err, s.Count(Get))
	}
	s.TruncateGet(1, 5)
	if got, err := get(&s3.GetObjectInput{}); got != "hello" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated GET: %q, %v", got, err)
	}
	s.ResetGet(1, 5)
	if _, err := get(&s3.GetObjectInput{}); err == nil {
		t.Errorf("reset GET: no error")
	}
	s.RejectCredentials("ExpiredToken")
	if _, err := get(&s3.GetObjectInput{}); code(err) != "ExpiredToken" {
		t.Errorf("rejected credentials: %v", err)
	}
	s.ClearFaults()
	if s.Count(Any) != 5 || len(s.Requests()) != 5 || s.Count(Get) != 5 || s.Count(List) != 0 {
		t.Errorf("counts %d/%d, GET %d, LIST %d since Reset; want 5 GETs", s.Count(Any), len(s.Requests()), s.Count(Get), s.Count(List))
	}
}

func TestUploadDir(t *testing.T) {
	s := Start(t)
	s.CreateBucket("b")
	dir := t.TempDir()
	for i, p := range []string{"x/1.txt", "x/y/2.txt", "3.txt"} {
		f := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(f), 0o755)
		os.WriteFile(f, []byte(fmt.Sprint(i)), 0o644)
	}
	if n := s.UploadDir("b", "pre/", dir); n != 3 {
		t.Errorf("uploaded %d files", n)
	}
	got := strings.Join(listAll(t, s.Client(), s3.ListObjectsV2Input{Bucket: aws.String("b")}), " ")
	if got != "pre/3.txt pre/x/1.txt pre/x/y/2.txt" {
		t.Errorf("keys %s", got)
	}
}
