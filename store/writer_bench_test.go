package store

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/cloudtrail"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/s3access"
)

const benchRows = 100_000

// benchEvents parses benchRows generated CloudTrail records; the JSON bytes
// they came from are returned for the compression ratio.
func benchEvents(b *testing.B) ([]keytrail.Event, int64) {
	cfg := gen.DefaultConfig()
	cfg.CloudTrailEvents = benchRows
	var body []byte
	body, _ = gen.NewCloudTrailStream(cfg).AppendFile(body, benchRows)
	r := cloudtrail.NewReader(bytes.NewReader(body), "bench")
	var out []keytrail.Event
	for {
		var ev keytrail.Event
		err := r.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, ev)
	}
	return out, int64(len(body))
}

func benchLines(b *testing.B) ([]keytrail.AccessLogRecord, int64) {
	cfg := gen.DefaultConfig()
	cfg.AccessLogLines = benchRows
	st := gen.NewAccessLogStream(cfg)
	var body []byte
	for {
		var ok bool
		if body, _, ok = st.Next(body); !ok {
			break
		}
	}
	r := s3access.NewReader(bytes.NewReader(body), "bench")
	var out []keytrail.AccessLogRecord
	for {
		var rec keytrail.AccessLogRecord
		err := r.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, rec)
	}
	return out, int64(len(body))
}

// benchWrite adds n rows with add and flushes them to one partition's file,
// reporting rows/s and the file's size per input byte.
func benchWrite(b *testing.B, table string, n int, in int64, add func(*Batch, Partition, int)) {
	st, err := Create(filepath.Join(b.TempDir(), "store"))
	if err != nil {
		b.Fatal(err)
	}
	p := Partition{Table: table, Account: "111122223333", Region: "us-east-1", Bucket: "b", Day: "2026-04-24"}
	var size int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bt := st.NewBatch(table)
		for j := 0; j < n; j++ {
			add(bt, p, j)
		}
		if err := bt.Flush(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		size = 0
		for _, f := range bt.Take() {
			size += f.entry.Bytes
			os.Remove(f.tmp)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(100*float64(size)/float64(in), "%size")
}

// BenchmarkBatch_CloudTrail measures building and writing a Parquet file of
// 100k generated CloudTrail events (no parsing, no gzip).
func BenchmarkBatch_CloudTrail(b *testing.B) {
	evs, in := benchEvents(b)
	benchWrite(b, TableCloudTrail, len(evs), in, func(bt *Batch, p Partition, j int) {
		if err := bt.AddEvent(p, &evs[j], "bench"); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkBatch_Access is the same for 100k access-log records.
func BenchmarkBatch_Access(b *testing.B) {
	recs, in := benchLines(b)
	benchWrite(b, TableS3Access, len(recs), in, func(bt *Batch, p Partition, j int) {
		if err := bt.AddAccess(p, &recs[j], "bench"); err != nil {
			b.Fatal(err)
		}
	})
}
