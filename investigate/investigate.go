package investigate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/iamkeys"
	"github.com/keytrail/keytrail/store"
)

// Options narrow an investigation.
type Options struct {
	Range      keytrail.TimeRange
	Principals []string // principals to use besides those the logs name (investigate key)
	// IAM is what IAM and STS said about the key (investigate key), when
	// they were asked; IAMError why asking failed, if it did.
	IAM      *iamkeys.Owner
	IAMError string
}

var (
	keyIDPattern = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	arnPattern   = regexp.MustCompile(`^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/:-]+$`)
)

// ValidateKeyID returns EINVALID unless id looks like an AWS access key id.
func ValidateKeyID(id string) error {
	if !keyIDPattern.MatchString(id) {
		return keytrail.Errorf(keytrail.EINVALID, "%q is not an access key id: they are 16 to 128 upper-case letters and digits, like AKIAIOSFODNN7EXAMPLE (long-term) or ASIA… (temporary)", id)
	}
	return nil
}

// ValidateARN returns EINVALID unless arn looks like an IAM or STS principal ARN.
func ValidateARN(arn string) error {
	if !arnPattern.MatchString(arn) {
		return keytrail.Errorf(keytrail.EINVALID, "%q is not a principal ARN: expected arn:aws:iam::123456789012:user/NAME, …:role/NAME or arn:aws:sts::123456789012:assumed-role/ROLE/SESSION", arn)
	}
	return nil
}

// window returns the SQL bounds of r: unbounded ends become far dates.
func window(r keytrail.TimeRange) (time.Time, time.Time) {
	from, to := r.From, r.To
	if from.IsZero() {
		from = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return from, to
}

// session holds what an investigation gathers.
type session struct {
	ctx      context.Context
	db       *store.DB
	opts     Options
	from, to time.Time
	rep      *Report
	actors   map[string]*Actor
	ctReqIDs map[string]bool // S3 request ids of CloudTrail data events in the evidence
	evidence []evidenceTime  // when each request was, and which log saw it
	usage    []keyUse        // loadKeyUsage
	iamKeys  []KeyState      // loadIAMKeys
}

type evidenceTime struct {
	t      time.Time
	source string
}

func newSession(ctx context.Context, db *store.DB, kind, value string, opts Options) *session {
	from, to := window(opts.Range)
	return &session{ctx: ctx, db: db, opts: opts, from: from, to: to,
		rep:    &Report{Subject: Subject{Kind: kind, Value: value}, Principals: []Principal{}, Actors: []*Actor{}, Findings: []Finding{}},
		actors: map[string]*Actor{}, ctReqIDs: map[string]bool{}}
}

func (s *session) query(q string, args ...any) (*sql.Rows, error) {
	if os.Getenv("KEYTRAIL_DEBUG_SQL") != "" {
		start := time.Now()
		defer func() {
			fmt.Fprintf(os.Stderr, "%6.3fs %.100s\n", time.Since(start).Seconds(), strings.Join(strings.Fields(q), " "))
		}()
	}
	rows, err := s.db.QueryContext(s.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot query the store: %w", err)
	}
	return rows, nil
}

func (s *session) finding(sev, code, format string, args ...any) {
	s.rep.Findings = append(s.rep.Findings, Finding{Severity: sev, Code: code, Message: fmt.Sprintf(format, args...)})
}

// cleanUA removes the quotes access logs keep and the brackets CloudTrail
// puts around S3 user agents, so that both sources name a tool alike.
func cleanUA(ua string) string {
	ua = strings.TrimSpace(ua)
	if len(ua) >= 2 && ua[0] == '"' && ua[len(ua)-1] == '"' {
		ua = ua[1 : len(ua)-1]
	}
	if len(ua) >= 2 && ua[0] == '[' && ua[len(ua)-1] == ']' {
		ua = ua[1 : len(ua)-1]
	}
	if ua == "" {
		ua = "-"
	}
	return ua
}

// request is one piece of evidence.
type request struct {
	t         time.Time
	ip, ua    string
	op        string
	bucket    string
	key       string
	errorCode string
	requestID string
	principal string
	source    string // cloudtrail or s3-access-logs
}

func (s *session) add(r request) {
	id := r.ip + "\x00" + r.ua
	a := s.actors[id]
	if a == nil {
		a = &Actor{SourceIP: r.ip, UserAgent: r.ua, Operations: map[string]int64{}, ErrorCodes: map[string]int64{},
			prefixes: map[string]int64{}, buckets: map[string]bool{}, sources: map[string]bool{}, principals: map[string]bool{}}
		s.actors[id] = a
	}
	a.Requests++
	s.evidence = append(s.evidence, evidenceTime{r.t, r.source})
	if a.FirstSeen.IsZero() || r.t.Before(a.FirstSeen) {
		a.FirstSeen = r.t
	}
	if r.t.After(a.LastSeen) {
		a.LastSeen = r.t
	}
	a.times = append(a.times, r.t)
	a.Operations[r.op]++
	if r.errorCode != "" && r.errorCode != "-" {
		a.ErrorCodes[r.errorCode]++
	}
	if r.bucket != "" && r.bucket != "-" {
		a.buckets[r.bucket] = true
	}
	if r.key != "" && r.key != "-" {
		a.prefixes[keyPrefix(r.key)]++
	}
	a.sources[r.source] = true
	if r.principal != "" {
		a.principals[r.principal] = true
	}
}

// keyPrefix is an object key's first folder ("backups/"), or the key.
func keyPrefix(k string) string {
	if i := strings.IndexByte(k, '/'); i > 0 {
		return k[:i+1]
	}
	return k
}

// ctEvidence adds the CloudTrail events matching cond (a SQL condition with
// parameters args) in the window.
func (s *session) ctEvidence(cond string, args ...any) error {
	q := `SELECT eventtimestamp, coalesce(sourceipaddress, '-'), coalesce(useragent, '-'), coalesce(eventsource, ''), coalesce(eventname, ''),
		coalesce(errorcode, ''), coalesce(requestid, ''), coalesce(json_extract_string(requestparameters, '$.bucketName'), ''),
		coalesce(json_extract_string(requestparameters, '$.key'), ''), coalesce(useridentity.arn, ''), coalesce(eventcategory, '')
		FROM cloudtrail_logs WHERE (` + cond + `) AND eventtimestamp >= ? AND eventtimestamp < ? AND coalesce(eventcategory, '') <> 'Insight'`
	rows, err := s.query(q, append(args, s.from, s.to)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r request
		var src, name, cat string
		if err := rows.Scan(&r.t, &r.ip, &r.ua, &src, &name, &r.errorCode, &r.requestID, &r.bucket, &r.key, &r.principal, &cat); err != nil {
			return err
		}
		r.t = r.t.UTC()
		r.ua = cleanUA(r.ua)
		r.op = strings.TrimSuffix(src, ".amazonaws.com") + ":" + name
		r.source = "cloudtrail"
		if src == "s3.amazonaws.com" && cat == "Data" && r.requestID != "" {
			s.ctReqIDs[r.requestID] = true
		}
		s.add(r)
	}
	return rows.Err()
}

// s3Evidence adds the access-log requests matching cond in the window.
// Requests CloudTrail also recorded (same S3 request id) count once.
func (s *session) s3Evidence(cond string, args ...any) error {
	q := `SELECT requesttime, remoteip, useragent, operation, bucket_name, key, errorcode, requestid, requester
		FROM s3_access_logs WHERE (` + cond + `) AND requesttime >= ? AND requesttime < ?`
	rows, err := s.query(q, append(args, s.from, s.to)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r request
		var ip, ua, op, bucket, key, ec, rid, req sql.NullString
		if err := rows.Scan(&r.t, &ip, &ua, &op, &bucket, &key, &ec, &rid, &req); err != nil {
			return err
		}
		r.t = r.t.UTC()
		r.ip, r.ua, r.op, r.bucket, r.key, r.errorCode, r.requestID, r.principal = ip.String, cleanUA(ua.String), op.String, bucket.String, key.String, ec.String, rid.String, req.String
		r.source = "s3-access-logs"
		if s.ctReqIDs[r.requestID] {
			if a := s.actors[r.ip+"\x00"+r.ua]; a != nil {
				a.sources[r.source] = true
			}
			continue
		}
		s.add(r)
	}
	return rows.Err()
}

// finish orders the actors, computes cadence, attribution, timeline and
// the window.
func (s *session) finish() error {
	for _, a := range s.actors {
		a.Buckets = slices.Sorted(mapsKeys(a.buckets))
		a.KeyPrefixes = top(a.prefixes, 5)
		a.Sources = slices.Sorted(mapsKeys(a.sources))
		a.Principals = slices.Sorted(mapsKeys(a.principals))
		a.Interval = cadence(a.times)
		s.rep.Actors = append(s.rep.Actors, a)
	}
	sort.Slice(s.rep.Actors, func(i, j int) bool {
		a, b := s.rep.Actors[i], s.rep.Actors[j]
		if a.Requests != b.Requests {
			return a.Requests > b.Requests
		}
		return a.SourceIP+a.UserAgent < b.SourceIP+b.UserAgent
	})
	// The window is what was asked for, or else the span of the evidence.
	s.rep.Window = Window{From: s.opts.Range.From, To: s.opts.Range.To}
	for _, a := range s.rep.Actors {
		if s.opts.Range.From.IsZero() && (s.rep.Window.From.IsZero() || a.FirstSeen.Before(s.rep.Window.From)) {
			s.rep.Window.From = a.FirstSeen
		}
		if s.opts.Range.To.IsZero() && a.LastSeen.After(s.rep.Window.To) {
			s.rep.Window.To = a.LastSeen
		}
	}
	if err := s.attribute(); err != nil {
		return err
	}
	s.timeline()
	return s.coverage()
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func top(m map[string]int64, n int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Value < out[j].Value
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// cadence finds the typical gap between requests, and whether the gaps are
// regular enough to be a timer: at least six requests whose gaps stay
// within a fifth of the median (median absolute deviation).
func cadence(times []time.Time) Interval {
	if len(times) < 3 {
		return Interval{}
	}
	ts := slices.Clone(times)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	gaps := make([]float64, 0, len(ts)-1)
	for i := 1; i < len(ts); i++ {
		if g := ts[i].Sub(ts[i-1]).Seconds(); g > 0 {
			gaps = append(gaps, g)
		}
	}
	if len(gaps) == 0 {
		return Interval{}
	}
	med := median(gaps)
	dev := make([]float64, len(gaps))
	for i, g := range gaps {
		d := g - med
		if d < 0 {
			d = -d
		}
		dev[i] = d
	}
	mad := median(dev)
	return Interval{Median: med, Jitter: mad, Scheduled: len(ts) >= 6 && med >= 1 && mad <= med/5}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// attribute says what the logs tell of each actor's IP.
func (s *session) attribute() error {
	ips := map[string]bool{}
	for _, a := range s.rep.Actors {
		ips[a.SourceIP] = true
	}
	byIP := map[string]Attribution{}
	for ip := range ips {
		byIP[ip] = classify(ip)
	}
	// EC2 launches and network interfaces that assigned an address: one
	// query for all the addresses (such events are few), matched here.
	var addrs []string
	for _, ip := range slices.Sorted(mapsKeys(byIP)) {
		if k := byIP[ip].Kind; k == "private" || k == "public" || k == "ec2-instance" {
			addrs = append(addrs, ip)
		}
	}
	var ec2 []mgmtEvent
	if len(addrs) > 0 {
		var err error
		if ec2, err = s.mgmtEvents("ec2.amazonaws.com", addrs); err != nil {
			return err
		}
	}
	for _, e := range ec2 {
		for ip, at := range byIP {
			if (at.Kind != "private" && at.Kind != "public" && at.Kind != "ec2-instance") || !strings.Contains(e.resp, `"`+ip+`"`) {
				continue
			}
			if id := instanceWithIP(e.resp, ip); id != "" || e.name == "CreateNetworkInterface" {
				at.Kind, at.InstanceID = "ec2-instance", id
				at.AssignedAt, at.AssignedBy = e.t.Format(time.RFC3339), e.callerARN
				byIP[ip] = at
			}
		}
	}
	// Role sessions named after an instance, and VPC endpoints, from the
	// CloudTrail events of the same addresses (the ip_usage index): the most
	// frequent first (an address may reach AWS through several endpoints).
	if len(byIP) > 0 {
		in, args := sqlIn("sourceipaddress", slices.Sorted(mapsKeys(byIP)))
		u := usageSpec{view: "cloudtrail_ip_usage", cols: [3]string{"sourceipaddress", "instance", "vpcendpointid"}, cond: in, args: args,
			evCols: [3]string{"sourceipaddress", "coalesce(regexp_extract(useridentity.arn, '" + store.InstanceSessionPattern + "', 1), '')" /* the pattern has no quote */, "coalesce(vpcendpointid, '')"},
			evCond: in, evArgs: args}
		q, args := s.usageQuery(u)
		rows, err := s.query(q+` ORDER BY 4 DESC, 1, 2, 3`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var ip, inst, vpce string
			var n int64
			var first, last time.Time
			if err := rows.Scan(&ip, &inst, &vpce, &n, &first, &last); err != nil {
				rows.Close()
				return err
			}
			at := byIP[ip]
			if inst != "" && at.InstanceID == "" {
				at.Kind, at.InstanceID = "ec2-instance", inst
			}
			if vpce != "" && at.VPCEndpoint == "" {
				at.VPCEndpoint = vpce
			}
			byIP[ip] = at
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for ip, at := range byIP {
		at.Description = describe(ip, at)
		byIP[ip] = at
	}
	for _, a := range s.rep.Actors {
		a.Attribution = byIP[a.SourceIP]
	}
	return nil
}

// classify says what an address is by itself.
func classify(ip string) Attribution {
	switch {
	case ip == "AWS Internal":
		return Attribution{Kind: "aws-internal"}
	case strings.HasSuffix(ip, ".amazonaws.com"):
		return Attribution{Kind: "aws-service"}
	case ip == "-" || ip == "":
		return Attribution{Kind: "unknown"}
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return Attribution{Kind: "unknown"}
	}
	if addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() {
		return Attribution{Kind: "private"}
	}
	return Attribution{Kind: "public"}
}

func describe(ip string, at Attribution) string {
	var parts []string
	switch at.Kind {
	case "ec2-instance":
		d := "EC2 instance " + at.InstanceID
		if at.InstanceID == "" {
			d = "an EC2 network interface"
		}
		if at.AssignedAt != "" {
			d += fmt.Sprintf(" (given %s at %s", ip, strings.Replace(at.AssignedAt, "T", " ", 1))
			if at.AssignedBy != "" {
				d += " by " + at.AssignedBy
			}
			d += ")"
		} else {
			d += " (a role session named after it called from " + ip + ")"
		}
		parts = append(parts, d)
	case "aws-internal":
		parts = append(parts, "AWS Internal: AWS acting on the principal's behalf")
	case "aws-service":
		parts = append(parts, "the AWS service "+ip)
	case "private":
		parts = append(parts, "a private address no CloudTrail event in the store assigns")
	case "public":
		parts = append(parts, "a public address outside AWS's logs")
	default:
		parts = append(parts, "no address logged")
	}
	if at.VPCEndpoint != "" {
		parts = append(parts, "through VPC endpoint "+at.VPCEndpoint)
	}
	return strings.Join(parts, ", ")
}

// instanceWithIP finds, in a RunInstances (or similar) response, the
// instance whose private address is ip.
func instanceWithIP(resp, ip string) string {
	var v any
	if json.Unmarshal([]byte(resp), &v) != nil {
		return ""
	}
	var found string
	var walk func(x any, inst string)
	walk = func(x any, inst string) {
		switch t := x.(type) {
		case map[string]any:
			if id, ok := t["instanceId"].(string); ok {
				inst = id
			}
			for k, e := range t {
				if (k == "privateIpAddress" || k == "publicIp" || k == "publicIpAddress") && e == ip && found == "" {
					found = inst
				}
				walk(e, inst)
			}
		case []any:
			for _, e := range t {
				walk(e, inst)
			}
		}
	}
	walk(v, "")
	return found
}

// timeline counts requests per hour (windows up to a week) or per day,
// for the five busiest actors and the rest together.
func (s *session) timeline() {
	tl := Timeline{Bucket: "day", Starts: []time.Time{}, Series: []TimelineSeries{}}
	from, to := s.rep.Window.From, s.rep.Window.To
	if from.IsZero() || to.IsZero() || len(s.rep.Actors) == 0 {
		s.rep.Timeline = tl
		return
	}
	step := 24 * time.Hour
	if to.Sub(from) <= 7*24*time.Hour {
		tl.Bucket, step = "hour", time.Hour
	}
	start := from.Truncate(step)
	n := int(to.Sub(start)/step) + 1
	if n > 2000 {
		n = 2000
	}
	for i := 0; i < n; i++ {
		tl.Starts = append(tl.Starts, start.Add(time.Duration(i)*step))
	}
	other := TimelineSeries{Actor: "other", Counts: make([]int64, n)}
	for i, a := range s.rep.Actors {
		series := &other
		if i < 5 {
			tl.Series = append(tl.Series, TimelineSeries{Actor: a.SourceIP + " " + a.UserAgent, Counts: make([]int64, n)})
			series = &tl.Series[len(tl.Series)-1]
		}
		for _, t := range a.times {
			if k := int(t.Sub(start) / step); k >= 0 && k < n {
				series.Counts[k]++
			}
		}
	}
	if len(s.rep.Actors) > 5 {
		tl.Series = append(tl.Series, other)
	}
	s.rep.Timeline = tl
}

// coverage records what the store holds in the window, and the blind spots
// that follow from it.
func (s *session) coverage() error {
	c := Coverage{CloudTrailDays: []string{}, CloudTrailRegions: []string{}, AccessLogBuckets: []string{}, AccessLogDays: []string{}}
	// [from, to): the bounds asked for, or else the span of the evidence.
	from, to := s.opts.Range.From, s.opts.Range.To
	if from.IsZero() {
		from = s.rep.Window.From
	}
	if to.IsZero() && !s.rep.Window.To.IsZero() {
		to = s.rep.Window.To.Add(time.Nanosecond)
	}
	if from.IsZero() || to.IsZero() {
		// No bounds and no evidence: the span of the store.
		from, to = s.from, s.to
		var first, last time.Time
		for _, f := range s.db.Manifest.Files {
			if first.IsZero() || (!f.MinTime.IsZero() && f.MinTime.Before(first)) {
				first = f.MinTime
			}
			if f.MaxTime.After(last) {
				last = f.MaxTime
			}
		}
		if !first.IsZero() && !last.IsZero() {
			from, to = first, last.Add(time.Nanosecond)
		}
	}
	fromDay, toDay := from.Format("2006-01-02"), to.Add(-time.Nanosecond).Format("2006-01-02")
	// Days, regions and buckets come from the manifest: no scan.
	ctDays, regions, buckets, s3Days := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var s3DataEvents int64 // in the window's days, when the store is indexed
	for _, f := range s.db.Manifest.Files {
		p := f.Partition
		if p.Day < fromDay || p.Day > toDay {
			continue
		}
		switch f.Table {
		case store.TableCloudTrail:
			ctDays[p.Day] = true
			for _, r := range f.Regions {
				regions[r] = true
			}
			s3DataEvents += f.S3DataEvents
		case store.TableS3Access:
			s3Days[p.Day], buckets[p.Bucket] = true, true
		}
	}
	c.CloudTrailDays, c.CloudTrailRegions = slices.Sorted(mapsKeys(ctDays)), slices.Sorted(mapsKeys(regions))
	c.AccessLogDays, c.AccessLogBuckets = slices.Sorted(mapsKeys(s3Days)), slices.Sorted(mapsKeys(buckets))
	// The manifest counts S3 data events per file: none in the window's
	// days means none in the window, without a scan.
	if len(c.CloudTrailDays) > 0 && (s3DataEvents > 0 || !s.db.Manifest.Indexed()) {
		if err := s.db.QueryRowContext(s.ctx, `SELECT count(*) FROM cloudtrail_logs WHERE eventsource = 's3.amazonaws.com' AND eventcategory = 'Data'
			AND eventtimestamp >= ? AND eventtimestamp < ?`, from, to).Scan(&c.S3DataEvents); err != nil {
			return fmt.Errorf("cannot query the store: %w", err)
		}
	}
	s.rep.Coverage = c
	win := fromDay + " to " + toDay
	if len(c.CloudTrailDays) == 0 {
		s.finding("warning", "no-cloudtrail", "The store holds no CloudTrail events for %s: management calls with the key are invisible. Ingest the trail's logs (keytrail ingest --cloudtrail …).", win)
	} else if c.S3DataEvents == 0 {
		s.finding("warning", "no-s3-data-events", "CloudTrail holds no S3 data events for %s: the trail does not record object-level calls (GetObject, PutObject, …), so they are visible only in the S3 server access logs. This is why CloudTrail's search finds nothing.", win)
	}
	if missing := missingDays(c.CloudTrailDays, from, to); len(missing) > 0 && len(c.CloudTrailDays) > 0 {
		s.finding("warning", "cloudtrail-gap", "No CloudTrail events for %d day(s) in the window (%s): activity then is unknown.", len(missing), summarizeDays(missing))
	}
	have := map[string]bool{}
	for _, b := range c.AccessLogBuckets {
		have[b] = true
	}
	var blind []string
	seen := map[string]bool{}
	for _, a := range s.rep.Actors {
		for _, b := range a.Buckets {
			if !have[b] && !seen[b] {
				blind = append(blind, b)
				seen[b] = true
			}
		}
	}
	sort.Strings(blind)
	if len(blind) > 0 {
		s.finding("warning", "bucket-without-access-logs", "No S3 access logs in the store for bucket(s) %s: requests to their objects are not visible (enable server access logging on them, or ingest their logs).", strings.Join(blind, ", "))
	}
	if len(c.AccessLogDays) == 0 {
		s.finding("warning", "no-access-logs", "The store holds no S3 server access logs for %s: S3 object requests are not visible. Ingest them with keytrail ingest --s3-access-logs ….", win)
	} else if missing := missingDays(c.AccessLogDays, from, to); len(missing) > 0 {
		s.finding("info", "access-log-gap", "No S3 access logs for %d day(s) in the window (%s).", len(missing), summarizeDays(missing))
	}
	return nil
}

func missingDays(days []string, from, to time.Time) []string {
	have := map[string]bool{}
	for _, d := range days {
		have[d] = true
	}
	var out []string
	end := to.Add(-time.Nanosecond)
	if end.Sub(from) > 3660*24*time.Hour {
		return nil
	}
	for d := from.Truncate(24 * time.Hour); !d.After(end); d = d.AddDate(0, 0, 1) {
		if s := d.Format("2006-01-02"); !have[s] {
			out = append(out, s)
		}
	}
	return out
}

func summarizeDays(days []string) string {
	if len(days) <= 3 {
		return strings.Join(days, ", ")
	}
	return fmt.Sprintf("%s … %s", days[0], days[len(days)-1])
}
