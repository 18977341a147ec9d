package cloudtrail_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/cloudtrail"
)

// FuzzReader feeds arbitrary bytes to the reader. It must not panic or loop,
// and every event it returns must round-trip: written as JSON with Athena's
// names and read again, it gives the same event.
func FuzzReader(f *testing.F) {
	for _, pattern := range []string{peers + "*/*.json", peers + "*/*/*.json", "../testdata/cloudtrail/*"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := cloudtrail.NewReader(bytes.NewReader(data), "fuzz")
		for i := 0; ; i++ {
			if i > len(data)+2 {
				t.Fatalf("more results than input bytes")
			}
			var ev keytrail.Event
			err := r.Next(&ev)
			if err == io.EOF {
				return
			}
			var re *keytrail.RecordError
			if errors.As(err, &re) {
				continue
			}
			if err != nil {
				var fe *keytrail.FileError
				if !errors.As(err, &fe) {
					t.Fatalf("error %T %v is neither a RecordError nor a FileError", err, err)
				}
				return
			}
			roundTrip(t, &ev)
		}
	})
}

func roundTrip(t *testing.T, ev *keytrail.Event) {
	t.Helper()
	b1, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	r := cloudtrail.NewReader(bytes.NewReader(b1), "again")
	var ev2 keytrail.Event
	if err := r.Next(&ev2); err != nil {
		t.Fatalf("written event does not read back: %v\n%s", err, b1)
	}
	b2, _ := json.Marshal(&ev2)
	// Compare values, not bytes: json.Marshal writes invalid UTF-8 as the
	// escape \ufffd the first time and the character itself the second.
	var v1, v2 any
	json.Unmarshal(b1, &v1)
	json.Unmarshal(b2, &v2)
	if !reflect.DeepEqual(v1, v2) {
		t.Fatalf("round trip differs:\n%s\n%s", b1, b2)
	}
	if !ev.Time.Equal(ev2.Time) {
		t.Fatalf("time %v became %v", ev.Time, ev2.Time)
	}
}

// TestReader_RoundTrip checks the round trip on every golden case and peer
// fixture, outside fuzzing.
func TestReader_RoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../testdata/cloudtrail/*.json")
	more, _ := filepath.Glob(peers + "*/*/*.json")
	for _, p := range append(files, more...) {
		evs, _, _ := readFile(t, p)
		for i := range evs {
			roundTrip(t, &evs[i])
		}
	}
}
