package ingest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/store"
)

// quarantine keeps the rejected records of one source object in
// quarantine/<table>/<hash of the source>.ndjson under the store, one JSON
// object per record with its source, line, offset, reason and raw bytes.
// The file is named after the source, so reading the source again
// rewrites it rather than adding to it.
type quarantine struct {
	st     *store.Store
	table  string
	source string
	f      *os.File
	w      *bufio.Writer
	n      int64
	rel    string
	err    error
}

// QuarantineRecord is one line of a quarantine file.
type QuarantineRecord struct {
	Source    string `json:"source"`
	Line      int64  `json:"line,omitempty"`
	Offset    int64  `json:"offset"`
	Reason    string `json:"reason"`
	Raw       string `json:"raw,omitempty"`        // when the bytes are UTF-8
	RawBase64 []byte `json:"raw_base64,omitempty"` // when they are not
}

func (q *quarantine) add(re *keytrail.RecordError) {
	q.n++
	if q.err != nil {
		return
	}
	if q.f == nil {
		sum := sha256.Sum256([]byte(q.source))
		q.rel = filepath.ToSlash(filepath.Join("quarantine", q.table, hex.EncodeToString(sum[:8])+".ndjson"))
		path := filepath.Join(q.st.Dir, filepath.FromSlash(q.rel))
		if q.err = os.MkdirAll(filepath.Dir(path), 0o755); q.err != nil {
			return
		}
		if q.f, q.err = os.Create(path); q.err != nil {
			return
		}
		q.w = bufio.NewWriter(q.f)
	}
	rec := QuarantineRecord{Source: q.source, Line: re.Line, Offset: re.Offset, Reason: re.Reason}
	if utf8.Valid(re.Raw) {
		rec.Raw = string(re.Raw)
	} else {
		rec.RawBase64 = re.Raw
	}
	b, _ := json.Marshal(rec)
	q.w.Write(b)
	q.err = q.w.WriteByte('\n')
}

// close writes the file out; it reports a failure to keep rejected
// records, which must not be lost silently.
func (q *quarantine) close() error {
	if q.f == nil {
		return q.err
	}
	if q.err == nil {
		q.err = q.w.Flush()
	}
	if err := q.f.Close(); q.err == nil {
		q.err = err
	}
	q.f = nil
	if q.err != nil {
		return fmt.Errorf("cannot keep rejected records of %s in quarantine: %w", q.source, q.err)
	}
	return nil
}
