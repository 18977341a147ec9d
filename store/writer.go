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
// Parquet files (zstd) into the store's temporary folder. A CloudTrail file
// holds one day of any number of accounts and regions, one row group per
// account and region at each flush (its account and region columns make the
// row-group statistics prune like partitions), so that a store is a few
// files per day: DuckDB's cost is per file. A file stays open across
// flushes until Finish; it becomes part of the store only when Publish moves
// it into place and a manifest Delta naming it is committed. A Batch is used
// by one goroutine.
type Batch struct {
	s       *Store
	table   string
	id      string
	mem     *countingAllocator
	parts   map[Partition]*partBuf
	open    map[Partition]*openFile // by file partition
	pending []pendingFile
	seq     int
	keys    usage                // the key_usage index of the rows since Finish
	ips     usage                // the ip_usage index of the rows since Finish
	mgmt    map[string][]mgmtRow // by day: the mgmt_events index of the rows since Finish
}

type partBuf struct {
	ev        *eventBuilder
	ac        *accessBuilder
	minTime   time.Time
	maxTime   time.Time
	s3Data    int64 // S3 data events among the rows
	s3Objects int64 // S3 events naming an object key among the rows
}

type pendingFile struct {
	tmp   string
	entry FileEntry
}

// openFile is a Parquet file being written: row groups are added at each
// Flush until Finish closes it.
type openFile struct {
	pendingFile
	w *pqarrow.FileWriter
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
		open:  map[Partition]*openFile{},
		keys:  usage{},
		ips:   usage{},
		mgmt:  map[string][]mgmtRow{},
	}
}

// Buffered returns the bytes the batch holds in memory.
func (b *Batch) Buffered() int64 { return b.mem.n.Load() }

func (b *Batch) part(p Partition) *partBuf {
	pb := b.parts[p]
	if pb == nil {
		pb = &partBuf{}
		if b.table == TableCloudTrail {
			pb.ev = newEventBuilder(b.mem, p.Account, p.Region)
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

func (pb *partBuf) release() {
	if pb.ev != nil {
		pb.ev.rb.Release()
	} else {
		pb.ac.rb.Release()
	}
}

// AddEvent adds a CloudTrail event to partition p (whose Table must be the
// batch's), and to the index tables; sourceKey names the object it came
// from.
func (b *Batch) AddEvent(p Partition, ev *keytrail.Event, sourceKey string) {
	pb := b.part(p)
	pb.ev.Append(ev, sourceKey)
	pb.seen(ev.Time)
	b.index(p, pb, ev)
}

// AddAccess adds an access-log record to partition p.
func (b *Batch) AddAccess(p Partition, r *keytrail.AccessLogRecord, sourceKey string) {
	pb := b.part(p)
	pb.ac.Append(r, sourceKey)
	pb.seen(r.Time)
}

// Flush writes every buffered partition as row groups of its file in the
// temporary folder (opening the file if needed) and empties the buffers.
func (b *Batch) Flush() error {
	keys := make([]Partition, 0, len(b.parts))
	for p := range b.parts {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, c := keys[i], keys[j]
		return a.Dir()+"/"+a.Account+"/"+a.Region < c.Dir()+"/"+c.Account+"/"+c.Region
	})
	for _, p := range keys {
		pb := b.parts[p]
		var rec arrow.RecordBatch
		if pb.ev != nil {
			rec = pb.ev.rb.NewRecordBatch()
		} else {
			rec = pb.ac.rb.NewRecordBatch()
		}
		of, err := b.openFile(p.File(), rec.Schema())
		if err == nil {
			err = of.w.Write(rec)
		}
		rec.Release()
		pb.release()
		delete(b.parts, p)
		if err != nil {
			return fmt.Errorf("cannot write a Parquet file: %w", err)
		}
		e := &of.entry
		e.add(p, rec.NumRows(), pb.minTime, pb.maxTime)
		e.S3DataEvents += pb.s3Data
		e.S3ObjectEvents += pb.s3Objects
	}
	return nil
}

// openFile returns the open file of file partition fp, creating it.
func (b *Batch) openFile(fp Partition, schema *arrow.Schema) (*openFile, error) {
	if of := b.open[fp]; of != nil {
		return of, nil
	}
	b.seq++
	name := fmt.Sprintf("part-%s-%04d.parquet", b.id, b.seq)
	tmp := filepath.Join(b.s.path(tmpDir), name)
	w, err := createParquet(tmp, schema)
	if err != nil {
		return nil, err
	}
	of := &openFile{pendingFile: pendingFile{tmp: tmp, entry: FileEntry{Path: fp.Dir() + "/" + name, Table: fp.Table, Partition: fp,
		Index: indexOf(fp.Table)}}, w: w}
	b.open[fp] = of
	return of, nil
}

// Finish flushes the buffers, closes (and syncs) the open files and writes
// the usage indexes of their rows; the files wait in the batch until Take.
func (b *Batch) Finish() error {
	if err := b.Flush(); err != nil {
		return err
	}
	fps := make([]Partition, 0, len(b.open))
	for fp := range b.open {
		fps = append(fps, fp)
	}
	sort.Slice(fps, func(i, j int) bool { return fps[i].Dir() < fps[j].Dir() })
	for _, fp := range fps {
		of := b.open[fp]
		delete(b.open, fp)
		size, err := closeParquet(of.tmp, of.w)
		if err != nil {
			return err
		}
		of.entry.Bytes = size
		b.pending = append(b.pending, of.pendingFile)
	}
	if err := b.finishUsage(TableKeyUsage, KeyUsageSchema, b.keys); err != nil {
		return err
	}
	if err := b.finishUsage(TableIPUsage, IPUsageSchema, b.ips); err != nil {
		return err
	}
	return b.finishMgmt()
}

// Take returns the files finished so far and forgets them.
func (b *Batch) Take() []pendingFile {
	p := b.pending
	b.pending = nil
	return p
}

// Discard removes the batch's unpublished files and buffers.
func (b *Batch) Discard() {
	for fp, of := range b.open {
		of.w.Close()
		os.Remove(of.tmp)
		delete(b.open, fp)
	}
	for _, f := range b.pending {
		os.Remove(f.tmp)
	}
	b.pending = nil
	for p, pb := range b.parts {
		pb.release()
		delete(b.parts, p)
	}
	clear(b.keys)
	clear(b.ips)
	clear(b.mgmt)
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
// Access logs compress as well at zstd level 1 as at 3 (their bulk is
// random host IDs), and level 1 takes a quarter less time; CloudTrail's
// JSON gains 6% from level 3.
func parquetProps(s *arrow.Schema) *parquet.WriterProperties {
	level := zstdLevel
	if s == AccessLogSchema {
		level = 1
	}
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(level),
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

// writeParquet writes rec to path as one file, fsyncs it and returns its size.
func writeParquet(path string, rec arrow.RecordBatch) (int64, error) {
	w, err := createParquet(path, rec.Schema())
	if err != nil {
		return 0, err
	}
	if err := w.Write(rec); err != nil {
		w.Close()
		os.Remove(path)
		return 0, fmt.Errorf("cannot write a Parquet file: %w", err)
	}
	return closeParquet(path, w)
}

// createParquet starts a Parquet file of the store's settings at path.
func createParquet(path string, schema *arrow.Schema) (*pqarrow.FileWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cannot write a Parquet file: %w", err)
	}
	w, err := pqarrow.NewFileWriter(schema, syncOnClose{f}, parquetProps(schema), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("cannot write a Parquet file: %w", err)
	}
	return w, nil
}

// closeParquet ends the file w writes to path (syncing it) and returns its size.
func closeParquet(path string, w *pqarrow.FileWriter) (int64, error) {
	if err := w.Close(); err != nil { // closes (and syncs) the file too
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
