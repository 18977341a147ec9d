// Package ingest moves logs from sources into the store: it lists the
// objects whose key layout can hold the requested days, skips those the
// manifest already holds, parses the rest concurrently, filters rows by
// their own time, writes Parquet and commits the manifest, then compacts
// small files.
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/cloudtrail"
	"github.com/keytrail/keytrail/s3access"
	"github.com/keytrail/keytrail/source"
	"github.com/keytrail/keytrail/store"
	"github.com/zeebo/xxh3"
)

// Input is one source of one log type.
type Input struct {
	Type   keytrail.LogType
	Source keytrail.Source
}

// Progress receives counts while an ingest runs; the CLI draws them.
type Progress interface {
	Start(files int, bytes int64)
	Advance(files int, bytes, records int64)
	Done()
}

// Options control an ingest.
type Options struct {
	Inputs []Input
	Range  keytrail.TimeRange
	// Slack is how late a log may be delivered after the records it holds;
	// objects dated up to Slack after the range are read (the CLI's default
	// is DefaultSlack). When records of the range turn up in objects
	// delivered in the second half of that window, more may lie beyond it:
	// the summary warns.
	Slack time.Duration
	// Workers parse objects concurrently; default GOMAXPROCS.
	Workers int
	// FlushBytes is how much a worker buffers before writing Parquet;
	// default 16 MiB (a huge object may take twice that before it is
	// written). More makes no better files (row groups are per account,
	// region and day anyway) and keeps the heap near its limit: at 48 MiB
	// an ingest of 10M events spent a third of its time collecting garbage
	// and faulting pages in.
	FlushBytes int64
	// NoCompact leaves small files as they are.
	NoCompact bool
	// Accounts and Regions, when set, keep only the objects whose key layout
	// names one of them (objects whose key names none are kept).
	Accounts, Regions []string
	// DryRun lists what would be read and reads nothing.
	DryRun   bool
	Progress Progress
	// Wait is called when another process holds the store's lock.
	Wait func(holder string)
}

// DefaultSlack is how late logs are assumed to be delivered, at most, after
// the records they hold: CloudTrail delivers within minutes, "not
// guaranteed", and S3 access-log records arrive "within a few hours" (AWS's
// documentation of each).
const DefaultSlack = 6 * time.Hour

// Summary reports what an ingest did.
type Summary struct {
	Store      string `json:"store"`
	Range      string `json:"range"`
	Listed     int    `json:"objects_listed"`
	Unchanged  int    `json:"objects_already_stored"`
	SameBytes  int    `json:"objects_already_stored_new_mtime,omitempty"`
	Digests    int    `json:"digest_files_skipped"`
	Files      int    `json:"objects_read"`
	Bytes      int64  `json:"bytes_read"`
	Records    int64  `json:"records_stored"`
	OutOfRange int64  `json:"records_outside_range"`
	Already    int64  `json:"records_already_stored"` // read again for a wider range
	Rejected   int64  `json:"records_rejected"`
	// RejectedBefore counts the rejected records of the objects of the
	// range stored by earlier runs (kept in quarantine then).
	RejectedBefore int64    `json:"records_rejected_before,omitempty"`
	FileErrors     []string `json:"file_errors,omitempty"`
	KnownPartial   []string `json:"stored_objects_not_read_in_full,omitempty"`
	Twice          int      `json:"objects_listed_twice,omitempty"`
	InStore        int      `json:"store_files_passed_over,omitempty"`
	Skipped        []string `json:"prefixes_not_listed,omitempty"`
	SkippedHint    string   `json:"prefixes_not_listed_hint,omitempty"`
	Changed        []string `json:"changed_objects_skipped,omitempty"`
	NotLogs        []string `json:"not_logs_skipped,omitempty"`
	Warnings       []string `json:"warnings,omitempty"`
	Quarantine     []string `json:"quarantine_files,omitempty"`
	// RejectedBy names the objects with rejected records, most first.
	RejectedBy   []ObjectRejects `json:"rejected_by_object,omitempty"`
	StoreBytes   int64           `json:"store_bytes_added"`
	Compacted    int             `json:"files_compacted"`
	Interrupted  bool            `json:"interrupted,omitempty"`
	Elapsed      time.Duration   `json:"-"`
	ElapsedS     float64         `json:"elapsed_seconds"`
	DryRunObject []string        `json:"dry_run_objects,omitempty"`
}

// ObjectRejects is how many records of one object were rejected, and
// where they are kept.
type ObjectRejects struct {
	Key        string `json:"object"`
	Rejected   int64  `json:"rejected"`
	Quarantine string `json:"quarantine"` // store-relative
}

// Problems reports whether anything was rejected, could not be read or
// changed since it was stored, in this run or (for the objects of the
// range) before.
func (s *Summary) Problems() bool {
	return s.Rejected > 0 || s.RejectedBefore > 0 || len(s.FileErrors) > 0 || len(s.KnownPartial) > 0 || len(s.Skipped) > 0 || len(s.Changed) > 0
}

type job struct {
	in     Input
	obj    keytrail.Object
	id     string // objectID
	need   []store.Span
	prev   *store.SourceEntry
	verify bool       // compare the object's content with prev's first
	want   store.Span // the range asked for, read whole if prev's version is replaced
}

// Run ingests opts.Inputs into st. Only one ingest runs on a store at a
// time: Run waits for the store's lock. On cancellation it stops, keeps
// what was committed and returns the context's error with the summary.
func Run(ctx context.Context, st *store.Store, opts Options) (*Summary, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.FlushBytes <= 0 {
		opts.FlushBytes = 16 << 20
	}
	sum := &Summary{Store: st.Dir, Range: opts.Range.String()}
	if !opts.DryRun { // a dry run reads the manifest as any reader does, and writes nothing
		if err := st.Lock(ctx, opts.Wait); err != nil {
			return sum, err
		}
		defer st.Unlock()
	}
	m, err := st.Manifest()
	if err != nil {
		return sum, err
	}
	changed, lost := adoptIDs(m)
	if len(lost) > 0 {
		if err := rebuildLost(ctx, st, m, lost); err != nil {
			return sum, err
		}
	}
	if !opts.DryRun {
		if _, err := st.Recover(m); err != nil {
			return sum, err
		}
	}
	jobs, err := plan(ctx, st, m, opts, sum, &changed)
	if err != nil {
		return sum, err
	}
	if changed && !opts.DryRun { // entries re-keyed, by adoptIDs or plan
		if err := st.Checkpoint(m); err != nil {
			return sum, err
		}
	}
	if opts.DryRun {
		for _, j := range jobs {
			sum.DryRunObject = append(sum.DryRunObject, j.obj.Key)
			sum.Bytes += j.obj.Size
		}
		sum.Files = len(jobs)
		return sum, nil
	}
	startSeq := m.Seq
	var total int64
	for _, j := range jobs {
		total += j.obj.Size
	}
	if opts.Progress != nil {
		opts.Progress.Start(len(jobs), total)
	}
	w := &run{st: st, m: m, opts: opts, sum: sum}
	err = w.work(ctx, jobs)
	if opts.Progress != nil {
		opts.Progress.Done()
	}
	if err == nil && !opts.NoCompact {
		// Compaction only merges committed files: when it fails, the store
		// is whole and readable, so it is a warning, not a failed ingest.
		// Every partition, not only those this run touched: a run killed
		// while compacting leaves the work to the next.
		n, cerr := st.Compact(ctx, m, partitions(m))
		sum.Compacted = n
		if err = ctx.Err(); err == nil && cerr != nil {
			sum.Warnings = append(sum.Warnings, cerr.Error())
		}
	}
	if m.Seq != startSeq {
		if cerr := st.Checkpoint(m); err == nil {
			err = cerr
		}
	}
	if err == nil {
		// Files merged away while a reader was reading them are removed
		// now, if it is done. What is committed is whole either way.
		if _, rerr := st.Recover(m); rerr != nil {
			sum.Warnings = append(sum.Warnings, rerr.Error())
		}
	}
	if late := w.latest; late.key != "" && late.after > opts.Slack/2 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf(
			"records of the range were still arriving %s after its end (%s): objects delivered more than --slack %s after it were not read and may hold more; run again with --slack %s to read them (what is stored is not read again)",
			human(late.after), late.key, human(opts.Slack), human(2*opts.Slack)))
	}
	sum.StoreBytes = storeBytes(m) - w.bytesBefore
	sum.Elapsed = time.Since(start)
	sum.ElapsedS = sum.Elapsed.Seconds()
	if errors.Is(err, context.Canceled) {
		sum.Interrupted = true
	}
	return sum, err
}

func storeBytes(m *store.Manifest) int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Bytes
	}
	return n
}

// plan lists the inputs and decides which objects to read and for which
// time spans. An object listed twice (overlapping sources, links) is read
// once; one the store holds already is read only for the part of the range
// it was not read for. When it finds a stored object under another ID, it
// re-keys m's entry and sets *rekeyed.
func plan(ctx context.Context, st *store.Store, m *store.Manifest, opts Options, sum *Summary, rekeyed *bool) ([]job, error) {
	want := store.Span{From: opts.Range.From, To: opts.Range.To}
	keep := func(have string, set []string) bool { return have == "" || len(set) == 0 || slices.Contains(set, have) }
	inStore := st.Dir + string(filepath.Separator)
	if real, err := filepath.EvalSymlinks(st.Dir); err == nil {
		inStore = real + string(filepath.Separator) // sources are listed by real paths
	}
	planned := map[string]bool{}
	var byKey map[string]*store.SourceEntry // sources by key, made when first needed
	sizes := map[string]int64{}             // of the objects planned, by ID
	var jobs []job
	for _, in := range opts.Inputs {
		listed := 0
		err := in.Source.List(ctx, in.Type, opts.Range, opts.Slack, func(o keytrail.Object) error {
			sum.Listed++
			listed++
			id := listedID(in.Type, o)
			// Per type: a file in no layout has the same ID under both flags,
			// and only one of them finds it a log.
			k, kp := string(in.Type)+" "+id, string(in.Type)+" path "+o.Key
			if planned[k] || planned[kp] {
				if size, ok := sizes[id]; ok && size != o.Size {
					sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s has the name of another object listed, of %d bytes, and was not read: one name, two contents", o.Key, size))
					return nil
				}
				sum.Twice++
				return nil
			}
			planned[k], planned[kp], sizes[id] = true, true, o.Size
			if o.Loc.Digest {
				sum.Digests++
				return nil
			}
			if !keep(o.Loc.Account, opts.Accounts) || !keep(o.Loc.Region, opts.Regions) {
				return nil
			}
			if strings.HasPrefix(o.Key, inStore) {
				sum.InStore++ // the store's own files, in a folder given as a source
				return nil
			}
			prev := m.Sources[id]
			if prev == nil && utf8.ValidString(o.Key) {
				// The same file by another ID: reached through a link, or
				// stored by a build that named it otherwise. (The manifest
				// keeps keys that are not UTF-8 with U+FFFD: one of those
				// could be another file's.)
				if byKey == nil {
					byKey = make(map[string]*store.SourceEntry, len(m.Sources))
					for _, e := range m.Sources {
						byKey[samePathKey(e.Key)] = e
					}
				}
				if prev = byKey[samePathKey(o.Key)]; prev != nil {
					if isLayoutID(id) && prev.ID != id { // AWS's name is the better ID
						delete(m.Sources, prev.ID)
						prev.ID = id
						m.Sources[id] = prev
						*rekeyed = true
					}
					id = prev.ID
				}
			}
			need := []store.Span{want}
			if prev != nil {
				need = prev.Need(want)
				switch changed(prev, o) {
				case sameContent:
				case maybeChanged: // read to compare its content with the stored version's
					jobs = append(jobs, job{in: in, obj: o, id: id, need: need, prev: prev, verify: true, want: want})
					return nil
				default:
					if prev.Rows == 0 {
						// The store holds nothing of the version it saw (an
						// empty or unreadable file, completed since): the new
						// one is read in its place.
						jobs = append(jobs, job{in: in, obj: o, id: id, need: []store.Span{want}})
						return nil
					}
					sum.Changed = append(sum.Changed, o.Key)
					if prev.Partial {
						sum.KnownPartial = append(sum.KnownPartial, partialNote(prev, "; it has changed since (completed?)"))
					}
					return nil
				}
				if len(need) == 0 {
					sum.Unchanged++
					if prev.Partial {
						sum.KnownPartial = append(sum.KnownPartial, partialNote(prev, ""))
					}
					sum.RejectedBefore += prev.Rejects
					return nil
				}
			}
			jobs = append(jobs, job{in: in, obj: o, id: id, need: need, prev: prev})
			return nil
		})
		var partial *source.PartialListError
		if errors.As(err, &partial) {
			for _, p := range partial.Skipped {
				sum.Skipped = append(sum.Skipped, fmt.Sprintf("%s: %s (%s)", p.Prefix, p.Reason, p.Code))
			}
			sum.SkippedHint = partial.Hint()
			err = nil
		}
		if err != nil {
			return nil, fmt.Errorf("cannot list %s: %w", in.Source, err)
		}
		if listed == 0 {
			what, when := "CloudTrail logs", ""
			if in.Type == keytrail.S3Access {
				what = "S3 access logs"
			}
			if !opts.Range.From.IsZero() || !opts.Range.To.IsZero() {
				when = fmt.Sprintf(" delivered for %s (or up to --slack %s after it)", opts.Range, human(opts.Slack))
			}
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s holds no %s%s: check the path (%s)", in.Source, what, when, layoutHint(in.Type)))
		}
	}
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].obj.Key < jobs[j].obj.Key })
	return jobs, nil
}

// Answers of changed.
const (
	sameContent  = iota
	maybeChanged // to be told by its content: read it and compare
	changedContent
)

// changed tells whether o is the object prev recorded. Another ETag is
// another object. Another size is too, unless either copy is compressed
// (gunzipped, or compressed again) and prev has a hash: the content tells.
// A copy elsewhere
// with the size recorded is the same (a copy's time is its own); at the
// same local path, another modification time may be a new copy of the same
// content (a download again) or an edit, which only the content tells (see
// SourceEntry.Hash; an entry without one takes one then).
func changed(prev *store.SourceEntry, o keytrail.Object) int {
	switch {
	case prev.ETag != "" && o.ETag != "":
		if prev.ETag != o.ETag {
			return changedContent
		}
		return sameContent
	case prev.Size != o.Size:
		// Compressed again, or otherwise, the content may be the same; only
		// a recorded hash can tell.
		if (compressed(prev.Key) || compressed(o.Key)) && prev.Hash != "" {
			return maybeChanged
		}
		return changedContent
	case prev.ETag == "" && o.ETag == "" && samePath(prev.Key, o.Key) &&
		!prev.ModTime.IsZero() && !o.ModTime.IsZero() && !prev.ModTime.Equal(o.ModTime):
		return maybeChanged
	}
	return sameContent
}

// compressed reports whether a key names a compressed file, as the names
// of logs say it (.gz, .zst).
func compressed(key string) bool {
	k := strings.ToLower(key)
	return strings.HasSuffix(k, ".gz") || strings.HasSuffix(k, ".zst")
}

// samePath compares keys as the manifest keeps them (see samePathKey).
func samePath(a, b string) bool { return samePathKey(a) == samePathKey(b) }

// samePathKey is a key as the manifest keeps it: its JSON holds invalid
// UTF-8 as U+FFFD.
func samePathKey(k string) string { return strings.ToValidUTF8(k, "\uFFFD") }

// awsName reports whether an ID is the file name AWS gives a log (not a
// path, nor a path in AWS's folders with another name).
func awsName(id string) bool {
	return isLayoutID(id) && !strings.HasPrefix(id, "cloudtrail:AWSLogs/")
}

// isLayoutID reports whether an ID is AWS's name of a log, not a path.
func isLayoutID(id string) bool {
	return strings.HasPrefix(id, "cloudtrail:") || strings.HasPrefix(id, "s3access:")
}

// objectID names an object the same wherever it is read from, so that
// logs already stored are not stored again when read through another path,
// a link, a copy, a download of the bucket (kept in its folders or flat) or
// a decompressed copy: a log whose name is AWS's own (unique by its time and
// random string; see cloudtrail.ParseName and s3access.ParseKey) by that
// name without a compression suffix; another CloudTrail file in AWS's
// layout by its key from the AWSLogs/ folder on; an object in no layout by
// its key. Of several paths (a link's own, then where it leads), the first
// that names it in AWS's way does. An ID is valid UTF-8, as the manifest's
// JSON needs: other bytes are written out in hex, so that two names stay
// two IDs.
func objectID(t keytrail.LogType, paths ...string) string {
	id := ""
	for _, p := range paths {
		if id = layoutID(t, source.ParseKey(t, p)); id != "" {
			break
		}
	}
	return validID(id, paths[len(paths)-1])
}

// listedID is objectID for a listed object, whose Loc the lister has read
// from its (link's) path already.
func listedID(t keytrail.LogType, o keytrail.Object) string {
	id := layoutID(t, o.Loc)
	if id == "" && o.Key != o.Loc.Path {
		return objectID(t, o.Key) // a link: where it leads may be in the layout
	}
	return validID(id, o.Key)
}

// layoutID is the ID of an object whose key layout gave loc, or "" when
// the layout is not AWS's for logs of type t.
func layoutID(t keytrail.LogType, loc keytrail.Location) string {
	if loc.Date.IsZero() || loc.Type != t {
		return ""
	}
	k := "/" + filepath.ToSlash(loc.Path)
	name := k[strings.LastIndexByte(k, '/')+1:]
	for _, ext := range []string{".gz", ".GZ", ".zst", ".ZST"} {
		name = strings.TrimSuffix(name, ext)
	}
	if t == keytrail.S3Access {
		return "s3access:" + name
	}
	if _, ok := cloudtrail.ParseName(name); ok {
		return "cloudtrail:" + name
	}
	return "cloudtrail:" + k[strings.LastIndex(k, "/AWSLogs/")+1:]
}

// validID is id, or key when id is "", as valid UTF-8.
func validID(id, key string) string {
	if id == "" {
		id = key
	}
	if !utf8.ValidString(id) {
		id = "hex:" + hex.EncodeToString([]byte(id))
	}
	return id
}

// notLog holds the notes of objects found not to be logs of their flag's
// type, as earlier builds recorded them; such objects are no longer
// recorded.
var notLog = map[string]bool{"not a CloudTrail log": true, "not an S3 server access log": true}

// adoptIDs keys m's sources by objectID, as stores written before IDs were
// keyed by path (merging the entries of one object stored from two paths),
// and takes out the entries of objects found not to be logs of their type.
// Those builds kept one entry per path, so such an entry may have replaced
// the entry of the same file stored under the other flag: they are returned
// as lost, for rebuildLost. changed reports whether m changed.
func adoptIDs(m *store.Manifest) (changed bool, lost []*store.SourceEntry) {
	for k, e := range m.Sources {
		if e.ID != "" {
			continue
		}
		changed = true
		delete(m.Sources, k)
		if notLog[e.Note] { // its rows, if any, came from the entry it replaced
			lost = append(lost, e)
			continue
		}
		// Those builds noted why a file was not read to its end, without
		// marking it.
		e.Partial = e.Partial || e.Note != "" && e.Note != "digest file: no events"
		e.ID = objectID(e.Type, e.Key)
		if old := m.Sources[e.ID]; old != nil {
			merge(e, old)
		}
		m.Sources[e.ID] = e
	}
	return changed, lost
}

// merge folds old, an entry of the same object as e from another path,
// into e: the newer of the two describes the file (key, size, times), and
// what each read is stored, so the spans of both are covered.
func merge(e, old *store.SourceEntry) {
	spans := store.MergeSpans(append(slices.Clone(e.Spans), old.Spans...))
	rows, partial := e.Rows+old.Rows, e.Partial || old.Partial
	if e.Ingested.Before(old.Ingested) {
		id := e.ID
		*e = *old
		e.ID = id
	}
	e.Spans, e.Rows, e.Partial = spans, rows, partial
}

// rebuildLost restores the entries that lost names: an older build's entry
// of an object it found not to be a log, which may have replaced the entry
// of the same file stored as the other type. The store's rows name their
// source, so they tell whether it was stored and for which times; the
// entries of objects with no rows are dropped, so that the right flag reads
// them.
func rebuildLost(ctx context.Context, st *store.Store, m *store.Manifest, lost []*store.SourceEntry) error {
	keys := map[string]bool{}
	for _, e := range lost {
		keys[e.Key] = true
	}
	db, err := st.OpenDB(ctx, store.DBOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	held, err := db.SourceRows(ctx, keys)
	db.Close()
	if err != nil {
		return fmt.Errorf("cannot repair the manifest of a store written by an older keytrail: %w", err)
	}
	for _, e := range lost {
		r, ok := held[e.Key]
		if !ok {
			continue
		}
		e.Type = keytrail.CloudTrail
		if r.Table == store.TableS3Access {
			e.Type = keytrail.S3Access
		}
		e.ID, e.Note, e.Rows = objectID(e.Type, e.Key), "", r.Rows
		// The seconds its rows hold were read (records have whole seconds,
		// and a range read stored every record of each second in it); the
		// rest of the object is read when a range asks for it.
		e.Spans = nil
		for _, sec := range r.Seconds {
			e.Spans = append(e.Spans, store.Span{From: sec, To: sec.Add(time.Second)})
		}
		e.Spans = store.MergeSpans(e.Spans)
		if old := m.Sources[e.ID]; old != nil {
			merge(e, old)
		}
		m.Sources[e.ID] = e
	}
	return nil
}

// layoutHint says where AWS delivers logs of type t.
func layoutHint(t keytrail.LogType) string {
	if t == keytrail.S3Access {
		return "access logs are named PREFIXYYYY-MM-DD-HH-MM-SS-ID, or PREFIX/ACCOUNT/REGION/BUCKET/YYYY/MM/DD/… when partitioned"
	}
	return "CloudTrail delivers to PREFIX/AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/"
}

// run is the state shared by the workers of one ingest.
type run struct {
	st          *store.Store
	m           *store.Manifest
	opts        Options
	sum         *Summary
	sumMu       sync.Mutex // guards sum (not mu: a commit's fsyncs would stall the other workers' tallies)
	mu          sync.Mutex // guards m and commits
	bytesBefore int64
	latest      lateObject // guarded by sumMu
}

// human formats a duration of minutes or more as people write it: 5h46m,
// 12h, 30m.
func human(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	s := d.Round(time.Minute).String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// lateObject is the object delivered latest after the range's end that
// held records of the range: key, and how long after the end.
type lateObject struct {
	key   string
	after time.Duration
}

// noteLate remembers an object that held records of the range if it was
// delivered later after the range's end than any before it. Only delivery
// times count: a key dated by its records' day tells nothing of lateness.
func (w *run) noteLate(o keytrail.Object, rows int64) {
	end, d := w.opts.Range.To, o.Loc.Date
	if rows == 0 || end.IsZero() || o.Loc.EventDate || !d.After(end) {
		return
	}
	w.sumMu.Lock()
	defer w.sumMu.Unlock()
	if after := d.Sub(end); after > w.latest.after {
		w.latest = lateObject{key: o.Key, after: after}
	}
}

// partitions returns the partitions of m's files.
func partitions(m *store.Manifest) []store.Partition {
	seen := map[store.Partition]bool{}
	var out []store.Partition
	for _, f := range m.Files {
		if !seen[f.Partition] {
			seen[f.Partition] = true
			out = append(out, f.Partition)
		}
	}
	return out
}

func (w *run) work(ctx context.Context, jobs []job) error {
	w.bytesBefore = storeBytes(w.m)
	ch := make(chan []job)
	errc := make(chan error, w.opts.Workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < w.opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.worker(ctx, ch); err != nil {
				errc <- err
				cancel()
			}
		}()
	}
feed:
	for _, u := range units(jobs, w.opts.Workers) {
		select {
		case ch <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	return ctx.Err()
}

// units groups the (sorted) jobs by the day their keys name (and bucket,
// for access logs), so that one worker reads all the objects of a day and
// writes its rows in one file. When the jobs span few days, a day is split
// by account and region, so that every worker has work.
func units(jobs []job, workers int) [][]job {
	days := map[string]bool{}
	for _, j := range jobs {
		days[j.obj.Loc.Date.Format("2006-01-02")] = true
	}
	split := len(days) < 2*workers
	key := func(j job) string {
		l := j.obj.Loc
		if l.Date.IsZero() {
			return filepath.Dir(j.obj.Key)
		}
		k := l.Bucket + "/" + l.Date.Format("2006-01-02")
		if split {
			k += "/" + l.Account + "/" + l.Region
		}
		return k
	}
	byKey := map[string]int{}
	var out [][]job
	for _, j := range jobs {
		k := key(j)
		i, ok := byKey[k]
		if !ok {
			i = len(out)
			byKey[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], j)
	}
	return out
}

// worker reads units of jobs into its own batches. Buffered rows are written
// as row groups of the unit's open files whenever FlushBytes are buffered;
// the files are closed and committed with their objects at the end of each
// unit (or after commitFlushes flushes, at an object boundary), so that a
// commit never holds part of an object.
func (w *run) worker(ctx context.Context, units <-chan []job) error {
	batches := map[string]*store.Batch{}
	rd := &readers{}
	defer rd.dec.Close()
	var done []store.SourceEntry // read, to be committed
	var pending tally            // what reading them added to the summary
	defer func() {
		for _, b := range batches {
			b.Discard()
		}
	}()
	buffered := func() int64 {
		var n int64
		for _, b := range batches {
			n += b.Buffered()
		}
		return n
	}
	flushes := 0
	commit := func() error {
		// Encoding Parquet takes long: only publishing and committing hold
		// the lock the other workers need.
		flushes = 0
		for _, b := range batches {
			if err := b.Finish(); err != nil {
				return err
			}
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		var files []store.FileEntry
		for _, b := range batches {
			pub, err := w.st.Publish(b.Take())
			if err != nil {
				return err
			}
			files = append(files, pub...)
		}
		if len(files) == 0 && len(done) == 0 {
			return nil
		}
		if err := w.st.Commit(w.m, &store.Delta{Add: files, Sources: done}); err != nil {
			return err
		}
		done = nil
		w.sumMu.Lock()
		pending.addTo(w.sum)
		w.sumMu.Unlock()
		pending = tally{}
		return nil
	}
	// flush writes the buffers as row groups of the open files, and
	// commits them every commitFlushes flushes.
	flush := func() error {
		flushes++
		for _, b := range batches {
			if err := b.Flush(); err != nil {
				return err
			}
		}
		if flushes >= commitFlushes {
			return commit()
		}
		return nil
	}
	// Objects are opened ahead across unit boundaries, so that a remote
	// source's latency never stalls the worker between units.
	ctx, cancel := context.WithCancel(ctx)
	stream := w.prefetch(ctx, units)
	defer func() {
		cancel()
		stream.drain()
	}()
	for it := range stream.items {
		var o opened
		select {
		case o = <-it.opened:
		case <-ctx.Done():
			go func() {
				if o := <-it.opened; o.rc != nil {
					o.rc.Close()
				}
			}()
			return nil
		}
		entry, ok, err := w.readObject(ctx, it.j, o, rd, batches, buffered, &pending)
		stream.release()
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted: the object's rows are discarded with the batch
			}
			return err
		}
		if ok {
			done = append(done, entry)
		}
		if it.last {
			err = commit() // a unit's files are closed and committed together
		} else if buffered() >= w.opts.FlushBytes {
			err = flush()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// commitFlushes bounds the work an interrupted ingest loses: a unit larger
// than this many flushes is committed in parts (more files for its day).
const commitFlushes = 16

// tally is what reading objects adds to the summary; it is added when
// their rows are committed, so that an interrupted ingest reports what it
// stored, not what it read.
type tally struct {
	files, sameBytes                           int
	bytes, records, outside, already, rejected int64
	fileErrors, knownPartial                   []string
	rejectedBy                                 []ObjectRejects
}

func (t *tally) addTo(s *Summary) {
	s.Files += t.files
	s.Unchanged += t.sameBytes
	s.SameBytes += t.sameBytes
	s.Bytes += t.bytes
	s.Records += t.records
	s.OutOfRange += t.outside
	s.Already += t.already
	s.Rejected += t.rejected
	s.FileErrors = append(s.FileErrors, t.fileErrors...)
	s.KnownPartial = append(s.KnownPartial, t.knownPartial...)
	for _, r := range t.rejectedBy {
		s.Quarantine = append(s.Quarantine, r.Quarantine)
		i, _ := slices.BinarySearchFunc(s.RejectedBy, r, func(a, b ObjectRejects) int {
			if a.Rejected != b.Rejected {
				return int(b.Rejected - a.Rejected) // most first
			}
			return strings.Compare(a.Key, b.Key)
		})
		s.RejectedBy = slices.Insert(s.RejectedBy, i, r)
	}
}

// readObject parses one object into the batches and returns its manifest
// entry, adding what it read to t. Rows outside the job's spans are
// counted and dropped; rejected records are quarantined; a file that cannot
// be read to its end keeps the rows before the problem, is reported and is
// recorded as partial.
//
// ok is false for an object that is not recorded: one that cannot be
// opened (reported; a later run tries it again), or one that is not a log of
// its flag's type (another flag may read it). A source that fails in the
// middle of an object (S3 gave up resuming it) ends the ingest with an
// error: the unit's rows are discarded and a re-run reads it again.
func (w *run) readObject(ctx context.Context, j job, o opened, rd *readers, batches map[string]*store.Batch, buffered func() int64, t *tally) (entry store.SourceEntry, ok bool, err error) {
	if o.err != nil {
		if ctx.Err() != nil {
			return entry, false, ctx.Err()
		}
		w.sumMu.Lock()
		w.sum.FileErrors = append(w.sum.FileErrors, errorWithKey(j.obj.Key, o.err))
		w.sumMu.Unlock()
		return entry, false, nil
	}
	if j.verify {
		entry, ok, again, err := w.verifyObject(j, o.rc, rd, t)
		o.rc.Close()
		if err != nil || !again {
			return entry, ok, err
		}
		if !ok { // replaced: the new version is read as a new object
			j.prev, j.need = nil, []store.Span{j.want}
		}
		// The content stored, and part of the range still to read in it.
		if o.rc, err = j.in.Source.Open(ctx, j.obj); err != nil {
			return w.readObject(ctx, j, opened{err: err}, rd, batches, buffered, t)
		}
		j.verify = false
	}
	defer o.rc.Close()
	return w.decodeObject(ctx, j, o.rc, rd, batches, buffered, t)
}

func (w *run) decodeObject(ctx context.Context, j job, rc io.Reader, rd *readers, batches map[string]*store.Batch, buffered func() int64, t *tally) (store.SourceEntry, bool, error) {
	entry := store.SourceEntry{
		ID: j.id, Key: j.obj.Key, Type: j.in.Type, Size: j.obj.Size, ModTime: j.obj.ModTime, ETag: j.obj.ETag,
		Ingested: time.Now().UTC(),
	}
	if j.prev != nil {
		entry.Rows, entry.Rejects, entry.Quarantine = j.prev.Rows, j.prev.Rejects, j.prev.Quarantine
		entry.Spans = j.prev.Spans
	}
	entry.Spans = store.MergeSpans(append(entry.Spans, j.need...))
	table := store.TableFor(j.in.Type)
	b := batches[table]
	if b == nil {
		b = w.st.NewBatch(table)
		batches[table] = b
	}
	// partial records a file that cannot be read to its end.
	partial := func(err error) {
		entry.Note, entry.Partial = err.Error(), true
		t.fileErrors = append(t.fileErrors, errorWithKey(j.obj.Key, err))
	}
	counted := &countingReader{r: rc}
	content, err := rd.open(counted, j.obj.Key)
	if counted.err != nil {
		return entry, false, counted.failed(j.obj.Key)
	}
	if err != nil {
		partial(err)
		t.files++
		t.bytes += j.obj.Size
		return entry, true, nil
	}
	br := rd.sniff(content)
	// A log by AWS's file name is one whatever its first bytes: a damaged
	// one is read for what it holds and its problems reported. Other files,
	// a README in a log folder among them, are read if they look like logs.
	if !awsName(j.id) && !looksLike(j.in.Type, br) {
		w.sumMu.Lock()
		w.sum.NotLogs = append(w.sum.NotLogs, j.obj.Key)
		w.sumMu.Unlock()
		return entry, false, nil
	}
	q := &quarantine{st: w.st, table: table, source: j.obj.Key}
	defer q.close()
	var rows, outside, already, lastBytes int64
	progress := func(final bool) {
		if w.opts.Progress == nil {
			return
		}
		n := counted.n
		files := 0
		if final {
			n, files = j.obj.Size, 1
		}
		w.opts.Progress.Advance(files, n-lastBytes, rows)
		lastBytes = n
		rows = 0
	}
	var stored int64
	var first, last time.Time // of every record, kept or not
	keep := func(t time.Time) bool {
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
		if store.Contains(j.need, t) {
			return true
		}
		if j.prev != nil && store.Contains(j.prev.Spans, t) {
			already++ // stored when the object was read for an earlier range
		} else {
			outside++
		}
		return false
	}
	// store1 counts a kept row; every few thousand rows it reports progress
	// and bounds memory for a huge object.
	store1 := func() error {
		rows++
		stored++
		if stored%8192 != 0 {
			return nil
		}
		progress(false)
		return w.checkpointLarge(b, buffered)
	}
	var fileErr error
	switch j.in.Type {
	case keytrail.CloudTrail:
		cr := rd.cloudtrail(br, j.obj.Key)
		fileErr, err = keytrail.Each(cr.Next, &keytrail.Event{}, q.add, func(ev *keytrail.Event) error {
			if ev.Time.IsZero() {
				q.add(cr.Reject(fmt.Sprintf("eventTime %q missing or unreadable", ev.EventTime.String)))
				return nil
			}
			if !keep(ev.Time) {
				return nil
			}
			if err := b.AddEvent(ctPartition(j.obj.Loc, ev, rd.days.of(ev.Time)), ev, j.obj.Key); err != nil {
				return err
			}
			return store1()
		})
		if cr.Kind() == cloudtrail.KindDigest {
			entry.Note = "digest file: no events"
		}
	case keytrail.S3Access:
		ar := rd.s3access(br, j.obj.Key)
		fileErr, err = keytrail.Each(ar.Next, &keytrail.AccessLogRecord{}, q.add, func(rec *keytrail.AccessLogRecord) error {
			if !keep(rec.Time) {
				return nil
			}
			if err := b.AddAccess(s3Partition(j.obj.Loc, rec, rd.days.of(rec.Time)), rec, j.obj.Key); err != nil {
				return err
			}
			return store1()
		})
	}
	if err != nil {
		return entry, false, err
	}
	if ctx.Err() != nil {
		return entry, false, ctx.Err()
	}
	entry.Hash = content.sum()
	if counted.err != nil {
		return entry, false, counted.failed(j.obj.Key)
	}
	if err := q.close(); err != nil {
		return entry, false, err
	}
	if fileErr != nil {
		partial(fileErr)
	} else {
		entry.First, entry.Last = first, last
	}
	entry.Rows += stored
	entry.Rejects = q.n // the whole object was parsed again
	if q.rel != "" {
		entry.Quarantine = q.rel
		t.rejectedBy = append(t.rejectedBy, ObjectRejects{Key: j.obj.Key, Rejected: q.n, Quarantine: q.rel})
	}
	progress(true)
	w.noteLate(j.obj, stored)
	t.files++
	t.bytes += j.obj.Size
	t.records += stored
	t.outside += outside
	t.already += already
	t.rejected += q.n
	return entry, true, nil
}

// verifyObject reads an object stored before that may have changed (a new
// modification time, or compressed otherwise) and compares its content
// with the stored version's: the same, it is recorded with its new time and
// key, and again reports whether part of the range is still to be read in
// it; otherwise it is reported changed and not recorded. An entry recorded
// before hashes takes the hash it finds.
func (w *run) verifyObject(j job, rc io.Reader, rd *readers, t *tally) (entry store.SourceEntry, ok, again bool, err error) {
	counted := &countingReader{r: rc}
	content, derr := rd.open(counted, j.obj.Key)
	var sum string
	if derr == nil {
		sum = content.sum()
	}
	if counted.err != nil {
		return entry, false, false, counted.failed(j.obj.Key)
	}
	if w.opts.Progress != nil {
		w.opts.Progress.Advance(1, counted.n, 0)
	}
	// An entry recorded before hashes takes this one when only the time
	// changed (those builds judged by size alone).
	if derr == nil && (sum == j.prev.Hash || j.prev.Hash == "" && j.prev.Size == j.obj.Size) {
		entry = *j.prev
		entry.ID, entry.Key, entry.ModTime, entry.Size, entry.Hash = j.id, j.obj.Key, j.obj.ModTime, j.obj.Size, sum
		if len(j.need) > 0 {
			return entry, true, true, nil
		}
		t.sameBytes++
		if entry.Partial {
			t.knownPartial = append(t.knownPartial, partialNote(&entry, ""))
		}
		return entry, true, false, nil
	}
	if j.prev.Rows == 0 { // nothing of the version it saw is stored: read this one
		return store.SourceEntry{}, false, true, nil
	}
	w.sumMu.Lock()
	defer w.sumMu.Unlock()
	w.sum.Changed = append(w.sum.Changed, j.obj.Key)
	if j.prev.Partial {
		w.sum.KnownPartial = append(w.sum.KnownPartial, partialNote(j.prev, "; it has changed since (completed?)"))
	}
	return entry, false, false, nil
}

// hardFlushFactor bounds memory for a single huge object: past this many
// times the flush size, buffered rows are written to (uncommitted) files.
const hardFlushFactor = 2

func (w *run) checkpointLarge(b *store.Batch, buffered func() int64) error {
	if buffered() < hardFlushFactor*w.opts.FlushBytes {
		return nil
	}
	return b.Flush()
}

// partialNote reports an object stored partial: its key, why it was not
// read to its end, and more.
func partialNote(e *store.SourceEntry, more string) string {
	return errorWithKey(e.Key, errors.New(e.Note+more))
}

// errorWithKey is err's message, starting with the object's key unless it
// names it already.
func errorWithKey(key string, err error) string {
	msg := err.Error()
	if !strings.Contains(msg, key) {
		msg = key + ": " + msg
	}
	return msg
}

// ctPartition places a CloudTrail event: the account and region of the key
// layout (where the trail delivered it), else those the event names; the
// UTC day of the event.
func ctPartition(loc keytrail.Location, ev *keytrail.Event, day string) store.Partition {
	p := store.Partition{Table: store.TableCloudTrail, Account: loc.Account, Region: loc.Region, Day: day}
	if p.Account == "" {
		p.Account = ev.RecipientAccountID.String
	}
	if p.Account == "" {
		p.Account = ev.UserIdentity.AccountID.String
	}
	if p.Region == "" {
		p.Region = ev.AWSRegion.String
	}
	return p
}

// s3Partition places an access-log record by its bucket and UTC day.
func s3Partition(loc keytrail.Location, r *keytrail.AccessLogRecord, day string) store.Partition {
	b := r.Bucket
	if b == "" || b == "-" {
		b = loc.Bucket
	}
	return store.Partition{Table: store.TableS3Access, Bucket: b, Day: day}
}

// dayNames names UTC days (YYYY-MM-DD), remembering the last: records
// come in runs of one day, and formatting each one's day was a measurable
// part of an ingest.
type dayNames struct {
	start, end int64 // Unix seconds of the last day named
	name       string
}

func (d *dayNames) of(t time.Time) string {
	if u := t.Unix(); u < d.start || u >= d.end || d.name == "" {
		day := t.UTC().Truncate(24 * time.Hour)
		d.start, d.end, d.name = day.Unix(), day.Unix()+86400, day.Format("2006-01-02")
	}
	return d.name
}

// looksLike reports whether the start of a stream can be a log of type t;
// an empty stream can (it holds nothing).
func looksLike(t keytrail.LogType, br *bufio.Reader) bool {
	head, _ := br.Peek(8 << 10)
	head = bytes.TrimLeft(head, "\xef\xbb\xbf \t\r\n")
	if len(head) == 0 {
		return true
	}
	if t == keytrail.CloudTrail {
		// An object, or events after a first line that is not one.
		return head[0] == '{' || bytes.Contains(head, []byte(`"eventTime"`))
	}
	for range 16 { // an access-log line among the first ones
		line, rest, _ := bytes.Cut(head, []byte("\n"))
		if s3access.Sniff(line) {
			return true
		}
		if head = rest; len(head) == 0 {
			break
		}
	}
	return false
}

// readers are one worker's decoders, reused from object to object.
type readers struct {
	days dayNames
	dec  source.Decompressor
	br   *bufio.Reader
	ct   *cloudtrail.Reader
	s3   *s3access.Reader
	h    *xxh3.Hasher
}

// open returns the content of the object whose bytes r gives, decompressed
// as its first bytes say, hashed as it is read. A file named .gz that is not
// gzip is an error.
func (rd *readers) open(r *countingReader, key string) (*hashingReader, error) {
	content, err := rd.dec.Reset(r)
	if err == nil && compressed(key) && rd.dec.Format() == "" {
		ext := strings.ToLower(key[strings.LastIndexByte(key, '.'):])
		if err = fmt.Errorf("named %s but not %s data", ext, map[string]string{".gz": "gzip", ".zst": "zstd"}[ext]); r.n == 0 {
			err = fmt.Errorf("empty, though named %s (still being written?)", ext)
		}
	}
	if err != nil {
		return nil, err
	}
	if rd.h == nil {
		rd.h = xxh3.New()
	}
	rd.h.Reset()
	return &hashingReader{r: content, h: rd.h}, nil
}

func (rd *readers) sniff(r io.Reader) *bufio.Reader {
	if rd.br == nil {
		// Not bufio.NewReaderSize(r, …): given a large enough *bufio.Reader
		// it returns that reader itself, and the next Reset would make a
		// loop of the decompressor's buffer and this one.
		rd.br = bufio.NewReaderSize(nil, 64<<10)
	}
	rd.br.Reset(r)
	return rd.br
}

func (rd *readers) cloudtrail(r io.Reader, key string) *cloudtrail.Reader {
	if rd.ct == nil {
		rd.ct = cloudtrail.NewReader(r, key)
	} else {
		rd.ct.Reset(r, key)
	}
	return rd.ct
}

func (rd *readers) s3access(r io.Reader, key string) *s3access.Reader {
	if rd.s3 == nil {
		rd.s3 = s3access.NewReader(r, key)
	} else {
		rd.s3.Reset(r, key)
	}
	return rd.s3
}

// countingReader counts the bytes read from a source and keeps the
// source's own error (not the decoder's).
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// hashingReader hashes an object's content (uncompressed) as it is read.
type hashingReader struct {
	r   io.Reader
	h   *xxh3.Hasher // XXH3-128: 20 GB/s, where SHA-256 cost as much as parsing access logs
	end bool         // r returned an error or io.EOF
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err != nil {
		h.end = true
	}
	return n, err
}

// sum reads what the decoder left of the content (a damaged file's rest,
// bytes after the end) and returns the hex XXH3-128 of all of it.
func (h *hashingReader) sum() string {
	if !h.end {
		io.Copy(io.Discard, h)
	}
	b := h.h.Sum128().Bytes()
	return hex.EncodeToString(b[:])
}

// failed is the error that ends an ingest whose source broke off.
func (c *countingReader) failed(key string) error {
	return keytrail.Errorf(keytrail.EUNAVAILABLE, "cannot read %s after %d bytes; run the same ingest again to go on (what is stored is not read again)", errorWithKey(key, c.err), c.n)
}

// opened is an object opened ahead of its turn, or the error of opening it.
type opened struct {
	rc  io.ReadCloser
	err error
}

// prefetched is a job whose object is being opened; last marks the final
// job of a unit.
type prefetched struct {
	j      job
	opened chan opened // receives exactly one value
	last   bool
}

// stream is one worker's queue of jobs, opened ahead of their turn.
type stream struct {
	items   chan prefetched
	sem     chan struct{}
	pending sync.WaitGroup // opens in flight
}

// prefetch takes units from the shared channel as the worker nears the end
// of the previous one and opens their objects in order, at most w.ahead
// before the worker reads them. The worker calls release after each item;
// drain, after ctx is cancelled, closes what was opened and not read.
func (w *run) prefetch(ctx context.Context, units <-chan []job) *stream {
	n := w.ahead()
	s := &stream{items: make(chan prefetched, n), sem: make(chan struct{}, n)}
	go func() {
		defer close(s.items)
		for {
			var unit []job
			var ok bool
			select {
			case unit, ok = <-units:
			case <-ctx.Done():
				return
			}
			if !ok {
				return
			}
			for i, j := range unit {
				select {
				case s.sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				it := prefetched{j: j, opened: make(chan opened, 1), last: i == len(unit)-1}
				s.pending.Add(1)
				go func() {
					defer s.pending.Done()
					rc, err := j.in.Source.Open(ctx, j.obj)
					it.opened <- opened{rc: rc, err: err}
				}()
				s.items <- it // never blocks: items holds as many as sem allows
			}
		}
	}()
	return s
}

func (s *stream) release() { <-s.sem }

// drain closes the objects opened and not read; ctx must be cancelled.
func (s *stream) drain() {
	for it := range s.items {
		s.pending.Wait()
		select {
		case o := <-it.opened:
			if o.rc != nil {
				o.rc.Close()
			}
		default:
		}
	}
}

// ahead is how many objects a worker opens before their turn: what the
// sources ask for, shared by the workers, or one.
func (w *run) ahead() int {
	n := 1
	for _, in := range w.opts.Inputs {
		if c, ok := in.Source.(interface{ Concurrency() int }); ok {
			n = max(n, c.Concurrency()/w.opts.Workers)
		}
	}
	return n
}
