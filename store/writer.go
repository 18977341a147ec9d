package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/keytrail/keytrail"
)

// Batch collects the rows of one table by partition and writes them as
// Parquet files (zstd) into the store's temporary folder. The files become
// part of the store only when Publish moves them into place and a manifest
// Delta naming them is committed. A Batch is used by one goroutine.
type Batch struct {
	s       *Store
	table   string
	id      string
	mem     *countingAllocator
	parts   map[Partition]*partBuf
	pending []pendingFile
	seq     int
}

type partBuf struct {
	ev      *eventBuilder
	ac      *accessBuilder
	minTime time.Time
	maxTime time.Time
}

type pendingFile struct {
	tmp   string
	entry FileEntry
}

// NewBatch starts a batch of rows for table.
func (s *Store) NewBatch(table string) *Batch {
	var b [6]byte
	rand.Read(b[:])
	return &Batch{
		s:     s,
		table: table,
		id:    time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:]),
		mem:   &countingAllocator{mem: memory.NewGoAllocator()},
		parts: map[Partition]*partBuf{},
	}
}

// Buffered returns the bytes the batch holds in memory.
func (b *Batch) Buffered() int64 { return b.mem.n.Load() }

func (b *Batch) part(p Partition) *partBuf {
	pb := b.parts[p]
	if pb == nil {
		pb = &partBuf{}
		if b.table == TableCloudTrail {
			pb.ev = newEventBuilder(b.mem)
		} else {
			pb.ac = newAccessBuilder(b.mem)
		}
		b.parts[p] = pb
	}
	return pb
}

func (pb *partBuf) seen(t time.Time) {
	if pb.minTime.IsZero() || t.Before(pb.minTime) {
		pb.minTime = t
	}
	if t.After(pb.maxTime) {
		pb.maxTime = t
	}
}

// AddEvent adds a CloudTrail event to partition p (whose Table must be the
// batch's); sourceKey names the object it came from.
func (b *Batch) AddEvent(p Partition, ev *keytrail.Event, sourceKey string) {
	pb := b.part(p)
	pb.ev.Append(ev, sourceKey)
	pb.seen(ev.Time)
}

// AddAccess adds an access-log record to partition p.
func (b *Batch) AddAccess(p Partition, r *keytrail.AccessLogRecord, sourceKey string) {
	pb := b.part(p)
	pb.ac.Append(r, sourceKey)
	pb.seen(r.Time)
}

// Flush writes every buffered partition to a Parquet file in the temporary
// folder and empties the buffers. The files wait in the batch until Take.
func (b *Batch) Flush() error {
	keys := make([]Partition, 0, len(b.parts))
	for p := range b.parts {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Dir() < keys[j].Dir() })
	for _, p := range keys {
		pb := b.parts[p]
		var rec arrow.RecordBatch
		if pb.ev != nil {
			rec = pb.ev.rb.NewRecordBatch()
		} else {
			rec = pb.ac.rb.NewRecordBatch()
		}
		b.seq++
		name := fmt.Sprintf("part-%s-%04d.parquet", b.id, b.seq)
		tmp := filepath.Join(b.s.path(tmpDir), name)
		size, err := writeParquet(tmp, rec)
		rows := rec.NumRows()
		rec.Release()
		if err != nil {
			return err
		}
		b.pending = append(b.pending, pendingFile{tmp: tmp, entry: FileEntry{
			Path: p.Dir() + "/" + name, Table: b.table, Partition: p,
			Rows: rows, Bytes: size, MinTime: pb.minTime, MaxTime: pb.maxTime,
		}})
		if pb.ev != nil {
			pb.ev.rb.Release()
		} else {
			pb.ac.rb.Release()
		}
		delete(b.parts, p)
	}
	return nil
}

// Take returns the files flushed so far and forgets them.
func (b *Batch) Take() []pendingFile {
	p := b.pending
	b.pending = nil
	return p
}

// Discard removes the batch's flushed but unpublished files and buffers.
func (b *Batch) Discard() {
	for _, f := range b.pending {
		os.Remove(f.tmp)
	}
	b.pending = nil
	for p, pb := range b.parts {
		if pb.ev != nil {
			pb.ev.rb.Release()
		} else {
			pb.ac.rb.Release()
		}
		delete(b.parts, p)
	}
}

// Publish moves flushed files to their partition folders and returns their
// manifest entries; they are not part of the store until a Delta with
// these entries is committed.
func (s *Store) Publish(files []pendingFile) ([]FileEntry, error) {
	out := make([]FileEntry, 0, len(files))
	dirs := map[string]bool{}
	for _, f := range files {
		dst := s.path(f.entry.Path)
		dir := filepath.Dir(dst)
		if !dirs[dir] {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("cannot create partition folder: %w", err)
			}
			dirs[dir] = true
		}
		if err := os.Rename(f.tmp, dst); err != nil {
			return nil, fmt.Errorf("cannot move a Parquet file into the store: %w", err)
		}
		out = append(out, f.entry)
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parquetProps are the writer settings of every store file: zstd, dictionary
// encoding (most columns repeat a few values), statistics for pruning.
func parquetProps() *parquet.WriterProperties {
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(zstdLevel),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(rowGroupRows),
		parquet.WithDataPageSize(1 << 20),
		parquet.WithCreatedBy("keytrail"),
	}
	for _, c := range uniqueColumns {
		opts = append(opts, parquet.WithDictionaryFor(c, false))
	}
	// Large JSON text: min/max statistics help no query and cost a
	// comparison of every value.
	for _, c := range []string{"requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails", "eventcontext", "request_uri"} {
		opts = append(opts, parquet.WithStatsFor(c, false))
	}
	// Times arrive nearly in order: deltas take a byte or two.
	for _, c := range []string{"eventtimestamp", "requesttime"} {
		opts = append(opts, parquet.WithEncodingFor(c, parquet.Encodings.DeltaBinaryPacked))
	}
	for _, c := range []string{"eventtime", "requestdatetime"} {
		opts = append(opts, parquet.WithEncodingFor(c, parquet.Encodings.DeltaByteArray))
	}
	return parquet.NewWriterProperties(opts...)
}

// uniqueColumns hold (nearly) a new value in every row: a dictionary only
// costs time there. (The JSON text columns keep theirs: many calls repeat
// the same parameters, and the dictionary stores them once.)
var uniqueColumns = []string{
	// cloudtrail
	"eventtime", "eventtimestamp", "eventid", "requestid", "sharedeventid",
	// s3access
	"requestdatetime", "requesttime", "hostid", "requestid", "bytessent", "totaltime", "turnaroundtime",
}

const (
	zstdLevel    = 3
	rowGroupRows = 128 << 10
)

// writeParquet writes rec to path, fsyncs it and returns its size.
func writeParquet(path string, rec arrow.RecordBatch) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("cannot write a Parquet file: %w", err)
	}
	w, err := pqarrow.NewFileWriter(rec.Schema(), syncOnClose{f}, parquetProps(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		return 0, fmt.Errorf("cannot write a Parquet file: %w", err)
	}
	err = w.Write(rec)
	if cerr := w.Close(); err == nil { // closes (and syncs) f too
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return 0, fmt.Errorf("cannot write a Parquet file: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// syncOnClose makes a file durable before closing it.
type syncOnClose struct{ *os.File }

func (f syncOnClose) Close() error {
	if err := f.File.Sync(); err != nil {
		f.File.Close()
		return err
	}
	return f.File.Close()
}

// countingAllocator counts the bytes the Arrow builders hold.
type countingAllocator struct {
	mem memory.Allocator
	n   atomic.Int64
}

func (a *countingAllocator) Allocate(size int) []byte {
	a.n.Add(int64(size))
	return a.mem.Allocate(size)
}

func (a *countingAllocator) Reallocate(size int, b []byte) []byte {
	a.n.Add(int64(size - len(b)))
	return a.mem.Reallocate(size, b)
}

func (a *countingAllocator) Free(b []byte) {
	a.n.Add(-int64(len(b)))
	a.mem.Free(b)
}
