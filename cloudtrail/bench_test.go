package cloudtrail_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/cloudtrail"
)

// benchBody builds a Records file of about size bytes from the fixture
// records, with distinct event IDs, so the decoder sees realistic records.
func benchBody(tb testing.TB, size int) ([]byte, int) {
	raw, err := os.ReadFile("../testdata/peers/open-telemetry_opentelemetry-collector-contrib/cloudtraillog/cloudtrail_log.json")
	if err != nil {
		tb.Fatal(err)
	}
	var f struct{ Records []json.RawMessage }
	if err := json.Unmarshal(raw, &f); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	n := 0
	for buf.Len() < size {
		for _, r := range f.Records {
			var c bytes.Buffer
			json.Compact(&c, r)
			b := bytes.Replace(c.Bytes(), []byte(`"eventID":"`), []byte(fmt.Sprintf(`"eventID":"%08d-`, n)), 1)
			if n > 0 {
				buf.WriteByte(',')
			}
			buf.Write(b)
			n++
		}
	}
	buf.WriteString(`]}`)
	return buf.Bytes(), n
}

func BenchmarkReader_Records(b *testing.B) {
	body, n := benchBody(b, 16<<20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	var ev keytrail.Event
	for i := 0; i < b.N; i++ {
		r := cloudtrail.NewReader(bytes.NewReader(body), "bench")
		got := 0
		for {
			err := r.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("got %d events, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
