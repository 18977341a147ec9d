package gen_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/gen"
)

// Two small data sets, generated once: the incident as the demo has it (no
// S3 data events), and one with data events and an organization trail.
var (
	incidentCfg = func() gen.Config {
		c := gen.DefaultConfig()
		c.Days = 4
		c.CloudTrailEvents = 12000
		c.AccessLogLines = 10000
		// Fewer, larger files than the defaults keep the test fast.
		c.CloudTrailFileInterval = 30 * time.Minute
		c.AccessLogFileInterval = 2 * time.Hour
		return c
	}()
	dataCfg = func() gen.Config {
		c := gen.DefaultConfig()
		c.Seed = 7
		c.Days = 2
		c.CloudTrailEvents = 8000
		c.AccessLogLines = 5000
		c.DataEvents = true
		c.OrgID = "o-a1b2c3d4e5"
		c.CloudTrailFileInterval = 20 * time.Minute
		c.AccessLogFileInterval = time.Hour
		return c
	}()
)

type ctFile struct {
	rel       string
	delivered time.Time
	records   []json.RawMessage
}

type alFile struct {
	rel   string
	lines []string
}

type corpus struct {
	cfg     gen.Config
	sum     gen.Summary
	files   map[string][]byte // relative path → raw bytes
	ct      []ctFile
	digests []string
	al      []alFile
	events  []map[string]any
}

var (
	corpora   = map[string]*corpus{}
	corporaMu sync.Mutex
)

func load(t *testing.T, name string, cfg gen.Config) *corpus {
	t.Helper()
	corporaMu.Lock()
	defer corporaMu.Unlock()
	if c := corpora[name]; c != nil {
		return c
	}
	dir, err := os.MkdirTemp("", "gen-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {}) // the directory outlives the test; removed in TestMain
	tempDirs = append(tempDirs, dir)
	sum, err := gen.Generate(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &corpus{cfg: cfg, sum: sum, files: readTree(t, dir)}
	for _, rel := range sortedKeys(c.files) {
		data := c.files[rel]
		switch {
		case strings.Contains(rel, "/CloudTrail-Digest/"):
			c.digests = append(c.digests, rel)
		case strings.HasPrefix(rel, "cloudtrail/"):
			var body struct {
				Records []json.RawMessage
			}
			if err := json.Unmarshal(gunzip(t, rel, data), &body); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			m := ctName.FindStringSubmatch(rel)
			if m == nil {
				t.Fatalf("%s: not a CloudTrail log file name", rel)
			}
			d, _ := time.Parse("20060102T1504Z", m[9]+"T"+m[10]+"Z")
			c.ct = append(c.ct, ctFile{rel: rel, delivered: d, records: body.Records})
			for _, r := range body.Records {
				var ev map[string]any
				if err := json.Unmarshal(r, &ev); err != nil {
					t.Fatalf("%s: record: %v\n%s", rel, err, r)
				}
				c.events = append(c.events, ev)
			}
		case strings.HasPrefix(rel, "s3-access-logs/"):
			text := string(data)
			if !strings.HasSuffix(text, "\n") {
				t.Fatalf("%s: does not end in a newline", rel)
			}
			c.al = append(c.al, alFile{rel: rel, lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n")})
		default:
			t.Fatalf("unexpected file %s", rel)
		}
	}
	corpora[name] = c
	return c
}

var tempDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func gunzip(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var (
	ctName        = regexp.MustCompile(`^cloudtrail/AWSLogs/(o-[a-z0-9]{10,32}/)?(\d{12})/CloudTrail/([a-z]{2}(?:-[a-z]+)+-\d)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_([a-z]{2}(?:-[a-z]+)+-\d)_(\d{8})T(\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$`)
	digestName    = regexp.MustCompile(`^cloudtrail/AWSLogs/(o-[a-z0-9]{10,32}/)?(\d{12})/CloudTrail-Digest/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_[A-Za-z0-9_.-]+_[a-z0-9-]+_(\d{8})T\d{6}Z\.json\.gz$`)
	alSimple      = regexp.MustCompile(`^s3-access-logs/([a-z0-9.-]+)/logs/(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-[0-9A-F]{16}$`)
	alPartitioned = regexp.MustCompile(`^s3-access-logs/partitioned/(\d{12})/([a-z0-9-]+)/([a-z0-9.-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{4}-\d{2}-\d{2})-00-00-00-[0-9A-F]{16}$`)
)

func TestDeterministic(t *testing.T) {
	cfg := dataCfg
	cfg.Seed = 99
	cfg.Days = 1
	cfg.CloudTrailEvents, cfg.AccessLogLines = 4000, 3000
	cfg.CloudTrailFileInterval = 30 * time.Minute
	a, b := t.TempDir(), t.TempDir()
	sa, err := gen.Generate(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := gen.Generate(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sa.Dir, sb.Dir = "", ""
	if sa != sb {
		t.Errorf("summaries differ:\n%v\n%v", sa, sb)
	}
	fa, fb := readTree(t, a), readTree(t, b)
	if len(fa) != len(fb) || len(fa) == 0 {
		t.Fatalf("file counts %d and %d", len(fa), len(fb))
	}
	for name, da := range fa {
		if db, ok := fb[name]; !ok {
			t.Errorf("%s missing in the second run", name)
		} else if !bytes.Equal(da, db) {
			t.Errorf("%s differs", name)
		}
	}
	// Another seed gives other data.
	cfg.Seed = 100
	c := t.TempDir()
	if _, err := gen.Generate(c, cfg); err != nil {
		t.Fatal(err)
	}
	same := 0
	for name, dc := range readTree(t, c) {
		if bytes.Equal(dc, fa[name]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d files are equal across seeds", same)
	}
}

func TestLayouts(t *testing.T) {
	for _, name := range []string{"incident", "data"} {
		cfg := incidentCfg
		if name == "data" {
			cfg = dataCfg
		}
		c := load(t, name, cfg)
		var nct, ndig, nsimple, npart int
		for _, rel := range sortedKeys(c.files) {
			switch {
			case ctName.MatchString(rel):
				m := ctName.FindStringSubmatch(rel)
				if (cfg.OrgID != "") != (m[1] == cfg.OrgID+"/") {
					t.Errorf("%s: organization prefix %q, want %q", rel, m[1], cfg.OrgID)
				}
				if m[2] != m[7] || m[3] != m[8] || m[4]+m[5]+m[6] != m[9] {
					t.Errorf("%s: folders do not agree with the file name", rel)
				}
				nct++
			case digestName.MatchString(rel):
				m := digestName.FindStringSubmatch(rel)
				if m[2] != m[7] || m[3] != m[8] || m[4]+m[5]+m[6] != m[9] {
					t.Errorf("%s: folders do not agree with the file name", rel)
				}
				ndig++
			case alSimple.MatchString(rel):
				nsimple++
			case alPartitioned.MatchString(rel):
				m := alPartitioned.FindStringSubmatch(rel)
				if m[4]+"-"+m[5]+"-"+m[6] != m[7] {
					t.Errorf("%s: folders do not agree with the file name", rel)
				}
				npart++
			default:
				t.Errorf("%s matches no layout", rel)
			}
		}
		if nct == 0 || ndig == 0 || nsimple == 0 || npart == 0 {
			t.Errorf("%s: %d CloudTrail, %d digest, %d simple and %d partitioned access-log files", name, nct, ndig, nsimple, npart)
		}
		if c.sum.CloudTrail.Files != nct || c.sum.Digests.Files != ndig || c.sum.AccessLogs.Files != nsimple+npart {
			t.Errorf("%s: summary counts %+v do not match the files", name, c.sum)
		}
		buckets, err := gen.LoggedBuckets(cfg)
		if err != nil || len(buckets) < 2 {
			t.Fatalf("LoggedBuckets: %v %v", buckets, err)
		}
		for _, b := range buckets {
			n := 0
			for rel := range c.files {
				if strings.HasPrefix(rel, b.Prefix) {
					n++
				}
			}
			if n == 0 || (b.Name == gen.IncidentBucket && (b.Partitioned || b.Account != gen.IncidentAccount)) {
				t.Errorf("bucket %+v: %d files", b, n)
			}
		}
	}
}

func TestCloudTrailDelivery(t *testing.T) {
	c := load(t, "incident", incidentCfg)
	interval := incidentCfg.CloudTrailFileInterval
	lateHours, crossDay := 0, 0
	perStream := map[string]int{}
	for _, f := range c.ct {
		if len(f.records) == 0 {
			t.Errorf("%s: no records", f.rel)
		}
		m := ctName.FindStringSubmatch(f.rel)
		perStream[m[2]+" "+m[3]]++
		for _, r := range f.records {
			var ev struct {
				EventTime          time.Time
				AWSRegion          string
				RecipientAccountID string
			}
			if err := json.Unmarshal(r, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.AWSRegion != m[3] || ev.RecipientAccountID != m[2] {
				t.Errorf("%s: event of %s/%s", f.rel, ev.RecipientAccountID, ev.AWSRegion)
			}
			lag := f.delivered.Sub(ev.EventTime)
			if lag < 0 {
				t.Errorf("%s: delivered %v before its event at %v", f.rel, f.delivered, ev.EventTime)
			}
			if lag > time.Hour+interval {
				lateHours++
			}
			if ev.EventTime.Format("2006-01-02") != f.delivered.Format("2006-01-02") {
				crossDay++
			}
		}
	}
	if lateHours == 0 || crossDay == 0 {
		t.Errorf("%d events delivered hours late, %d in a file of a later day; want some of each", lateHours, crossDay)
	}
	// About one file per interval per account and region.
	for k, n := range perStream {
		if max := incidentCfg.Days*int(24*time.Hour/interval) + 40; n > max {
			t.Errorf("%s: %d files, more than one per %v", k, n, interval)
		}
	}
	t.Logf("%d files, %d events hours late, %d in a later day's file", len(c.ct), lateHours, crossDay)
}

// cloudTrailOrder is the order of the top-level keys in CloudTrail records.
var cloudTrailOrder = []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements",
	"additionalEventData", "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion",
	"managementEvent", "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId",
	"vpcEndpointAccountId", "eventCategory", "tlsDetails", "sessionCredentialFromConsole"}

var (
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	keyRE       = regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{16}$`)
	canonicalRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func TestCloudTrailRecords(t *testing.T) {
	rank := map[string]int{}
	for i, k := range cloudTrailOrder {
		rank[k] = i
	}
	for _, name := range []string{"incident", "data"} {
		cfg := incidentCfg
		if name == "data" {
			cfg = dataCfg
		}
		c := load(t, name, cfg)
		if len(c.events) != cfg.CloudTrailEvents || int(c.sum.CloudTrail.Records) != len(c.events) {
			t.Errorf("%s: %d events in files, summary %d, config %d", name, len(c.events), c.sum.CloudTrail.Records, cfg.CloudTrailEvents)
		}
		ids := map[string]bool{}
		sources, names, types := map[string]bool{}, map[string]bool{}, map[string]int{}
		errs, raw := 0, 0
		for _, f := range c.ct {
			for _, r := range f.records {
				raw += len(r)
				keys := topKeys(t, r)
				for i := 1; i < len(keys); i++ {
					if rank[keys[i-1]] >= rank[keys[i]] {
						t.Fatalf("%s: key %q after %q is out of CloudTrail's order\n%s", f.rel, keys[i], keys[i-1], r)
					}
				}
				if bytes.Contains(r, []byte(`"arn":"arn:aws:s3`)) || bytes.Contains(r, []byte(`"Arn"`)) {
					t.Errorf("resource ARN key not upper-case: %s", r)
				}
			}
		}
		for _, ev := range c.events {
			id, _ := ev["eventID"].(string)
			if !uuidRE.MatchString(id) || ids[id] {
				t.Errorf("bad or repeated eventID %q", id)
			}
			ids[id] = true
			if _, err := time.Parse("2006-01-02T15:04:05Z", ev["eventTime"].(string)); err != nil {
				t.Errorf("eventTime: %v", err)
			}
			if _, ok := ev["readOnly"].(bool); !ok {
				t.Errorf("readOnly %v is not a boolean", ev["readOnly"])
			}
			if _, ok := ev["managementEvent"].(bool); !ok {
				t.Errorf("managementEvent %v is not a boolean", ev["managementEvent"])
			}
			for _, k := range []string{"eventVersion", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "eventType", "recipientAccountId", "eventCategory"} {
				if s, _ := ev[k].(string); s == "" {
					t.Errorf("%s missing: %v", k, ev)
				}
			}
			if res, ok := ev["resources"].([]any); ok {
				for _, x := range res {
					m := x.(map[string]any)
					if s, _ := m["ARN"].(string); !strings.HasPrefix(s, "arn:aws:") {
						t.Errorf("resource without ARN: %v", m)
					}
				}
			}
			sources[ev["eventSource"].(string)] = true
			names[ev["eventName"].(string)] = true
			if ui, ok := ev["userIdentity"].(map[string]any); ok {
				ty, _ := ui["type"].(string)
				if ty == "" {
					ty = "(" + ui["invokedBy"].(string) + ")"
				}
				types[ty]++
				if k, _ := ui["accessKeyId"].(string); k != "" && !keyRE.MatchString(k) {
					t.Errorf("access key %q", k)
				}
			}
			if _, ok := ev["errorCode"]; ok {
				errs++
			}
		}
		for _, want := range []string{"s3.amazonaws.com", "ec2.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com", "kms.amazonaws.com",
			"lambda.amazonaws.com", "logs.amazonaws.com", "cloudtrail.amazonaws.com", "signin.amazonaws.com", "ssm.amazonaws.com"} {
			if !sources[want] {
				t.Errorf("%s: no events from %s", name, want)
			}
		}
		for _, want := range []string{"IAMUser", "AssumedRole", "AWSService", "Root", "IdentityCenterUser", "WebIdentityUser", "AWSAccount", "(AWS Internal)"} {
			if types[want] == 0 {
				t.Errorf("%s: no userIdentity of type %s (%v)", name, want, types)
			}
		}
		rate := float64(errs) / float64(len(c.events))
		if rate < 0.02 || rate > 0.09 {
			t.Errorf("%s: error rate %.3f, want about 5%%", name, rate)
		}
		avg := raw / len(c.events)
		t.Logf("%s: %d events, %d event names, error rate %.3f, average record %d bytes, identities %v", name, len(c.events), len(names), rate, avg, types)
		if !cfg.DataEvents && (avg < 800 || avg > 1400) {
			t.Errorf("%s: average record %d bytes, want about 1 KB", name, avg)
		}
	}
}

func topKeys(t *testing.T, r []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(r))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("record is not an object: %s", r)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestDigests(t *testing.T) {
	c := load(t, "data", dataCfg)
	listed := 0
	for _, rel := range c.digests {
		var d struct {
			AWSAccountID   string `json:"awsAccountId"`
			DigestS3Object string
			LogFiles       []struct{ S3Object, HashValue string }
			Records        []any
		}
		if err := json.Unmarshal(gunzip(t, rel, c.files[rel]), &d); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if d.Records != nil || d.AWSAccountID == "" || "cloudtrail/"+d.DigestS3Object != rel {
			t.Errorf("%s: not a digest of itself: %+v", rel, d)
		}
		for _, lf := range d.LogFiles {
			if _, ok := c.files["cloudtrail/"+lf.S3Object]; !ok || len(lf.HashValue) != 64 {
				t.Errorf("%s: lists %s, which is not there", rel, lf.S3Object)
			}
			listed++
		}
	}
	if listed == 0 {
		t.Error("digests list no log files")
	}
}

// accessFields splits an access-log line the way S3 writes it: spaces
// separate fields, except inside [brackets] and "quotes".
func accessFields(line string) []string {
	var out []string
	for i := 0; i < len(line); {
		if line[i] == ' ' {
			i++
			continue
		}
		j := i
		switch line[i] {
		case '[':
			j = i + strings.IndexByte(line[i:], ']') + 1
		case '"':
			j = i + 1
			for j < len(line) && line[j] != '"' {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			j++
		default:
			for j < len(line) && line[j] != ' ' {
				j++
			}
		}
		if j > len(line) || j <= i {
			j = len(line)
		}
		out = append(out, line[i:j])
		i = j
	}
	return out
}

type accessLine struct {
	f    []string
	t    time.Time
	file string
}

func accessLines(t *testing.T, c *corpus) []accessLine {
	var out []accessLine
	for _, f := range c.al {
		for _, l := range f.lines {
			fs := accessFields(l)
			if len(fs) != 27 {
				t.Fatalf("%s: %d fields in %q", f.rel, len(fs), l)
			}
			tm, err := time.Parse("[02/Jan/2006:15:04:05 -0700]", fs[2])
			if err != nil {
				t.Fatalf("%s: time: %v", f.rel, err)
			}
			out = append(out, accessLine{f: fs, t: tm.UTC(), file: f.rel})
		}
	}
	return out
}

func TestAccessLogLines(t *testing.T) {
	c := load(t, "incident", incidentCfg)
	lines := accessLines(t, c)
	if len(lines) != incidentCfg.AccessLogLines || int(c.sum.AccessLogs.Records) != len(lines) {
		t.Errorf("%d lines, summary %d, config %d", len(lines), c.sum.AccessLogs.Records, incidentCfg.AccessLogLines)
	}
	ops, requesters, errs := map[string]int{}, map[string]int{}, 0
	total := 0
	reqID := regexp.MustCompile(`^[0-9A-Z]{16}$`)
	for _, l := range lines {
		f := l.f
		total += len(strings.Join(f, " ")) + 1
		if !reqID.MatchString(f[5]) {
			t.Errorf("request id %q", f[5])
		}
		if !strings.HasPrefix(f[8], `"`) && f[8] != "-" {
			t.Errorf("request URI not quoted: %q", f[8])
		}
		if !strings.HasPrefix(f[15], `"`) || !strings.HasPrefix(f[16], `"`) {
			t.Errorf("referrer/user agent not quoted: %q %q", f[15], f[16])
		}
		if f[11] == "0" {
			t.Errorf("bytes sent 0 should be '-': %v", f)
		}
		if f[23] != "-" && f[23] != "TLSv1.2" && f[23] != "TLSv1.3" {
			t.Errorf("tls version %q", f[23])
		}
		if f[25] != "-" && f[25] != "Yes" {
			t.Errorf("aclRequired %q", f[25])
		}
		ops[f[6]]++
		switch {
		case f[4] == "-":
			requesters["anonymous"]++
		case strings.HasPrefix(f[4], "arn:aws:iam::") && strings.Contains(f[4], ":user/"):
			requesters["user"]++
		case strings.HasPrefix(f[4], "arn:aws:sts::"):
			requesters["role"]++
		case canonicalRE.MatchString(f[4]):
			requesters["canonical"]++
		default:
			requesters[f[4]]++
		}
		if f[10] != "-" {
			errs++
		}
		// Partitioned files hold the requests of their day.
		if m := alPartitioned.FindStringSubmatch(l.file); m != nil && l.t.Format("2006-01-02") != m[7] {
			t.Errorf("%s: request of %v", l.file, l.t)
		}
		// Simple-layout files are named for their delivery, after their requests.
		if m := alSimple.FindStringSubmatch(l.file); m != nil {
			d, _ := time.Parse("2006-01-02-15-04-05", m[2])
			if d.Before(l.t) {
				t.Errorf("%s: delivered before its request at %v", l.file, l.t)
			}
		}
	}
	for _, op := range []string{"REST.GET.OBJECT", "REST.PUT.OBJECT", "REST.HEAD.OBJECT", "REST.GET.BUCKET", "REST.DELETE.OBJECT",
		"REST.COPY.OBJECT", "REST.COPY.OBJECT_GET", "S3.EXPIRE.OBJECT", "REST.GET.BUCKETPOLICY"} {
		if ops[op] == 0 {
			t.Errorf("no %s lines", op)
		}
	}
	if ops["REST.COPY.OBJECT"] != ops["REST.COPY.OBJECT_GET"] {
		t.Errorf("%d copies but %d copy sources", ops["REST.COPY.OBJECT"], ops["REST.COPY.OBJECT_GET"])
	}
	for _, k := range []string{"anonymous", "user", "role", "canonical"} {
		if requesters[k] == 0 {
			t.Errorf("no %s requesters: %v", k, requesters)
		}
	}
	avg := total / len(lines)
	rate := float64(errs) / float64(len(lines))
	t.Logf("%d lines, average %d bytes, error rate %.3f, requesters %v", len(lines), avg, rate, requesters)
	if avg < 350 || avg > 650 {
		t.Errorf("average line %d bytes", avg)
	}
	if rate < 0.01 || rate > 0.1 {
		t.Errorf("error rate %.3f", rate)
	}
}

func TestAccessFields(t *testing.T) {
	line := `79a5 bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57 REST.GET.OBJECT k "GET /k?a=b c HTTP/1.1" 200 - - 10 7 - "-" "S3Console/0.4 \"x\"" - id SigV4 ECDHE AuthHeader h TLSv1.2 - - us-east-1`
	if f := accessFields(line); len(f) != 27 || f[8] != `"GET /k?a=b c HTTP/1.1"` || f[16] != `"S3Console/0.4 \"x\""` {
		t.Errorf("%d fields: %q", len(f), f)
	}
}

func findEvents(c *corpus, pred func(ev map[string]any) bool) []map[string]any {
	var out []map[string]any
	for _, ev := range c.events {
		if pred(ev) {
			out = append(out, ev)
		}
	}
	return out
}

func str(v any, path ...string) string {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func evTime(ev map[string]any) time.Time {
	t, _ := time.Parse(time.RFC3339, ev["eventTime"].(string))
	return t
}

func TestIncident(t *testing.T) {
	c := load(t, "incident", incidentCfg)
	start := incidentCfg.Start

	// The instance's launch, with its private IP as EC2 reports it.
	runs := findEvents(c, func(ev map[string]any) bool {
		return ev["eventName"] == "RunInstances" && strings.Contains(str(ev, "responseElements", "instancesSet"), "") &&
			bytes.Contains(mustJSON(ev["responseElements"]), []byte(gen.IncidentInstance))
	})
	if len(runs) != 1 {
		t.Fatalf("%d RunInstances events for %s", len(runs), gen.IncidentInstance)
	}
	run := runs[0]
	var resp struct {
		InstancesSet struct {
			Items []struct {
				InstanceID          string
				PrivateIPAddress    string
				NetworkInterfaceSet struct {
					Items []struct{ PrivateIPAddress string }
				}
			}
		}
	}
	if err := json.Unmarshal(mustJSON(run["responseElements"]), &resp); err != nil {
		t.Fatal(err)
	}
	it := resp.InstancesSet.Items
	if len(it) != 1 || it[0].InstanceID != gen.IncidentInstance || it[0].PrivateIPAddress != gen.IncidentIP ||
		len(it[0].NetworkInterfaceSet.Items) == 0 || it[0].NetworkInterfaceSet.Items[0].PrivateIPAddress != gen.IncidentIP {
		t.Errorf("RunInstances response: %+v", resp)
	}
	if run["awsRegion"] != gen.IncidentRegion || run["recipientAccountId"] != gen.IncidentAccount ||
		!strings.HasPrefix(str(run, "userIdentity", "sessionContext", "sessionIssuer", "arn"), gen.IncidentAdminRole) {
		t.Errorf("RunInstances: %v", run)
	}
	launch := evTime(run)
	if launch.Format("2006-01-02") != start.Format("2006-01-02") {
		t.Errorf("launched %v, not on the first day", launch)
	}

	// Key management.
	created := findEvents(c, func(ev map[string]any) bool {
		return ev["eventName"] == "CreateAccessKey" && str(ev, "responseElements", "accessKey", "accessKeyId") == gen.IncidentSecondKey
	})
	deact := findEvents(c, func(ev map[string]any) bool {
		return ev["eventName"] == "UpdateAccessKey" && str(ev, "requestParameters", "accessKeyId") == gen.IncidentKey
	})
	if len(created) != 1 || len(deact) != 1 {
		t.Fatalf("%d CreateAccessKey and %d UpdateAccessKey events", len(created), len(deact))
	}
	if str(created[0], "requestParameters", "userName") != gen.IncidentUserName || str(deact[0], "requestParameters", "status") != "Inactive" {
		t.Errorf("key events: %v / %v", created[0], deact[0])
	}
	createdAt, deactAt := evTime(created[0]), evTime(deact[0])
	if createdAt.Sub(start) < 24*time.Hour || deactAt.Before(start.AddDate(0, 0, incidentCfg.Days-1)) {
		t.Errorf("second key created %v, first deactivated %v", createdAt, deactAt)
	}

	// The key's management calls, from the instance.
	own := findEvents(c, func(ev map[string]any) bool { return str(ev, "userIdentity", "accessKeyId") == gen.IncidentKey })
	kinds := map[string]int{}
	for _, ev := range own {
		kinds[ev["eventName"].(string)]++
		if ev["sourceIPAddress"] != gen.IncidentIP || !strings.Contains(ev["userAgent"].(string), "aws-cli/2.15.30") {
			t.Errorf("call with %s from %v %v", gen.IncidentKey, ev["sourceIPAddress"], ev["userAgent"])
		}
		if str(ev, "userIdentity", "arn") != gen.IncidentUser {
			t.Errorf("call with %s by %s", gen.IncidentKey, str(ev, "userIdentity", "arn"))
		}
	}
	if kinds["GetCallerIdentity"] < incidentCfg.Days-1 || kinds["ListBuckets"] == 0 || kinds["PutObject"] != 0 {
		t.Errorf("calls with the key: %v", kinds)
	}
	second := findEvents(c, func(ev map[string]any) bool { return str(ev, "userIdentity", "accessKeyId") == gen.IncidentSecondKey })
	if len(second) == 0 {
		t.Error("the second key is never used")
	}
	for _, ev := range second {
		if ev["sourceIPAddress"] != gen.IncidentLaptopIP || evTime(ev).Before(createdAt) {
			t.Errorf("second key used %v from %v", evTime(ev), ev["sourceIPAddress"])
		}
	}

	// No S3 data events at all: the uploads are only in the access logs.
	if data := findEvents(c, func(ev map[string]any) bool {
		return ev["eventCategory"] == "Data" || ev["eventName"] == "PutObject" || ev["managementEvent"] == false
	}); len(data) != 0 {
		t.Errorf("%d data events without DataEvents", len(data))
	}

	// The uploads.
	var uploads []time.Time
	laptop := 0
	for _, l := range accessLines(t, c) {
		f := l.f
		if f[4] != gen.IncidentUser {
			continue
		}
		if f[1] != gen.IncidentBucket {
			t.Errorf("deploy-bot request on %s", f[1])
		}
		if f[3] == gen.IncidentLaptopIP {
			laptop++
			continue
		}
		if f[3] != gen.IncidentIP || f[6] != "REST.PUT.OBJECT" || !strings.Contains(f[16], "command/s3.cp") ||
			!regexp.MustCompile(`^backups/db-\d{8}-\d{4}\.sql\.gz$`).MatchString(f[7]) || f[9] != "200" {
			t.Errorf("upload line %v", f)
		}
		uploads = append(uploads, l.t)
	}
	sort.Slice(uploads, func(i, j int) bool { return uploads[i].Before(uploads[j]) })
	if laptop == 0 {
		t.Error("no access-log requests from the laptop")
	}
	if len(uploads) < 100 {
		t.Fatalf("%d uploads", len(uploads))
	}
	if uploads[0].Before(launch) || uploads[0].Sub(launch) > 15*time.Minute {
		t.Errorf("first upload %v, launch %v", uploads[0], launch)
	}
	if last := uploads[len(uploads)-1]; last.After(deactAt) || deactAt.Sub(last) > 6*time.Minute {
		t.Errorf("last upload %v, key deactivated %v", last, deactAt)
	}
	for i := 1; i < len(uploads); i++ {
		if d := uploads[i].Sub(uploads[i-1]); d < 260*time.Second || d > 340*time.Second {
			t.Errorf("uploads %v apart at %v", d, uploads[i])
		}
	}
	want := int(deactAt.Sub(launch) / (5 * time.Minute))
	if len(uploads) < want-3 || len(uploads) > want+1 {
		t.Errorf("%d uploads, want about %d", len(uploads), want)
	}
	t.Logf("launch %v, %d uploads %v..%v, second key %v, deactivated %v, %d laptop requests",
		launch, len(uploads), uploads[0], uploads[len(uploads)-1], createdAt, deactAt, laptop)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestDataEventsJoin(t *testing.T) {
	c := load(t, "data", dataCfg)
	type req struct{ op, bucket, key, requester string }
	byID := map[string][]req{}
	for _, l := range accessLines(t, c) {
		byID[l.f[5]] = append(byID[l.f[5]], req{l.f[6], l.f[1], l.f[7], l.f[4]})
	}
	opOf := map[string]string{"GetObject": "REST.GET.OBJECT", "PutObject": "REST.PUT.OBJECT", "DeleteObject": "REST.DELETE.OBJECT",
		"CopyObject": "REST.COPY.OBJECT", "HeadObject": "REST.HEAD.OBJECT", "ListObjects": "REST.GET.BUCKET"}
	data := findEvents(c, func(ev map[string]any) bool { return ev["eventCategory"] == "Data" })
	names := map[string]int{}
	incidentPuts := 0
	for _, ev := range data {
		name := ev["eventName"].(string)
		names[name]++
		if ev["managementEvent"] != false || ev["eventSource"] != "s3.amazonaws.com" {
			t.Errorf("data event %v", ev)
		}
		id := ev["requestID"].(string)
		rs := byID[id]
		if len(rs) == 0 {
			t.Errorf("%s %s: request %s not in the access logs", name, str(ev, "requestParameters", "key"), id)
			continue
		}
		var r req
		for _, x := range rs {
			if x.op == opOf[name] {
				r = x
			}
		}
		if r.op == "" || r.bucket != str(ev, "requestParameters", "bucketName") {
			t.Errorf("%s on %s joins %v", name, str(ev, "requestParameters", "bucketName"), rs)
			continue
		}
		if k, _ := url.PathUnescape(r.key); name != "ListObjects" && k != str(ev, "requestParameters", "key") {
			t.Errorf("key %q vs %q", r.key, str(ev, "requestParameters", "key"))
		}
		arn := str(ev, "userIdentity", "arn")
		if arn != r.requester {
			t.Errorf("requester %q vs %q", r.requester, arn)
		}
		if str(ev, "additionalEventData", "x-amz-id-2") == "" {
			t.Errorf("no x-amz-id-2: %v", ev)
		}
		if name == "PutObject" && str(ev, "userIdentity", "accessKeyId") == gen.IncidentKey && ev["sourceIPAddress"] == gen.IncidentIP {
			incidentPuts++
		}
	}
	for _, n := range []string{"GetObject", "PutObject", "DeleteObject", "CopyObject"} {
		if names[n] == 0 {
			t.Errorf("no %s data events: %v", n, names)
		}
	}
	if incidentPuts < 100 {
		t.Errorf("%d incident uploads as data events", incidentPuts)
	}
	if c.sum.DataEvents != int64(len(data)) {
		t.Errorf("summary says %d data events, files have %d", c.sum.DataEvents, len(data))
	}
	t.Logf("%d data events %v, all joined", len(data), names)
}

func TestStreamsAreTheSource(t *testing.T) {
	cfg := dataCfg
	c := load(t, "data", cfg)
	st := gen.NewCloudTrailStream(cfg)
	if st.Len() != cfg.CloudTrailEvents {
		t.Errorf("stream length %d", st.Len())
	}
	inFiles := map[string]bool{}
	for _, f := range c.ct {
		for _, r := range f.records {
			inFiles[string(r)] = true
		}
	}
	var buf []byte
	n := 0
	var prev time.Time
	for {
		var info gen.RecordInfo
		var ok bool
		buf, info, ok = st.Next(buf[:0])
		if !ok {
			break
		}
		if !inFiles[string(buf)] {
			t.Fatalf("stream record %d is not in the files: %s", n, buf)
		}
		if info.Time.Before(prev) {
			t.Fatalf("stream goes back in time at %d", n)
		}
		prev = info.Time
		n++
	}
	if n != len(inFiles) || st.Remaining() != 0 {
		t.Errorf("stream has %d records, files %d", n, len(inFiles))
	}
	// Whole file bodies.
	st = gen.NewCloudTrailStream(cfg)
	body, k := st.AppendFile(nil, 50)
	var parsed struct{ Records []map[string]any }
	if err := json.Unmarshal(body, &parsed); err != nil || k != 50 || len(parsed.Records) != 50 {
		t.Errorf("AppendFile: %d records, %v", k, err)
	}

	al := gen.NewAccessLogStream(cfg)
	lines := map[string]bool{}
	for _, f := range c.al {
		for _, l := range f.lines {
			lines[l+"\n"] = true
		}
	}
	out, k := al.AppendLines(nil, 1<<30)
	if k != cfg.AccessLogLines || al.Len() != k {
		t.Errorf("%d lines from the stream, Len %d", k, al.Len())
	}
	for _, l := range strings.SplitAfter(string(out), "\n") {
		if l != "" && !lines[l] {
			t.Fatalf("stream line not in the files: %s", l)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, mod := range []func(*gen.Config){
		func(c *gen.Config) { c.Accounts = []string{"123"} },
		func(c *gen.Config) { c.Accounts = []string{"111122223333", "111122223333"} },
		func(c *gen.Config) { c.OrgID = "org" },
		func(c *gen.Config) { c.OrgID = "o-bogus" },
		func(c *gen.Config) { c.CloudTrailEvents = -1 },
		func(c *gen.Config) { c.AccessLogLines = -1 },
		func(c *gen.Config) { c.GzipLevel = 12 },
		func(c *gen.Config) { c.AccessLogFileInterval = 7 * time.Minute },
	} {
		cfg := gen.DefaultConfig()
		mod(&cfg)
		if _, err := gen.Generate(t.TempDir(), cfg); err == nil {
			t.Errorf("no error for %+v", cfg)
		}
	}
}

func TestValidOrgID(t *testing.T) {
	for id, want := range map[string]bool{
		"o-a1b2c3d4e5":                        true,
		"o-exampleorgid":                      true,
		"o-" + strings.Repeat("z9", 16):       true,
		"":                                    false,
		"bogus":                               false,
		"o-":                                  false,
		"o-a1b2c3d4e":                         false, // 9 characters
		"o-A1B2C3D4E5":                        false,
		"o-a1b2c3d4e5-":                       false,
		"o-" + strings.Repeat("z9", 16) + "x": false, // 33 characters
		"x-a1b2c3d4e5":                        false,
	} {
		if got := gen.ValidOrgID(id); got != want {
			t.Errorf("ValidOrgID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestWithoutIncident(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Incident = false
	cfg.Accounts = []string{"123456789012"}
	cfg.Regions = []string{"eu-central-1"}
	cfg.Days = 1
	cfg.CloudTrailEvents, cfg.AccessLogLines = 2000, 1000
	dir := t.TempDir()
	sum, err := gen.Generate(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.CloudTrail.Records != 2000 || sum.AccessLogs.Records != 1000 {
		t.Errorf("summary %+v", sum)
	}
	for rel, data := range readTree(t, dir) {
		if bytes.Contains(data, []byte(gen.IncidentKey)) || strings.Contains(rel, "111122223333") {
			t.Errorf("%s: incident data without the incident", rel)
		}
	}
}

// BenchmarkCloudTrailStream measures record generation without disk or gzip.
func BenchmarkCloudTrailStream(b *testing.B) {
	cfg := gen.DefaultConfig()
	cfg.CloudTrailEvents = b.N
	st := gen.NewCloudTrailStream(cfg)
	b.ResetTimer()
	var buf []byte
	n := 0
	for i := 0; i < b.N; i++ {
		buf, _, _ = st.Next(buf[:0])
		n += len(buf)
	}
	b.SetBytes(int64(n / max(b.N, 1)))
}

// BenchmarkAccessLogStream measures access-log line generation.
func BenchmarkAccessLogStream(b *testing.B) {
	cfg := gen.DefaultConfig()
	cfg.AccessLogLines = b.N
	st := gen.NewAccessLogStream(cfg)
	b.ResetTimer()
	var buf []byte
	n := 0
	for i := 0; i < b.N; i++ {
		buf, _, _ = st.Next(buf[:0])
		n += len(buf)
	}
	b.SetBytes(int64(n / max(b.N, 1)))
}

// TestGenerateToDir writes a data set where GEN_OUT says, for benchmarks and
// manual inspection; it is skipped otherwise. GEN_DAYS and GEN_N (events and
// lines each) override the default configuration, GEN_DATA=1 turns on S3 data
// events. The 1M benchmark set is
//
//	GEN_OUT=/tmp/gen1m GEN_DAYS=30 GEN_N=1000000 go test ./internal/gen -run TestGenerateToDir -v
func TestGenerateToDir(t *testing.T) {
	dir := os.Getenv("GEN_OUT")
	if dir == "" {
		t.Skip("GEN_OUT not set")
	}
	cfg := gen.DefaultConfig()
	if d, _ := strconv.Atoi(os.Getenv("GEN_DAYS")); d > 0 {
		cfg.Days = d
	}
	if n, _ := strconv.Atoi(os.Getenv("GEN_N")); n > 0 {
		cfg.CloudTrailEvents, cfg.AccessLogLines = n, n
	}
	cfg.DataEvents = os.Getenv("GEN_DATA") != ""
	t0 := time.Now()
	sum, err := gen.Generate(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v wall\n%s", time.Since(t0), sum)
}
