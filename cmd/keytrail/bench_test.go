package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/s3test"
)

// BenchmarkIngestS3 ingests the same generated logs from local disk and from
// the loopback S3 server (each iteration into a fresh store), so that the
// two can be compared in one run (BENCHMARKS.md). KEYTRAIL_BENCH_EVENTS sets
// the number of CloudTrail events and access-log lines (default 100,000);
// KEYTRAIL_BENCH_LOGS reuses a folder written by `keytrail generate`.
//
//	GOMEMLIMIT=8GiB KEYTRAIL_BENCH_EVENTS=1000000 go test ./cmd/keytrail -run '^$' -bench IngestS3 -benchtime 3x
//
// GOMEMLIMIT matters: the in-memory S3 server holds every object in this
// process, and ingest's own 320 MB soft limit would make the collector run
// without pause.
func BenchmarkIngestS3(b *testing.B) {
	logs := os.Getenv("KEYTRAIL_BENCH_LOGS")
	if logs == "" {
		n := 100_000
		if v, err := strconv.Atoi(os.Getenv("KEYTRAIL_BENCH_EVENTS")); err == nil {
			n = v
		}
		cfg := gen.DefaultConfig()
		cfg.Days, cfg.CloudTrailEvents, cfg.AccessLogLines = 30, n, n
		cfg.CloudTrailFileInterval, cfg.GzipLevel = time.Hour, 6
		logs = b.TempDir()
		if _, err := gen.Generate(logs, cfg); err != nil {
			b.Fatal(err)
		}
	}
	srv := s3test.Start(b)
	srv.CreateBucket("trail")
	srv.CreateBucket("logs")
	srv.UploadDir("trail", "", filepath.Join(logs, "cloudtrail"))
	srv.UploadDir("logs", "", filepath.Join(logs, "s3-access-logs"))
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIAS3TESTEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1"} {
		b.Setenv(k, v)
	}
	for _, src := range []struct{ name, ct, s3 string }{
		{"local", filepath.Join(logs, "cloudtrail"), filepath.Join(logs, "s3-access-logs")},
		{"s3", "s3://trail/", "s3://logs/"},
	} {
		b.Run(src.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var errOut strings.Builder
				args := []string{"ingest", "-q", "--store", filepath.Join(b.TempDir(), "st"), "--endpoint-url", srv.URL,
					"--cloudtrail", src.ct, "--s3-access-logs", src.s3}
				if code := Main(context.Background(), args, strings.NewReader(""), io.Discard, &errOut); code != 0 {
					b.Fatalf("exit %d: %s", code, errOut.String())
				}
			}
		})
	}
}
