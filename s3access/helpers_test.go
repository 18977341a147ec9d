package s3access_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/s3access"
)

// Test data lives at the module root, shared with other packages.
const (
	goldenDir = "../testdata/s3access"
	peersDir  = "../testdata/peers"
)

// mustParse parses line or fails the test.
func mustParse(t testing.TB, line string) *keytrail.AccessLogRecord {
	t.Helper()
	var rec keytrail.AccessLogRecord
	if err := s3access.ParseLine([]byte(line), &rec); err != nil {
		t.Fatalf("ParseLine(%.120q): %v", line, err)
	}
	return &rec
}

// readFile reads a test data file or fails the test.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fileLines splits a file into its lines (without "\n"; a "\r" stays).
func fileLines(t testing.TB, path string) []string {
	t.Helper()
	s := strings.TrimSuffix(string(readFile(t, path)), "\n")
	return strings.Split(s, "\n")
}

// peerLogFiles lists every access-log fixture (*.log) under testdata/peers.
func peerLogFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(peersDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".log") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no access-log fixtures under " + peersDir)
	}
	return files
}

// unquote strips one pair of surrounding double quotes.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// isDash reports whether a field holds "-" or a quoted "-".
func isDash(s string) bool { return s == "-" || s == `"-"` }

// requestParts splits a request URI field ("GET /b/k?x HTTP/1.1") into its
// method, target and protocol; ok is false for "-" or an odd shape.
func requestParts(uri string) (method, target, proto string, ok bool) {
	if isDash(uri) {
		return "", "", "", false
	}
	f := strings.Fields(unquote(uri))
	if len(f) != 3 {
		return "", "", "", false
	}
	return f[0], f[1], f[2], true
}

// Generated lines, for benchmarks and for tests that need volume. The
// values are realistic in shape and size (26 and 27 fields, ~100-byte user
// agents, 76-character host IDs), deterministic for a seed.
var (
	genOps = []struct {
		op, method string
		weight     int
	}{
		{"REST.GET.OBJECT", "GET", 40}, {"REST.PUT.OBJECT", "PUT", 15}, {"REST.HEAD.OBJECT", "HEAD", 15},
		{"REST.GET.BUCKET", "GET", 8}, {"REST.COPY.OBJECT_GET", "PUT", 3}, {"REST.COPY.OBJECT", "PUT", 3},
		{"BATCH.DELETE.OBJECT", "POST", 3}, {"REST.DELETE.OBJECT", "DELETE", 3}, {"S3.EXPIRE.OBJECT", "-", 2},
		{"REST.POST.UPLOAD", "POST", 2}, {"REST.PUT.PART", "PUT", 4}, {"WEBSITE.GET.OBJECT", "GET", 2},
	}
	genUAs = []string{
		`"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.164.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/s3.cp"`,
		`"aws-sdk-java/1.12.600 Linux/5.10.205-195.807.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS java/17.0.9 vendor/Amazon.com_Inc."`,
		`"Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10.205 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy"`,
		`"aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.47.7 ft/s3-transfer m/E,Z"`,
		`"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"`,
		`"S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.219-186.866.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b09"`,
	}
	genRequesters = []string{
		"arn:aws:iam::123456789012:user/alice",
		"arn:aws:sts::123456789012:assumed-role/DataPipeline/i-0abc123def4567890",
		"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/bob@example.com",
		"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
		"-",
		"svc:logging.s3.amazonaws.com",
	}
	genBuckets = []string{"amzn-s3-demo-bucket1", "analytics-raw-eu", "prod-artifacts", "customer-uploads", "backup-2026"}
)

func genLines(n int, seed uint64) [][]byte {
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	total := 0
	for _, o := range genOps {
		total += o.weight
	}
	hexs := func(n int) string {
		b := make([]byte, (n+1)/2)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return strings.ToUpper(hex.EncodeToString(b)[:n])
	}
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	base := time.Date(2026, 4, 24, 0, 0, 0, 0, time.UTC)
	lines := make([][]byte, n)
	var buf bytes.Buffer
	for i := range lines {
		buf.Reset()
		w := rnd.IntN(total)
		op := genOps[0]
		for _, o := range genOps {
			if w < o.weight {
				op = o
				break
			}
			w -= o.weight
		}
		bucket := genBuckets[rnd.IntN(len(genBuckets))]
		t := base.Add(time.Duration(i)*50*time.Millisecond + time.Duration(rnd.IntN(3000))*time.Millisecond)
		ip := fmt.Sprintf("%d.%d.%d.%d", 10+rnd.IntN(200), rnd.IntN(256), rnd.IntN(256), 1+rnd.IntN(254))
		if rnd.IntN(20) == 0 {
			ip = fmt.Sprintf("2001:db8:%x:%x::%x", rnd.IntN(65536), rnd.IntN(65536), rnd.IntN(65536))
		}
		key := fmt.Sprintf("data/dt=2026-04-%02d/part-%05d-%s.snappy.parquet", 1+rnd.IntN(28), rnd.IntN(100000), strings.ToLower(hexs(8)))
		uri := fmt.Sprintf(`"%s /%s/%s HTTP/1.1"`, op.method, bucket, key)
		status, errCode, sent, size := "200", "-", fmt.Sprint(rnd.IntN(5_000_000)), fmt.Sprint(rnd.IntN(50_000_000))
		switch op.method {
		case "-":
			uri, status, sent, errCode = "-", "-", "-", "-"
		case "HEAD", "PUT", "DELETE", "POST":
			sent = "-"
		}
		if rnd.IntN(25) == 0 {
			status, errCode, sent = "403", "AccessDenied", "243"
		}
		hostID := make([]byte, 76)
		for j := range hostID {
			hostID[j] = b64[rnd.IntN(64)]
		}
		hostID[75] = '='
		fmt.Fprintf(&buf, "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be %s [%s] %s %s %s %s %s %s %s %s %s %s %d %d \"-\" %s - %s SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader %s.s3.eu-west-1.amazonaws.com TLSv1.%d - %s",
			bucket, t.Format("02/Jan/2006:15:04:05 -0700"), ip, genRequesters[rnd.IntN(len(genRequesters))], hexs(16), op.op, key, uri,
			status, errCode, sent, size, 5+rnd.IntN(400), 1+rnd.IntN(40), genUAs[rnd.IntN(len(genUAs))],
			hostID, bucket, 2+rnd.IntN(2), []string{"-", "Yes"}[rnd.IntN(2)])
		if rnd.IntN(2) == 0 {
			buf.WriteString(" eu-west-1")
		}
		lines[i] = bytes.Clone(buf.Bytes())
	}
	return lines
}
