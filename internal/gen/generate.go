package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Stats counts what Generate wrote for one kind of file.
type Stats struct {
	Files    int   // files written
	Bytes    int64 // bytes on disk (gzip for CloudTrail)
	RawBytes int64 // uncompressed bytes
	Records  int64 // CloudTrail records or access-log lines
	// First and Last are the earliest and latest event times in the files.
	First, Last time.Time
}

// Ratio returns RawBytes/Bytes, the compression ratio.
func (s Stats) Ratio() float64 {
	if s.Bytes == 0 {
		return 0
	}
	return float64(s.RawBytes) / float64(s.Bytes)
}

func (s *Stats) add(o Stats) {
	s.Files += o.Files
	s.Bytes += o.Bytes
	s.RawBytes += o.RawBytes
	s.Records += o.Records
	if !o.First.IsZero() && (s.First.IsZero() || o.First.Before(s.First)) {
		s.First = o.First
	}
	if o.Last.After(s.Last) {
		s.Last = o.Last
	}
}

func (s *Stats) seen(t int64) {
	tt := time.Unix(t, 0).UTC()
	if s.First.IsZero() || tt.Before(s.First) {
		s.First = tt
	}
	if tt.After(s.Last) {
		s.Last = tt
	}
}

// Summary says what Generate wrote.
type Summary struct {
	Dir        string
	CloudTrail Stats // CloudTrail log files (Records = events)
	Digests    Stats // CloudTrail-Digest files (Records = log files listed)
	AccessLogs Stats // S3 server access-log files (Records = lines)
	// DataEvents is how many CloudTrail records are S3 data events.
	DataEvents int64
	// From and To are the earliest and latest event time over both sources.
	From, To time.Time
}

// String renders the summary in a few lines.
func (s Summary) String() string {
	return fmt.Sprintf("cloudtrail: %d files, %d events (%d data), %.1f MB JSON, %.1f MB gzip (%.1fx)\n"+
		"digests:    %d files\naccess logs: %d files, %d lines, %.1f MB\ntime range: %s .. %s\n",
		s.CloudTrail.Files, s.CloudTrail.Records, s.DataEvents, float64(s.CloudTrail.RawBytes)/1e6, float64(s.CloudTrail.Bytes)/1e6, s.CloudTrail.Ratio(),
		s.Digests.Files, s.AccessLogs.Files, s.AccessLogs.Records, float64(s.AccessLogs.Bytes)/1e6,
		s.From.Format(time.RFC3339), s.To.Format(time.RFC3339))
}

// Generate writes the logs of cfg below dir:
//
//	dir/cloudtrail/AWSLogs/[<OrgID>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<unique>.json.gz
//	dir/cloudtrail/AWSLogs/[<OrgID>/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_<region>_<trail>_<home region>_YYYYMMDDTHHmmssZ.json.gz
//	dir/s3-access-logs/<bucket>/logs/YYYY-MM-DD-HH-MM-SS-<UNIQUE>                       (simple layout)
//	dir/s3-access-logs/partitioned/<account>/<region>/<bucket>/YYYY/MM/DD/YYYY-MM-DD-00-00-00-<UNIQUE>  (EventTime partitions)
//
// CloudTrail files hold Config.CloudTrailFileInterval (5 minutes) of one
// account's and region's events and are named for their delivery, 1–15
// minutes after the interval; a few events arrive hours late, in a later file
// (often under the next day's date). Digest files cover the first day, hourly,
// and list the log files delivered in each hour. Access-log files hold
// Config.AccessLogFileInterval (30 minutes) of one bucket's requests, two
// files per interval, delivered 10–70 minutes later; a few lines arrive hours
// late. The output is the same bytes for the same cfg. Existing files with
// the same names are replaced; other files in dir are left alone. The
// CloudTrail files are compressed on GOMAXPROCS goroutines while the access
// logs are written on another; the bytes do not depend on the scheduling.
func Generate(dir string, cfg Config) (Summary, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return Summary{}, err
	}
	w := newWorld(cfg)
	out := &writer{root: dir, dirs: map[string]bool{}}
	var sum Summary
	sum.Dir = dir
	var wg sync.WaitGroup
	var ctErr, alErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		ctErr = writeCloudTrail(w, out, &sum)
	}()
	go func() {
		defer wg.Done()
		alErr = writeAccessLogs(w, out, &sum.AccessLogs)
	}()
	wg.Wait()
	if ctErr != nil {
		return sum, ctErr
	}
	if alErr != nil {
		return sum, alErr
	}
	var all Stats
	all.add(Stats{First: sum.CloudTrail.First, Last: sum.CloudTrail.Last})
	all.add(Stats{First: sum.AccessLogs.First, Last: sum.AccessLogs.Last})
	sum.From, sum.To = all.First, all.Last
	return sum, nil
}

// writer creates files below root, creating directories once.
type writer struct {
	root string
	mu   sync.Mutex
	dirs map[string]bool
}

func (wr *writer) write(rel string, data []byte) error {
	p := filepath.Join(wr.root, filepath.FromSlash(rel))
	d := filepath.Dir(p)
	wr.mu.Lock()
	ok := wr.dirs[d]
	wr.mu.Unlock()
	if !ok {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		wr.mu.Lock()
		wr.dirs[d] = true
		wr.mu.Unlock()
	}
	return os.WriteFile(p, data, 0o644)
}

// gzipPool compresses and writes files on several goroutines.
type gzipPool struct {
	jobs  chan gzJob
	free  chan []byte
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
	bytes int64
}

type gzJob struct {
	rel  string
	body []byte
}

func newGzipPool(out *writer, workers, level int) *gzipPool {
	p := &gzipPool{jobs: make(chan gzJob, workers*2), free: make(chan []byte, workers*4)}
	for i := 0; i < workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			var zb bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&zb, level)
			var n int64
			for j := range p.jobs {
				zb.Reset()
				zw.Reset(&zb)
				_, err := zw.Write(j.body)
				if err == nil {
					err = zw.Close()
				}
				if err == nil {
					err = out.write(j.rel, zb.Bytes())
				}
				n += int64(zb.Len())
				if err != nil {
					p.mu.Lock()
					if p.err == nil {
						p.err = err
					}
					p.mu.Unlock()
				}
				select {
				case p.free <- j.body[:0]:
				default:
				}
			}
			p.mu.Lock()
			p.bytes += n
			p.mu.Unlock()
		}()
	}
	return p
}

func (p *gzipPool) buffer() []byte {
	select {
	case b := <-p.free:
		return b
	default:
		return make([]byte, 0, 256<<10)
	}
}

func (p *gzipPool) close() (int64, error) {
	close(p.jobs)
	p.wg.Wait()
	return p.bytes, p.err
}

// ctFile is a CloudTrail log file being filled.
type ctFile struct {
	window         int64
	body           []byte
	n              int
	oldest, newest int64
}

type lateRecord struct {
	window int64 // window of the file that delivers it
	t      int64
	rec    []byte
}

// digestEntry records a delivered log file for the digest files.
type digestEntry struct {
	key            string
	delivered      int64
	hash           string
	oldest, newest int64
}

func writeCloudTrail(w *world, out *writer, sum *Summary) error {
	cfg := w.cfg
	st := newCloudTrailStream(w)
	pool := newGzipPool(out, max(1, runtime.GOMAXPROCS(0)), cfg.GzipLevel)
	r := newRNG(hash2(w.seed, 0xde11))
	interval := int64(cfg.CloudTrailFileInterval / time.Second)
	nr := len(w.regions)
	nk := len(w.accts) * nr
	files := make([]*ctFile, nk)
	late := make([][]lateRecord, nk)
	digests := make([][]digestEntry, nk)
	var stats Stats
	var dataEvents int64
	var firstErr error
	base := "cloudtrail/AWSLogs/"
	if cfg.OrgID != "" {
		base += cfg.OrgID + "/"
	}
	acctIdx := map[string]int{}
	for i, a := range w.accts {
		acctIdx[a.id] = i
	}

	flush := func(k int, f *ctFile, window int64) {
		// Late records due by this window ride along.
		if f == nil {
			f = &ctFile{window: window, body: append(pool.buffer(), `{"Records":[`...)}
		}
		keep := late[k][:0]
		for _, lr := range late[k] {
			if lr.window <= f.window {
				if f.n > 0 {
					f.body = append(f.body, ',')
				}
				f.body = append(f.body, lr.rec...)
				f.n++
				f.oldest = minNZ(f.oldest, lr.t)
				f.newest = max(f.newest, lr.t)
			} else {
				keep = append(keep, lr)
			}
		}
		late[k] = keep
		if f.n == 0 {
			return
		}
		f.body = append(f.body, "]}"...)
		a, region := w.accts[k/nr], w.regions[k%nr]
		delivered := w.start + (f.window+1)*interval + 60 + int64(r.intn(300)+r.intn(300)+r.intn(240))
		y, mo, d, h, mi, _ := civil(delivered)
		name := make([]byte, 0, 160)
		name = append(name, base...)
		name = append(name, a.id...)
		name = append(name, "/CloudTrail/"...)
		name = append(name, region...)
		name = append(name, '/')
		name = append4(name, y)
		name = append(name, '/')
		name = append2(name, mo)
		name = append(name, '/')
		name = append2(name, d)
		name = append(name, '/')
		name = append(name, a.id...)
		name = append(name, "_CloudTrail_"...)
		name = append(name, region...)
		name = append(name, '_')
		name = appendDateCompact(name, delivered)
		name = append(name, 'T')
		name = append2(name, h)
		name = append2(name, mi)
		name = append(name, "Z_"...)
		name = r.appendChars(name, alnumMixed, 16)
		name = append(name, ".json.gz"...)
		rel := string(name)
		stats.Files++
		stats.RawBytes += int64(len(f.body))
		if delivered < w.start+86400 {
			h := sha256.Sum256(f.body)
			digests[k] = append(digests[k], digestEntry{key: rel[len("cloudtrail/"):], delivered: delivered,
				hash: hex.EncodeToString(h[:]), oldest: f.oldest, newest: f.newest})
		}
		pool.jobs <- gzJob{rel: rel, body: f.body}
	}

	var rec []byte
	cur := int64(-1)
	for {
		var info RecordInfo
		var ok bool
		rec, info, ok = st.Next(rec[:0])
		if !ok {
			break
		}
		t := info.Time.Unix()
		stats.Records++
		stats.seen(t)
		if info.Data {
			dataEvents++
		}
		window := (t - w.start) / interval
		if window > cur {
			// Every file of an earlier window is complete; so are late
			// records due before this window.
			for k := range files {
				if f := files[k]; f != nil && f.window < window {
					flush(k, f, f.window)
					files[k] = nil
				}
				for {
					m := dueWindow(late[k])
					if m < 0 || m >= window {
						break
					}
					flush(k, nil, m)
				}
			}
			cur = window
		}
		k := acctIdx[info.Account]*nr + w.regionIdx(info.Region)
		// A few records are delivered hours late: now and then, and more
		// often just before midnight, so that they land in the next day.
		sod := t % 86400
		if r.chance(1.0/20000) || (sod >= 86400-600 && r.chance(1.0/15)) {
			delay := int64(3600 + r.intn(5*3600))
			late[k] = append(late[k], lateRecord{window: (t + delay - w.start) / interval, t: t, rec: append([]byte(nil), rec...)})
			continue
		}
		f := files[k]
		if f == nil {
			f = &ctFile{window: window, body: append(pool.buffer(), `{"Records":[`...)}
			files[k] = f
		}
		if f.n > 0 {
			f.body = append(f.body, ',')
		}
		f.body = append(f.body, rec...)
		f.n++
		f.oldest = minNZ(f.oldest, t)
		f.newest = max(f.newest, t)
	}
	for k := range files {
		if files[k] != nil {
			flush(k, files[k], files[k].window)
			files[k] = nil
		}
		for len(late[k]) > 0 {
			flush(k, nil, dueWindow(late[k]))
		}
	}
	gzBytes, err := pool.close()
	if err != nil && firstErr == nil {
		firstErr = err
	}
	stats.Bytes = gzBytes
	sum.CloudTrail = stats
	sum.DataEvents = dataEvents
	if firstErr != nil {
		return firstErr
	}
	d, err := writeDigests(w, out, base, digests)
	sum.Digests = d
	return err
}

// dueWindow returns the earliest delivery window of late records, or -1.
func dueWindow(l []lateRecord) int64 {
	m := int64(-1)
	for _, lr := range l {
		if m < 0 || lr.window < m {
			m = lr.window
		}
	}
	return m
}

func minNZ(a, b int64) int64 {
	if a == 0 || b < a {
		return b
	}
	return a
}

// writeDigests writes hourly digest files for the first day, per account and
// region, chained as CloudTrail chains them.
func writeDigests(w *world, out *writer, base string, entries [][]digestEntry) (Stats, error) {
	var st Stats
	nr := len(w.regions)
	home := w.regions[0]
	bucketName := "acme-cloudtrail-logs-" + w.accts[0].id
	r := newRNG(hash2(w.seed, 0xd19e))
	var zb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zb, w.cfg.GzipLevel)
	fp := string(r.appendHex(nil, 32, false))
	for k, list := range entries {
		a, region := w.accts[k/nr], w.regions[k%nr]
		sort.Slice(list, func(i, j int) bool { return list[i].delivered < list[j].delivered })
		prevKey, prevHash := "", ""
		for hs := w.start; hs < w.start+86400; hs += 3600 {
			he := hs + 3600
			var b []byte
			b = append(b, `{"awsAccountId":"`...)
			b = append(b, a.id...)
			b = append(b, `","digestStartTime":"`...)
			b = appendISO(b, hs)
			b = append(b, `","digestEndTime":"`...)
			b = appendISO(b, he)
			delivered := he + int64(r.between(300, 1200))
			y, mo, d, _, _, _ := civil(delivered)
			key := base[len("cloudtrail/"):] + a.id + "/CloudTrail-Digest/" + region + "/" + strconv.Itoa(y) + "/" +
				string(append2(nil, mo)) + "/" + string(append2(nil, d)) + "/" + a.id + "_CloudTrail-Digest_" + region + "_" +
				w.cfg.TrailName + "_" + home + "_" + string(appendDateCompact(nil, delivered)) + "T" + hhmmss(delivered) + "Z.json.gz"
			b = append(b, `","digestS3Bucket":"`...)
			b = append(b, bucketName...)
			b = append(b, `","digestS3Object":"`...)
			b = append(b, key...)
			b = append(b, `","digestPublicKeyFingerprint":"`...)
			b = append(b, fp...)
			b = append(b, `","digestSignatureAlgorithm":"SHA256withRSA"`...)
			var files []digestEntry
			var oldest, newest int64
			for _, e := range list {
				if e.delivered >= hs && e.delivered < he {
					files = append(files, e)
					oldest = minNZ(oldest, e.oldest)
					newest = max(newest, e.newest)
				}
			}
			if len(files) > 0 {
				b = append(b, `,"newestEventTime":"`...)
				b = appendISO(b, newest)
				b = append(b, `","oldestEventTime":"`...)
				b = appendISO(b, oldest)
				b = append(b, '"')
			}
			if prevKey == "" {
				b = append(b, `,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null`...)
			} else {
				b = append(b, `,"previousDigestS3Bucket":"`...)
				b = append(b, bucketName...)
				b = append(b, `","previousDigestS3Object":"`...)
				b = append(b, prevKey...)
				b = append(b, `","previousDigestHashValue":"`...)
				b = append(b, prevHash...)
				b = append(b, `","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"`...)
				b = r.appendHex(b, 512, false)
				b = append(b, '"')
			}
			b = append(b, `,"logFiles":[`...)
			for i, e := range files {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"s3Bucket":"`...)
				b = append(b, bucketName...)
				b = append(b, `","s3Object":"`...)
				b = append(b, e.key...)
				b = append(b, `","hashValue":"`...)
				b = append(b, e.hash...)
				b = append(b, `","hashAlgorithm":"SHA-256","newestEventTime":"`...)
				b = appendISO(b, e.newest)
				b = append(b, `","oldestEventTime":"`...)
				b = appendISO(b, e.oldest)
				b = append(b, `"}`...)
			}
			b = append(b, "]}"...)
			h := sha256.Sum256(b)
			prevKey, prevHash = key, hex.EncodeToString(h[:])
			zb.Reset()
			zw.Reset(&zb)
			if _, err := zw.Write(b); err != nil {
				return st, err
			}
			if err := zw.Close(); err != nil {
				return st, err
			}
			if err := out.write("cloudtrail/"+key, zb.Bytes()); err != nil {
				return st, err
			}
			st.Files++
			st.Bytes += int64(zb.Len())
			st.RawBytes += int64(len(b))
			st.Records += int64(len(files))
		}
	}
	return st, nil
}

func hhmmss(t int64) string {
	_, _, _, h, mi, s := civil(t)
	return string(append2(append2(append2(nil, h), mi), s))
}

// alFile is an access-log file being filled.
type alFile struct {
	window int64
	shard  int
	body   []byte
}

type lateLine struct {
	window int64
	shard  int
	line   []byte
}

func writeAccessLogs(w *world, out *writer, stats *Stats) error {
	st := newAccessLogStream(w)
	r := newRNG(hash2(w.seed, 0xa1de))
	alWindow := int64(w.cfg.AccessLogFileInterval / time.Second)
	perDay := 86400 / alWindow
	nb := len(w.buckets)
	const shards = 2
	files := make([][shards]*alFile, nb)
	late := make([][]lateLine, nb)
	cur := make([]int64, nb)
	for i := range cur {
		cur[i] = -1
	}
	names := map[string]bool{}
	var free [][]byte
	bidx := map[string]int{}
	for i, b := range w.buckets {
		bidx[b.name] = i
	}

	flush := func(bi int, f *alFile) error {
		bk := w.buckets[bi]
		keep := late[bi][:0]
		for _, l := range late[bi] {
			if l.window <= f.window && l.shard == f.shard {
				f.body = append(f.body, l.line...)
			} else {
				keep = append(keep, l)
			}
		}
		late[bi] = keep
		if len(f.body) == 0 {
			return nil
		}
		winStart := w.start + f.window*alWindow
		delivered := winStart + alWindow + int64(600+r.intn(3600))
		var rel []byte
		for {
			rel = rel[:0]
			if bk.partitioned {
				y, mo, d, _, _, _ := civil(winStart)
				rel = append(rel, "s3-access-logs/partitioned/"...)
				rel = append(rel, bk.acct.id...)
				rel = append(rel, '/')
				rel = append(rel, bk.region...)
				rel = append(rel, '/')
				rel = append(rel, bk.name...)
				rel = append(rel, '/')
				rel = append4(rel, y)
				rel = append(rel, '/')
				rel = append2(rel, mo)
				rel = append(rel, '/')
				rel = append2(rel, d)
				rel = append(rel, '/')
				rel = appendDate(rel, winStart, '-')
				rel = append(rel, "-00-00-00-"...)
			} else {
				_, _, _, h, mi, s := civil(delivered)
				rel = append(rel, "s3-access-logs/"...)
				rel = append(rel, bk.name...)
				rel = append(rel, "/logs/"...)
				rel = appendDate(rel, delivered, '-')
				rel = append(rel, '-')
				rel = append2(rel, h)
				rel = append(rel, '-')
				rel = append2(rel, mi)
				rel = append(rel, '-')
				rel = append2(rel, s)
				rel = append(rel, '-')
			}
			rel = r.appendHex(rel, 16, true)
			if !names[string(rel)] {
				break
			}
		}
		names[string(rel)] = true
		stats.Files++
		stats.Bytes += int64(len(f.body))
		stats.RawBytes += int64(len(f.body))
		err := out.write(string(rel), f.body)
		free = append(free, f.body[:0])
		return err
	}
	newBody := func() []byte {
		if n := len(free); n > 0 {
			b := free[n-1]
			free = free[:n-1]
			return b
		}
		return make([]byte, 0, 128<<10)
	}
	flushBefore := func(bi int, window int64) error {
		for s := 0; s < shards; s++ {
			if f := files[bi][s]; f != nil && f.window < window {
				if err := flush(bi, f); err != nil {
					return err
				}
				files[bi][s] = nil
			}
		}
		// Late lines due in a window that had no file of their own.
		for len(late[bi]) > 0 {
			l := late[bi][0]
			if l.window >= window {
				break
			}
			if err := flush(bi, &alFile{window: l.window, shard: l.shard, body: newBody()}); err != nil {
				return err
			}
		}
		return nil
	}

	var line []byte
	for {
		var info LineInfo
		var ok bool
		line, info, ok = st.Next(line[:0])
		if !ok {
			break
		}
		t := info.Time.Unix()
		stats.Records++
		stats.seen(t)
		bi := bidx[info.Bucket]
		window := (t - w.start) / alWindow
		if window > cur[bi] {
			if err := flushBefore(bi, window); err != nil {
				return err
			}
			cur[bi] = window
		}
		shard := r.intn(shards)
		if r.chance(1.0 / 2000) {
			lw := window + int64(r.between(3600, 4*3600))/alWindow + 1
			if w.buckets[bi].partitioned {
				lw = min(lw, (window/perDay+1)*perDay-1) // stay in the event's day
			}
			if lw > window {
				late[bi] = append(late[bi], lateLine{window: lw, shard: shard, line: append([]byte(nil), line...)})
				sort.SliceStable(late[bi], func(i, j int) bool { return late[bi][i].window < late[bi][j].window })
				continue
			}
		}
		f := files[bi][shard]
		if f == nil {
			f = &alFile{window: window, shard: shard, body: newBody()}
			files[bi][shard] = f
		}
		f.body = append(f.body, line...)
	}
	for bi := range files {
		if err := flushBefore(bi, 1<<40); err != nil {
			return err
		}
	}
	return nil
}

// LoggedBucket is a bucket whose S3 server access logs Generate writes.
type LoggedBucket struct {
	Name        string
	Account     string // the bucket owner
	Region      string
	Partitioned bool   // date-based partitioned key layout (EventTime), else the simple layout
	Prefix      string // folder of its log files, relative to Generate's directory
}

// LoggedBuckets lists the buckets whose access logs cfg produces. The
// incident's bucket (IncidentBucket) uses the simple layout.
func LoggedBuckets(cfg Config) ([]LoggedBucket, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	w := newWorld(cfg)
	var out []LoggedBucket
	for _, b := range w.buckets {
		lb := LoggedBucket{Name: b.name, Account: b.acct.id, Region: b.region, Partitioned: b.partitioned}
		if b.partitioned {
			lb.Prefix = "s3-access-logs/partitioned/" + b.acct.id + "/" + b.region + "/" + b.name + "/"
		} else {
			lb.Prefix = "s3-access-logs/" + b.name + "/logs/"
		}
		out = append(out, lb)
	}
	return out, nil
}
