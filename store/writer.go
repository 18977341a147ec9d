package store

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/internal/parquet"
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
	schema  *parquet.Schema
	id      string
	parts   map[Partition]*partBuf  // kept, emptied, across flushes until Finish
	free    []*parquet.RowGroup     // emptied at Finish, for the next unit's partitions
	open    map[Partition]*openFile // by file partition
	pending []pendingFile
	seq     int
	keys    usage                // the key_usage index of the rows since Finish
	ips     usage                // the ip_usage index of the rows since Finish
	mgmt    map[string][]mgmtRow // by day: the mgmt_events index of the rows since Finish
}

type partBuf struct {
	rg        *parquet.RowGroup
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
	w *parquetFile
}

// NewBatch starts a batch of rows for table.
func (s *Store) NewBatch(table string) *Batch {
	var b [6]byte
	rand.Read(b[:])
	sc := ctSchema
	if table == TableS3Access {
		sc = accessSchema
	}
	return &Batch{
		s:      s,
		table:  table,
		schema: sc,
		id:     time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:]),
		parts:  map[Partition]*partBuf{},
		open:   map[Partition]*openFile{},
		keys:   usage{},
		ips:    usage{},
		mgmt:   map[string][]mgmtRow{},
	}
}

// Buffered returns the bytes the batch holds in memory, roughly.
func (b *Batch) Buffered() int64 {
	var n int64
	for _, pb := range b.parts {
		n += pb.rg.Size()
	}
	return n
}

func (b *Batch) part(p Partition) *partBuf {
	pb := b.parts[p]
	if pb == nil {
		pb = &partBuf{}
		if n := len(b.free); n > 0 {
			pb.rg, b.free = b.free[n-1], b.free[:n-1]
		} else {
			pb.rg = b.schema.NewRowGroup()
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
// batch's), and to the index tables; sourceKey names the object it came
// from.
func (b *Batch) AddEvent(p Partition, ev *keytrail.Event, sourceKey string) error {
	pb := b.part(p)
	appendEvent(pb.rg, ev, sourceKey, p.Account, p.Region)
	pb.seen(ev.Time)
	b.index(p, pb, ev)
	return b.capRowGroup(p, pb)
}

// AddAccess adds an access-log record to partition p.
func (b *Batch) AddAccess(p Partition, r *keytrail.AccessLogRecord, sourceKey string) error {
	pb := b.part(p)
	appendAccess(pb.rg, r, sourceKey)
	pb.seen(r.Time)
	return b.capRowGroup(p, pb)
}

// capRowGroup writes a partition's rows once they fill a row group.
func (b *Batch) capRowGroup(p Partition, pb *partBuf) error {
	if pb.rg.Rows < rowGroupRows {
		return nil
	}
	return b.flushPart(p, pb)
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
		if err := b.flushPart(p, b.parts[p]); err != nil {
			return err
		}
	}
	return nil
}

// flushPart writes the rows of partition p as a row group of its file.
// The partition keeps its emptied buffers for its next rows: their
// capacity is what the partition needed, where buffers passed from one
// partition to another grew to the largest (and a store of 10M events
// held gigabytes).
func (b *Batch) flushPart(p Partition, pb *partBuf) error {
	rows := pb.rg.Rows
	if rows == 0 {
		return nil
	}
	of, err := b.openFile(p.File())
	if err == nil {
		err = of.w.Write(pb.rg)
	}
	pb.rg.Reset()
	if err != nil {
		return err
	}
	e := &of.entry
	e.add(p, rows, pb.minTime, pb.maxTime)
	e.S3DataEvents += pb.s3Data
	e.S3ObjectEvents += pb.s3Objects
	*pb = partBuf{rg: pb.rg}
	return nil
}

// openFile returns the open file of file partition fp, creating it.
func (b *Batch) openFile(fp Partition) (*openFile, error) {
	if of := b.open[fp]; of != nil {
		return of, nil
	}
	b.seq++
	name := fmt.Sprintf("part-%s-%04d.parquet", b.id, b.seq)
	tmp := filepath.Join(b.s.path(tmpDir), name)
	w, err := createParquet(tmp, b.schema)
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
	// The next unit's partitions are others: keep some emptied buffers for
	// them, up to freeBytes of room.
	var room int64
	for _, rg := range b.free {
		room += rg.Capacity()
	}
	for _, pb := range b.parts {
		if c := pb.rg.Capacity(); room+c <= freeBytes {
			room += c
			b.free = append(b.free, pb.rg)
		}
	}
	clear(b.parts)
	fps := make([]Partition, 0, len(b.open))
	for fp := range b.open {
		fps = append(fps, fp)
	}
	sort.Slice(fps, func(i, j int) bool { return fps[i].Dir() < fps[j].Dir() })
	for _, fp := range fps {
		of := b.open[fp]
		delete(b.open, fp)
		size, err := of.w.close()
		if err != nil {
			return err
		}
		of.entry.Bytes = size
		b.pending = append(b.pending, of.pendingFile)
	}
	if err := b.finishUsage(TableKeyUsage, keyUsageSchema, b.keys); err != nil {
		return err
	}
	if err := b.finishUsage(TableIPUsage, ipUsageSchema, b.ips); err != nil {
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
		of.w.abort()
		delete(b.open, fp)
	}
	for _, f := range b.pending {
		os.Remove(f.tmp)
	}
	b.pending = nil
	clear(b.parts)
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

// parquetOptions are the writer settings of the store's files: zstd,
// dictionary encoding (most columns repeat a few values), statistics for
// pruning.
func parquetOptions() parquet.Options {
	cols := map[string]parquet.ColumnOptions{}
	for _, c := range uniqueColumns {
		cols[c] = parquet.ColumnOptions{NoDictionary: true}
	}
	// Large JSON text: min/max statistics help no query and cost a
	// comparison of every value.
	for _, c := range []string{"requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails", "eventcontext", "request_uri"} {
		cols[c] = parquet.ColumnOptions{NoStats: true}
	}
	// Times arrive nearly in order: deltas take a byte or two.
	for _, c := range []string{"eventtimestamp", "requesttime"} {
		cols[c] = parquet.ColumnOptions{NoDictionary: true, Encoding: parquet.DeltaBinaryPacked}
	}
	for _, c := range []string{"eventtime", "requestdatetime"} {
		cols[c] = parquet.ColumnOptions{NoDictionary: true, Encoding: parquet.DeltaByteArray}
	}
	return parquet.Options{Level: 1, Columns: cols, Clean: cleanUTF8}
}

// The Parquet schemas of the store's tables. zstd level 1 (with every
// literal entropy-coded, see internal/parquet) makes a CloudTrail store 2%
// larger than level 3 and its ingest 15% faster.
var (
	ctSchema       = mustSchema(CloudTrailSchema)
	accessSchema   = mustSchema(AccessLogSchema)
	keyUsageSchema = mustSchema(KeyUsageSchema)
	ipUsageSchema  = mustSchema(IPUsageSchema)
	mgmtSchema     = mustSchema(MgmtEventsSchema)
)

func mustSchema(s *arrow.Schema) *parquet.Schema {
	sc, err := parquet.NewSchema(s, parquetOptions())
	if err != nil {
		panic(err)
	}
	return sc
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

// freeBytes bounds the room of the row-group buffers a Batch keeps
// between units.
const freeBytes = 8 << 20

// rowGroupRows caps the rows of a row group.
const rowGroupRows = 128 << 10

// parquetFile is a Parquet file being written to a temporary path.
type parquetFile struct {
	path string
	f    *os.File
	buf  *bufio.Writer
	*parquet.Writer
}

// createParquet starts a Parquet file of schema sc at path.
func createParquet(path string, sc *parquet.Schema) (*parquetFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cannot write a Parquet file: %w", err)
	}
	pf := &parquetFile{path: path, f: f, buf: bufio.NewWriterSize(f, 64<<10)}
	if pf.Writer, err = parquet.NewWriter(pf.buf, sc); err != nil {
		pf.abort()
		return nil, err
	}
	return pf, nil
}

// close ends the file, syncs and closes it, and returns its size; on
// failure the file is removed.
func (pf *parquetFile) close() (int64, error) {
	err := pf.Writer.Close()
	if err == nil {
		err = pf.buf.Flush()
	}
	if err == nil {
		err = pf.f.Sync()
	}
	var size int64
	if err == nil {
		size, err = pf.f.Seek(0, io.SeekCurrent)
	}
	if cerr := pf.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(pf.path)
		return 0, fmt.Errorf("cannot write a Parquet file: %w", err)
	}
	return size, nil
}

// abort closes and removes the unfinished file.
func (pf *parquetFile) abort() {
	pf.f.Close()
	os.Remove(pf.path)
}

// writeParquet writes rg as the one row group of a file at path, syncs it
// and returns its size.
func writeParquet(path string, sc *parquet.Schema, rg *parquet.RowGroup) (int64, error) {
	pf, err := createParquet(path, sc)
	if err != nil {
		return 0, err
	}
	if err := pf.Write(rg); err != nil {
		pf.abort()
		return 0, err
	}
	return pf.close()
}
