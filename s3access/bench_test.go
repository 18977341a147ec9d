package s3access_test

import (
	"bytes"
	"flag"
	"testing"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/s3access"
)

// benchLines is how many distinct lines BenchmarkParseLine cycles through:
// 256 lines (~170 KB) stay in L2 cache, as a line does in use, where Reader
// parses it right after reading it into its 64 KiB buffer. With thousands of
// lines (MBs) every line is a cache miss and the benchmark measures memory
// latency rather than parsing. Set -benchlines to try other sizes.
var benchLines = 256

func init() {
	flag.IntVar(&benchLines, "benchlines", benchLines, "distinct lines in BenchmarkParseLine")
}

// BenchmarkParseLine parses generated lines (26 and 27 fields, varied
// operations, keys and ~100-byte user agents) one per op. MB/s is over the
// line bytes; lines/s is the rate on one goroutine.
func BenchmarkParseLine(b *testing.B) {
	lines := genLines(benchLines, 42)
	total := 0
	for _, l := range lines {
		total += len(l)
	}
	b.SetBytes(int64(total / len(lines)))
	b.ReportAllocs()
	var rec keytrail.AccessLogRecord
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s3access.ParseLine(lines[i%len(lines)], &rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkReader reads a 10,000-line stream per op through Reader.
func BenchmarkReader(b *testing.B) {
	lines := genLines(10000, 43)
	data := append(bytes.Join(lines, []byte("\n")), '\n')
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var rec keytrail.AccessLogRecord
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := s3access.NewReader(bytes.NewReader(data), "bench")
		n := 0
		for {
			err := r.Next(&rec)
			if err != nil {
				if n != len(lines) {
					b.Fatalf("%d records, then %v", n, err)
				}
				break
			}
			n++
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(lines))/b.Elapsed().Seconds(), "lines/s")
}
