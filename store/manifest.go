package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/keytrail/keytrail"
)

// FileEntry describes one Parquet file of the store.
type FileEntry struct {
	Path      string    `json:"path"` // store-relative, slash-separated
	Table     string    `json:"table"`
	Partition Partition `json:"partition"`
	Rows      int64     `json:"rows"`
	Bytes     int64     `json:"bytes"`
	MinTime   time.Time `json:"min_time"`
	MaxTime   time.Time `json:"max_time"`
	// Accounts and Regions a CloudTrail file holds rows of, sorted.
	Accounts []string `json:"accounts,omitempty"`
	Regions  []string `json:"regions,omitempty"`
	// Index is the version of the indexes a CloudTrail file's rows are in
	// (TableKeyUsage, TableIPUsage, TableMgmtEvents and the counts below):
	// IndexVersion, or 0 for files written before the indexes existed.
	// Valid when indexed: S3DataEvents counts its S3 data events,
	// S3ObjectEvents its S3 events whose request parameters name an object
	// key (a "key" member, as CloudTrail writes them); a file without any
	// holds no event of any object.
	Index          int   `json:"index,omitempty"`
	S3DataEvents   int64 `json:"s3_data_events,omitempty"`
	S3ObjectEvents int64 `json:"s3_object_events,omitempty"`
}

// add notes that the file holds n more rows of partition p, from first
// to last (a zero first is unknown).
func (f *FileEntry) add(p Partition, n int64, first, last time.Time) {
	if p.Table != TableS3Access {
		f.Accounts = insertSorted(f.Accounts, p.Account)
		f.Regions = insertSorted(f.Regions, p.Region)
	}
	f.addRows(n, first, last)
}

// addRows adds n rows from first to last to the file's count and span.
func (f *FileEntry) addRows(n int64, first, last time.Time) {
	f.Rows += n
	if f.MinTime.IsZero() || (!first.IsZero() && first.Before(f.MinTime)) {
		f.MinTime = first
	}
	if last.After(f.MaxTime) {
		f.MaxTime = last
	}
}

// absorb adds the rows, accounts, regions and counts of o, a file merged
// into f. f stays indexed only if o has the same index.
func (f *FileEntry) absorb(o *FileEntry) {
	f.addRows(o.Rows, o.MinTime, o.MaxTime)
	for _, a := range o.Accounts {
		f.Accounts = insertSorted(f.Accounts, a)
	}
	for _, r := range o.Regions {
		f.Regions = insertSorted(f.Regions, r)
	}
	if o.Index != f.Index {
		f.Index = 0 // merged with files of no or another index: not indexed
	}
	f.S3DataEvents += o.S3DataEvents
	f.S3ObjectEvents += o.S3ObjectEvents
}

// insertSorted adds v to the sorted set list.
func insertSorted(list []string, v string) []string {
	if i, found := slices.BinarySearch(list, v); !found {
		list = slices.Insert(list, i, v)
	}
	return list
}

// Span is a half-open UTC interval [From, To); zero ends are unbounded.
type Span struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// SourceEntry describes one source object whose rows are in the store:
// which object (key, size, modification time or ETag) and for which time
// spans its rows were taken.
type SourceEntry struct {
	// ID names the object wherever it is read from (see ingest); the
	// manifest's sources are keyed by it. Entries written before IDs
	// existed have none and are keyed by Key until an ingest gives them one.
	ID         string           `json:"id,omitempty"`
	Key        string           `json:"key"`
	Type       keytrail.LogType `json:"type"`
	Size       int64            `json:"size"`
	ModTime    time.Time        `json:"mtime,omitzero"`
	ETag       string           `json:"etag,omitempty"`
	Spans      []Span           `json:"spans"`
	Rows       int64            `json:"rows"`
	Rejects    int64            `json:"rejects,omitempty"`
	Quarantine string           `json:"quarantine,omitempty"`
	Note       string           `json:"note,omitempty"` // e.g. "digest file", "truncated: …"
	// Partial marks an object that could not be read to its end (Note says
	// why): the rows before the damage are stored.
	Partial bool `json:"partial,omitempty"`
	// First and Last are the times of the earliest and latest record in
	// the object, whatever range it was read for (zero when unknown): it
	// holds nothing outside them, so no range needs it read again there.
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
	// Hash is the hex XXH3-128 of the object's content (uncompressed): a
	// copy with a new modification time, or gunzipped, is told from an
	// edited object by it. It recognizes copies; it is no proof against a
	// forger (CloudTrail's signed digest files are).
	Hash     string    `json:"xxh3,omitempty"`
	Ingested time.Time `json:"ingested"`
}

// SourceID is the key of e in Manifest.Sources: its ID, or its Key when it
// has none.
func (e *SourceEntry) SourceID() string {
	if e.ID != "" {
		return e.ID
	}
	return e.Key
}

// Need returns the parts of want the object must still be read for: those
// not in its spans, within the times its records span when they are known
// (an object read whole; a partial one may hold more than it gave).
func (e *SourceEntry) Need(want Span) []Span {
	need := Uncovered(e.Spans, want)
	if e.First.IsZero() || e.Partial {
		return need
	}
	var out []Span
	for _, x := range need {
		if x.From.IsZero() || x.From.Before(e.First) {
			x.From = e.First
		}
		if end := e.Last.Add(time.Nanosecond); x.To.IsZero() || x.To.After(end) {
			x.To = end
		}
		if x.From.Before(x.To) {
			out = append(out, x)
		}
	}
	return out
}

// Uncovered returns the parts of want not covered by spans.
func Uncovered(spans []Span, want Span) []Span {
	out := []Span{want}
	for _, s := range spans {
		var next []Span
		for _, w := range out {
			next = append(next, subtract(w, s)...)
		}
		out = next
	}
	return out
}

// subtract returns w minus s.
func subtract(w, s Span) []Span {
	// No overlap?
	if !s.To.IsZero() && !w.From.IsZero() && !s.To.After(w.From) {
		return []Span{w}
	}
	if !s.From.IsZero() && !w.To.IsZero() && !w.To.After(s.From) {
		return []Span{w}
	}
	var out []Span
	if !s.From.IsZero() && (w.From.IsZero() || w.From.Before(s.From)) {
		out = append(out, Span{From: w.From, To: s.From})
	}
	if !s.To.IsZero() && (w.To.IsZero() || s.To.Before(w.To)) {
		out = append(out, Span{From: s.To, To: w.To})
	}
	return out
}

// Contains reports whether t is in one of spans.
func Contains(spans []Span, t time.Time) bool {
	for _, s := range spans {
		if (s.From.IsZero() || !t.Before(s.From)) && (s.To.IsZero() || t.Before(s.To)) {
			return true
		}
	}
	return false
}

// MergeSpans returns spans with overlapping and touching ones joined.
func MergeSpans(spans []Span) []Span {
	s := slices.Clone(spans)
	sort.Slice(s, func(i, j int) bool {
		if s[i].From.IsZero() != s[j].From.IsZero() {
			return s[i].From.IsZero()
		}
		return s[i].From.Before(s[j].From)
	})
	var out []Span
	for _, x := range s {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.To.IsZero() {
				continue
			}
			if x.From.IsZero() || !x.From.After(last.To) {
				if x.To.IsZero() || x.To.After(last.To) {
					last.To = x.To
				}
				continue
			}
		}
		out = append(out, x)
	}
	return out
}

// Delta is one committed change of the store: files added and removed and
// sources recorded, atomically.
type Delta struct {
	Seq     int64         `json:"seq"`
	Time    time.Time     `json:"time"`
	Add     []FileEntry   `json:"add,omitempty"`
	Remove  []string      `json:"remove,omitempty"`
	Sources []SourceEntry `json:"sources,omitempty"`
}

// Manifest is the state of the store: its live files and recorded sources.
type Manifest struct {
	Seq     int64                   `json:"seq"`
	Files   map[string]*FileEntry   `json:"files"`
	Sources map[string]*SourceEntry `json:"sources"`
}

func newManifest() *Manifest {
	return &Manifest{Files: map[string]*FileEntry{}, Sources: map[string]*SourceEntry{}}
}

func (m *Manifest) apply(d *Delta) {
	for _, p := range d.Remove {
		delete(m.Files, p)
	}
	for i := range d.Add {
		f := d.Add[i]
		m.Files[f.Path] = &f
	}
	for i := range d.Sources {
		s := d.Sources[i]
		m.Sources[s.SourceID()] = &s
	}
	m.Seq = d.Seq
}

// IndexVersion is the version of the indexes this build writes and reads;
// a change to what they hold increments it, so that files indexed before
// are read by scanning.
const IndexVersion = 1

// Indexed reports whether the index tables of this version cover every
// CloudTrail file.
func (m *Manifest) Indexed() bool {
	for _, f := range m.Files {
		if f.Table == TableCloudTrail && f.Index != IndexVersion {
			return false
		}
	}
	return true
}

// FilesOf returns the live files of a table, sorted by path.
func (m *Manifest) FilesOf(table string) []*FileEntry {
	var out []*FileEntry
	for _, f := range m.Files {
		if f.Table == table {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// checkpointJSON is a checkpoint as written: the sources are a list, each
// naming its ID as deltas do, rather than a map that would write each ID
// twice. Checkpoints written before IDs hold them as a map.
type checkpointJSON struct {
	Seq        int64                   `json:"seq"`
	Files      map[string]*FileEntry   `json:"files"`
	Sources    map[string]*SourceEntry `json:"sources,omitempty"`
	SourceList []*SourceEntry          `json:"source_list,omitempty"`
}

// checkpointEvery is how many deltas pass before the state is written whole.
const checkpointEvery = 32

// Manifest reads the store's current state: the newest checkpoint plus the
// deltas after it. Deltas are written whole by rename, so a crash leaves
// either the delta or nothing. A store not created yet holds nothing.
//
// A reader without the read lock (see OpenDB) may find an entry it listed
// removed by a writer's checkpoint meanwhile: it reads the folder again.
func (s *Store) Manifest() (*Manifest, error) {
	for i := 0; ; i++ {
		m, err := s.readManifest()
		if i < 10 && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return m, err
	}
}

// manifestRead are the options manifests are read with: an entry whose
// name is repeated (written by a build that let two invalid UTF-8 keys
// become one) is read, the later value kept, rather than the store lost.
var manifestRead = jsontext.AllowDuplicateNames(true)

func (s *Store) readManifest() (*Manifest, error) {
	dir := s.path(manifestDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return newManifest(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the store manifest: %w", err)
	}
	var deltas []int64
	var checkpoint int64 = -1
	for _, e := range entries {
		name := e.Name()
		if seq, ok := strings.CutSuffix(name, ".checkpoint.json"); ok {
			if n, err := strconv.ParseInt(seq, 10, 64); err == nil && n > checkpoint {
				checkpoint = n
			}
		} else if seq, ok := strings.CutSuffix(name, ".json"); ok {
			if n, err := strconv.ParseInt(seq, 10, 64); err == nil {
				deltas = append(deltas, n)
			}
		}
	}
	m := newManifest()
	if checkpoint >= 0 {
		b, err := os.ReadFile(filepath.Join(dir, seqName(checkpoint)+".checkpoint.json"))
		if err != nil {
			return nil, fmt.Errorf("cannot read the store manifest: %w", err)
		}
		// json v2 reads a checkpoint twice as fast as encoding/json
		// (70 ms for the 4.6 MB of a 10M-event store: every command pays it).
		var c checkpointJSON
		if err := jsonv2.Unmarshal(b, &c, manifestRead); err != nil {
			return nil, fmt.Errorf("store manifest checkpoint %d is damaged: %w", checkpoint, err)
		}
		m.Seq = c.Seq
		if c.Files != nil {
			m.Files = c.Files
		}
		if c.Sources != nil {
			m.Sources = c.Sources
		}
		for _, e := range c.SourceList {
			m.Sources[e.SourceID()] = e
		}
	}
	slices.Sort(deltas)
	for _, n := range deltas {
		if n <= checkpoint {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, seqName(n)+".json"))
		if err != nil {
			return nil, fmt.Errorf("cannot read the store manifest: %w", err)
		}
		var d Delta
		if err := jsonv2.Unmarshal(b, &d, manifestRead); err != nil {
			return nil, fmt.Errorf("store manifest entry %d is damaged: %w", n, err)
		}
		m.apply(&d)
	}
	return m, nil
}

func seqName(n int64) string { return fmt.Sprintf("%010d", n) }

// Commit makes a delta durable: files in d.Add must already be at their
// final paths. It assigns d.Seq, writes the delta by rename and applies it
// to m. Every checkpointEvery deltas it also writes a checkpoint and removes
// the entries the checkpoint replaces. Requires the writer lock.
func (s *Store) Commit(m *Manifest, d *Delta) error {
	d.Seq = m.Seq + 1
	d.Time = time.Now().UTC()
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := s.writeAtomic(filepath.Join(manifestDir, seqName(d.Seq)+".json"), b); err != nil {
		return fmt.Errorf("cannot commit to the store manifest: %w", err)
	}
	m.apply(d)
	if d.Seq%checkpointEvery == 0 {
		return s.Checkpoint(m)
	}
	return nil
}

// Checkpoint writes m whole and removes the deltas and checkpoints before
// it (see pruneManifest). Requires the writer lock.
func (s *Store) Checkpoint(m *Manifest) error {
	c := checkpointJSON{Seq: m.Seq, Files: m.Files, SourceList: make([]*SourceEntry, 0, len(m.Sources))}
	for _, e := range m.Sources {
		c.SourceList = append(c.SourceList, e)
	}
	sort.Slice(c.SourceList, func(i, j int) bool { return c.SourceList[i].SourceID() < c.SourceList[j].SourceID() })
	b, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	if err := s.writeAtomic(filepath.Join(manifestDir, seqName(m.Seq)+".checkpoint.json"), b); err != nil {
		return fmt.Errorf("cannot write a manifest checkpoint: %w", err)
	}
	s.unread(s.pruneManifest)
	return nil
}

// pruneManifest removes the checkpoints and deltas that the newest
// checkpoint replaces. A reader lists the manifest folder and then reads
// what it listed, so this runs only when no reader holds the store open;
// entries left behind are ignored by Manifest and removed by a later call.
func (s *Store) pruneManifest() {
	dir := s.path(manifestDir)
	entries, _ := os.ReadDir(dir)
	newest := int64(-1)
	for _, e := range entries {
		if seq, ok := strings.CutSuffix(e.Name(), ".checkpoint.json"); ok {
			if n, err := strconv.ParseInt(seq, 10, 64); err == nil && n > newest {
				newest = n
			}
		}
	}
	for _, e := range entries {
		name := e.Name()
		n, err := strconv.ParseInt(strings.SplitN(name, ".", 2)[0], 10, 64)
		if err == nil && (n < newest || (n == newest && !strings.HasSuffix(name, ".checkpoint.json"))) {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

// writeAtomic writes data to the store-relative path rel through a
// temporary file, fsync and rename.
func (s *Store) writeAtomic(rel string, data []byte) error {
	f, err := os.CreateTemp(s.path(tmpDir), "manifest-*")
	if err != nil {
		return err
	}
	// Readable by others, as the Parquet files are: CreateTemp makes 0600,
	// and a store written by one user is often read by another.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	f.Close()
	dst := s.path(rel)
	if err := os.Rename(f.Name(), dst); err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// Recover removes what earlier writers left: temporary files, Parquet
// files that no committed manifest entry names (uncommitted, or merged away
// while a reader read them), empty partition folders and superseded
// manifest entries. It removes nothing while a reader holds the store open
// (DuckDB's spill files are in the temporary folder too): the leftovers are
// never read and wait for the next call. Requires the writer lock. Returns
// the number of files removed.
func (s *Store) Recover(m *Manifest) (int, error) {
	removed := 0
	var err error
	s.unread(func() {
		s.pruneManifest()
		tmp := s.path(tmpDir)
		entries, _ := os.ReadDir(tmp)
		for _, e := range entries {
			if os.RemoveAll(filepath.Join(tmp, e.Name())) == nil {
				removed++
			}
		}
		for _, table := range Tables {
			var n int
			n, err = s.removeUnnamed(table, m)
			removed += n
			if err != nil {
				return
			}
		}
	})
	return removed, err
}

// removeUnnamed removes the files under a table's folder that m does not
// name, and the folders left empty.
func (s *Store) removeUnnamed(table string, m *Manifest) (int, error) {
	removed := 0
	root := s.path(table)
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		rel, _ := filepath.Rel(s.Dir, p)
		if _, live := m.Files[filepath.ToSlash(rel)]; !live {
			if os.Remove(p) == nil {
				removed++
			}
		}
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("cannot clean the store: %w", err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // only succeeds when empty
	}
	return removed, nil
}
