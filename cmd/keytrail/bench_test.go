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

// BenchmarkInvestigateKey investigates the incident key over a store,
// reading the indexes ("indexed") and, on the same files, by scanning every
// event as a store without indexes is read ("scan": a view of the store
// whose manifest no longer marks files indexed). KEYTRAIL_BENCH_STORE names
// a store (e.g. the 10M + 10M one of BENCHMARKS.md); by default the sample
// store of the tests is used.
//
//	KEYTRAIL_BENCH_STORE=/tmp/kb10/st go test ./cmd/keytrail -run '^$' -bench InvestigateKey -benchtime 5x
func BenchmarkInvestigateKey(b *testing.B) {
	st := os.Getenv("KEYTRAIL_BENCH_STORE")
	if st == "" {
		st = sampleStore(b)
	}
	// The scan store shares the Parquet files by hard links (DuckDB's
	// read-only session refuses symbolic links out of the store), or copies
	// them across file systems; its manifest loses the indexed marks.
	scan := b.TempDir()
	err := filepath.WalkDir(st, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(st, p)
		dst := filepath.Join(scan, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if filepath.Base(filepath.Dir(p)) == "_manifest" {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			text, _ := unindexed(string(data))
			return os.WriteFile(dst, []byte(text), 0o644)
		}
		if os.Link(p, dst) == nil {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct{ name, dir string }{{"indexed", st}, {"scan", scan}} {
		b.Run(s.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, errOut, code := run(b, "investigate", "key", gen.IncidentKey, "--offline", "--store", s.dir); code != 0 {
					b.Fatalf("exit %d: %s", code, errOut)
				}
			}
		})
	}
}
