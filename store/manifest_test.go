package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/keytrail/keytrail/store"
)

func day(d string) time.Time {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		panic(err)
	}
	return t
}

func spanString(spans []store.Span) string {
	s := ""
	for _, x := range spans {
		f, t := "-inf", "+inf"
		if !x.From.IsZero() {
			f = x.From.Format("01-02")
		}
		if !x.To.IsZero() {
			t = x.To.Format("01-02")
		}
		s += fmt.Sprintf("[%s,%s)", f, t)
	}
	return s
}

func TestUncovered(t *testing.T) {
	all := store.Span{}
	tests := []struct {
		have []store.Span
		want store.Span
		out  string
	}{
		{nil, store.Span{From: day("2026-04-24"), To: day("2026-04-25")}, "[04-24,04-25)"},
		{[]store.Span{{From: day("2026-04-24"), To: day("2026-04-25")}}, store.Span{From: day("2026-04-24"), To: day("2026-04-25")}, ""},
		{[]store.Span{{From: day("2026-04-24"), To: day("2026-04-25")}}, store.Span{From: day("2026-04-23"), To: day("2026-04-26")}, "[04-23,04-24)[04-25,04-26)"},
		{[]store.Span{all}, store.Span{From: day("2026-04-23"), To: day("2026-04-26")}, ""},
		{[]store.Span{{From: day("2026-04-24"), To: day("2026-04-25")}}, all, "[-inf,04-24)[04-25,+inf)"},
		{[]store.Span{{To: day("2026-04-24")}, {From: day("2026-04-25")}}, all, "[04-24,04-25)"},
		{[]store.Span{{From: day("2026-04-20"), To: day("2026-04-22")}}, store.Span{From: day("2026-04-22"), To: day("2026-04-23")}, "[04-22,04-23)"},
	}
	for i, tt := range tests {
		if got := spanString(store.Uncovered(tt.have, tt.want)); got != tt.out {
			t.Errorf("%d: Uncovered(%s, %s) = %s, want %s", i, spanString(tt.have), spanString([]store.Span{tt.want}), got, tt.out)
		}
	}
}

func TestMergeSpans(t *testing.T) {
	got := store.MergeSpans([]store.Span{
		{From: day("2026-04-25"), To: day("2026-04-26")},
		{From: day("2026-04-23"), To: day("2026-04-24")},
		{From: day("2026-04-24"), To: day("2026-04-25")},
		{From: day("2026-04-28"), To: day("2026-04-29")},
	})
	if s := spanString(got); s != "[04-23,04-26)[04-28,04-29)" {
		t.Errorf("MergeSpans = %s", s)
	}
	if s := spanString(store.MergeSpans([]store.Span{{From: day("2026-04-28")}, {To: day("2026-04-01")}, {From: day("2026-04-02"), To: day("2026-04-29")}})); s != "[-inf,04-01)[04-02,+inf)" {
		t.Errorf("MergeSpans open = %s", s)
	}
}

func TestPartition_Dir(t *testing.T) {
	p := store.Partition{Table: store.TableCloudTrail, Account: "111122223333", Region: "us-east-1", Day: "2026-04-24"}
	// A CloudTrail file holds every account and region of its day.
	if got := p.Dir(); got != "cloudtrail/date=2026-04-24" {
		t.Errorf("Dir = %s", got)
	}
	if got := p.File(); got != (store.Partition{Table: store.TableCloudTrail, Day: "2026-04-24"}) {
		t.Errorf("File = %+v", got)
	}
	p = store.Partition{Table: store.TableS3Access, Bucket: "../evil/=x", Day: "2026-04-24"}
	if got := p.Dir(); got != "s3access/bucket=%2E%2E%2Fevil%2F%3Dx/date=2026-04-24" {
		t.Errorf("Dir = %s", got)
	}
	if got := p.File(); got != p {
		t.Errorf("File of an access-log partition = %+v", got)
	}
}

// TestManifest_ReadWhileCheckpointing: a reader without the read lock (a
// dry run) reads the manifest while a writer commits and checkpoints,
// removing the entries it replaces: every read succeeds and is whole.
func TestManifest_ReadWhileCheckpointing(t *testing.T) {
	st, err := store.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 400 {
			key := fmt.Sprintf("s%d", i)
			if err := st.Commit(m, &store.Delta{Sources: []store.SourceEntry{{ID: key, Key: key}}}); err != nil {
				t.Error(err)
				return
			}
			if i%3 == 0 {
				if err := st.Checkpoint(m); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	reads := 0
	for {
		select {
		case <-done:
			if reads == 0 {
				t.Error("no read overlapped the writes")
			}
			return
		default:
		}
		got, err := st.Manifest()
		if err == nil && int64(len(got.Sources)) != got.Seq {
			err = fmt.Errorf("%d sources at seq %d", len(got.Sources), got.Seq)
		}
		if err != nil {
			<-done // the writer, before the folder goes
			t.Fatalf("read %d: %v", reads, err)
		}
		reads++
	}
}
