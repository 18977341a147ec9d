package gen

import (
	"math"
	"strconv"
	"strings"
	"time"
)

type s3op uint8

const (
	opGet s3op = iota
	opPut
	opHead
	opList
	opDelete
	opCopy
	opExpire
	opMeta // bucket sub-resource calls: ?policy, ?acl, …
)

// actor kinds in the access logs.
type actorKind uint8

const (
	aPrincipal actorKind = iota
	aAnon
	aCanonical // a canonical user id (CloudFront OAI, a partner account via ACL)
	aLifecycle
)

// keyspace is a family of object keys with its size range.
type keyspace uint8

const (
	ksAppLogs keyspace = iota
	ksDBExports
	ksRaw
	ksCurated
	ksArchive
	ksTmp
	ksPartner
	ksAssets
	ksScan
)

type opSpec struct {
	op   s3op
	ks   keyspace
	meta string // opMeta: operation suffix and query, e.g. "BUCKETPOLICY ?policy"
	w    float64
}

type s3Actor struct {
	kind      actorKind
	p         *principal
	sessions  []*session
	ops       []opSpec
	pick      picker
	uas       []string
	ips       []string
	canonical string
	athena    bool
	pathStyle bool
	presign   float64
	browser   bool
	weight    float64
}

// s3Req is one S3 request as both sources see it: the access log writes it
// as a line (two for a copy), CloudTrail as a data event when enabled.
type s3Req struct {
	t         int64
	b         *bucket
	op        s3op
	meta      string
	key       string
	srcKey    string
	p         *principal
	s         *session
	requester string
	accessKey string
	remoteIP  string
	ctIP      string
	invokedBy string
	ua        string
	referrer  string
	status    int
	errCode   string
	size      int64
	sent      int64
	total     int
	turn      int
	reqID     [16]byte
	hostID    []byte
	sigv      string
	cipher    string
	auth      string
	endpoint  string
	tls       string
	vpce      string
	acl       bool
	virtual   bool
	query     []byte
	srcRegion string
	lines     int
	keyBuf    []byte
}

// dataEvent returns the CloudTrail eventName of the request when the trail
// records it as an S3 data event, else "".
func (q *s3Req) dataEvent() string {
	if q.p == nil {
		return ""
	}
	switch q.op {
	case opGet:
		return "GetObject"
	case opPut:
		return "PutObject"
	case opHead:
		return "HeadObject"
	case opList:
		return "ListObjects"
	case opDelete:
		return "DeleteObject"
	case opCopy:
		return "CopyObject"
	}
	return ""
}

func (q *s3Req) bytesIn() int64 {
	if q.op == opPut && q.errCode == "" {
		return q.size
	}
	return 0
}

func (q *s3Req) bytesOut() int64 {
	if q.op == opGet || q.op == opList {
		return q.sent
	}
	return 0
}

func (w *world) buildBuckets() {
	a0, r0 := w.accts[0], w.regions[0]
	if w.cfg.Incident {
		a0, r0 = w.acct(IncidentAccount), IncidentRegion
	}
	aB := w.otherAccount(a0)
	if aB == nil {
		aB = a0
	}
	rB := w.regions[len(w.regions)-1]
	backups := &bucket{name: IncidentBucket, acct: a0, region: r0, weight: 0.16}
	analytics := &bucket{name: "acme-analytics-data", acct: aB, region: rB, partitioned: true, weight: 0.24}
	public := &bucket{name: "acme-public-assets", acct: a0, region: r0, weight: 0.6}
	w.buckets = []*bucket{backups, analytics, public}
	for _, b := range w.buckets {
		b.acct.buckets = append(b.acct.buckets, b.name)
		w.bucketW.add(b.weight)
	}
	r := newRNG(hash2(w.seed, 0xb0c))
	clients := make([]string, 1500)
	for i := range clients {
		if r.chance(0.15) {
			clients[i] = "2a0" + strconv.Itoa(r.between(1, 9)) + ":" + string(r.appendHex(nil, 4, false)) + ":" +
				string(r.appendHex(nil, 3, false)) + ":" + string(r.appendHex(nil, 4, false)) + "::" + string(r.appendHex(nil, 3, false))
		} else {
			first := []int{23, 31, 46, 62, 73, 81, 86, 92, 98, 104, 109, 151, 176, 185, 188, 212, 217}
			clients[i] = strconv.Itoa(pick(&r, first)) + "." + strconv.Itoa(r.between(1, 254)) + "." +
				strconv.Itoa(r.between(0, 254)) + "." + strconv.Itoa(r.between(1, 254))
		}
	}
	canon := func(seed uint64) string { rr := newRNG(seed); return string(rr.appendHex(nil, 64, false)) }
	athenaIPs := []string{"52.94.133.131", "3.218.180.17", "18.232.50.62", "52.95.112.40"}
	partnerIPs := []string{"91.198.174.192", "91.198.174.193"}

	add := func(bk *bucket, a *s3Actor, ops ...opSpec) {
		a.ops = ops
		for _, o := range ops {
			a.pick.add(o.w)
		}
		bk.actors = append(bk.actors, a)
		bk.pick.add(a.weight)
	}
	metaOps := func(w float64) []opSpec {
		return []opSpec{{opMeta, 0, "LOCATION ?location", w}, {opMeta, 0, "BUCKETPOLICY ?policy", w}, {opMeta, 0, "VERSIONING ?versioning", w},
			{opMeta, 0, "ACL ?acl", w}, {opMeta, 0, "ENCRYPTION ?encryption", w / 2}, {opMeta, 0, "TAGGING ?tagging", w / 2},
			{opMeta, 0, "LIFECYCLE ?lifecycle", w / 3}, {opMeta, 0, "LOGGING_STATUS ?logging", w / 3}}
	}
	sso := func(a *account) *principal { return a.byName["AWSReservedSSO_AdministratorAccess_7c1f2e9a4b3d5e60"] }

	// acme-prod-backups.
	A := backups.acct
	add(backups, &s3Actor{kind: aPrincipal, p: A.byName["app-server-role"], weight: 5, uas: []string{boto3Lin.s}},
		opSpec{opPut, ksAppLogs, "", 8}, opSpec{opGet, ksAppLogs, "", 1}, opSpec{opHead, ksAppLogs, "", 1})
	add(backups, &s3Actor{kind: aPrincipal, p: A.byName["legacy-etl"], weight: 2, pathStyle: true, uas: []string{A.byName["legacy-etl"].uas[0].s}, ips: etlIPs},
		opSpec{opGet, ksDBExports, "", 5}, opSpec{opList, ksDBExports, "", 2}, opSpec{opHead, ksDBExports, "", 1})
	add(backups, &s3Actor{kind: aPrincipal, p: sso(A), weight: 1, browser: true, ips: officeIPs,
		uas: []string{"S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.217-183.860.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard", cliMac.s + "s3.ls"}},
		append([]opSpec{{opList, ksAppLogs, "", 3}, {opGet, ksAppLogs, "", 2}}, metaOps(0.3)...)...)
	add(backups, &s3Actor{kind: aLifecycle, weight: 2, uas: []string{"-"}}, opSpec{opExpire, ksAppLogs, "", 1})
	add(backups, &s3Actor{kind: aPrincipal, p: A.byName["terraform-ci"], weight: 0.4, ips: ciIPs, uas: []string{terraUA.s + "api/s3#1.51.1"}}, metaOps(1)...)

	// acme-analytics-data.
	B := analytics.acct
	add(analytics, &s3Actor{kind: aPrincipal, p: B.byName["etl-batch-role"], weight: 4.5, uas: []string{javaECS.s}},
		opSpec{opGet, ksRaw, "", 5}, opSpec{opPut, ksCurated, "", 4}, opSpec{opList, ksRaw, "", 1}, opSpec{opHead, ksCurated, "", 2},
		opSpec{opDelete, ksTmp, "", 0.5}, opSpec{opCopy, ksArchive, "", 0.8})
	add(analytics, &s3Actor{kind: aPrincipal, p: B.byName["lambda-ingest-role"], weight: 3, uas: []string{boto3Lam.s}},
		opSpec{opPut, ksRaw, "", 6}, opSpec{opHead, ksRaw, "", 1})
	add(analytics, &s3Actor{kind: aPrincipal, p: B.byName["svc-reporting"], weight: 2, uas: []string{boto3Lin.s}},
		opSpec{opGet, ksCurated, "", 5}, opSpec{opList, ksCurated, "", 2})
	add(analytics, &s3Actor{kind: aPrincipal, p: sso(B), weight: 2, athena: true, ips: athenaIPs,
		uas: []string{"aws-internal/3 aws-sdk-java/1.12.581 Linux/5.10.219-186.866.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402"}},
		opSpec{opGet, ksCurated, "", 6}, opSpec{opList, ksCurated, "", 2})
	if o := w.otherAccount(B); o != nil {
		add(analytics, &s3Actor{kind: aPrincipal, p: o.byName["app-server-role"], weight: 1, uas: []string{boto3Lin.s}},
			opSpec{opGet, ksCurated, "", 4}, opSpec{opHead, ksCurated, "", 1})
	}
	add(analytics, &s3Actor{kind: aCanonical, canonical: canon(hash2(w.seed, 0x9a27)), weight: 0.5, ips: partnerIPs, pathStyle: true,
		uas: []string{"aws-cli/1.32.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.15.0-101-generic md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.34.69"}},
		opSpec{opGet, ksPartner, "", 3}, opSpec{opList, ksPartner, "", 1})
	for _, p := range B.principals {
		if p.kind == kIAMUser && p.console {
			add(analytics, &s3Actor{kind: aPrincipal, p: p, weight: 0.25, presign: 0.2, uas: []string{cliMac.s + "s3.cp", cliLinux.s + "s3.ls", boto3Mac.s}},
				opSpec{opGet, ksCurated, "", 3}, opSpec{opList, ksCurated, "", 2}, opSpec{opHead, ksCurated, "", 1})
		}
	}

	// acme-public-assets.
	P := public.acct
	bots := []string{browser, browser2, browser, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "curl/8.4.0", "Wget/1.21.3"}
	add(public, &s3Actor{kind: aAnon, weight: 7, ips: clients, uas: bots, browser: true},
		opSpec{opGet, ksAssets, "", 10}, opSpec{opHead, ksAssets, "", 1})
	add(public, &s3Actor{kind: aAnon, weight: 0.4, ips: clients[:40], uas: []string{"Mozilla/5.0 zgrab/0.x", "python-requests/2.31.0", "Go-http-client/1.1"}},
		opSpec{opGet, ksScan, "", 4}, opSpec{opList, ksScan, "", 1})
	add(public, &s3Actor{kind: aCanonical, canonical: canon(hash2(w.seed, 0xcf01)), weight: 3, ips: cfIPs, uas: []string{"Amazon CloudFront"}},
		opSpec{opGet, ksAssets, "", 1})
	add(public, &s3Actor{kind: aPrincipal, p: P.byName["jenkins"], weight: 0.5, ips: jenkinsIPs, uas: []string{cliLinux.s + "s3.sync"}},
		opSpec{opPut, ksAssets, "", 5}, opSpec{opDelete, ksAssets, "", 1}, opSpec{opList, ksAssets, "", 1})
}

// s3Source produces the S3 requests of all logged buckets in time order:
// background traffic plus the incident's requests.
type s3Source struct {
	w       *world
	r       rng
	tl      *timeline
	nBg     int
	bgLine  int
	nextBgT int64
	inc     []incReq
	ii      int
	q       s3Req
}

func newS3Source(w *world) *s3Source {
	src := &s3Source{w: w, r: newRNG(hash2(w.seed, 0x53))}
	if w.inc != nil {
		src.inc = w.inc.requests
	}
	src.nBg = max(0, w.cfg.AccessLogLines-len(src.inc))
	src.tl = newTimeline(w.start, w.cfg.Days, src.nBg, hash2(w.seed, 0x72))
	src.nextBgT = -1
	src.q.hostID = make([]byte, 0, 80)
	return src
}

// lines returns the total number of access-log lines of the source.
func (src *s3Source) lines() int { return src.nBg + len(src.inc) }

func (src *s3Source) next() *s3Req {
	bg := src.bgLine < src.nBg
	if bg && src.nextBgT < 0 {
		src.nextBgT = src.tl.at(src.bgLine)
	}
	inc := src.ii < len(src.inc)
	switch {
	case inc && (!bg || src.inc[src.ii].t <= src.nextBgT):
		src.fillIncident(&src.inc[src.ii])
		src.ii++
	case bg:
		src.fillBackground(src.nextBgT)
		src.bgLine += src.q.lines
		src.nextBgT = -1
	default:
		return nil
	}
	return &src.q
}

func countDataEvents(w *world) int {
	src := newS3Source(w)
	n := 0
	for q := src.next(); q != nil; q = src.next() {
		if q.dataEvent() != "" {
			n++
		}
	}
	return n
}

func (q *s3Req) reset() {
	q.meta, q.key, q.srcKey = "", "", ""
	q.p, q.s = nil, nil
	q.requester, q.accessKey, q.remoteIP, q.ctIP, q.invokedBy, q.ua = "", "", "", "", "", ""
	q.referrer, q.errCode, q.vpce, q.srcRegion = "-", "", "", "-"
	q.status, q.size, q.sent, q.total, q.turn = 200, -1, -1, -1, -1
	q.sigv, q.cipher, q.auth, q.endpoint, q.tls = "SigV4", "", "AuthHeader", "", ""
	q.acl, q.virtual, q.lines = false, true, 1
	q.query = q.query[:0]
	q.hostID = q.hostID[:0]
}

func (src *s3Source) setTLS(q *s3Req) {
	if src.r.chance(0.72) {
		q.tls, q.cipher = "TLSv1.3", "TLS_AES_128_GCM_SHA256"
	} else {
		q.tls, q.cipher = "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"
	}
}

func (src *s3Source) fillBackground(t int64) {
	w, r, q := src.w, &src.r, &src.q
	q.reset()
	q.t = t
	bk := w.buckets[w.bucketW.pick(r)]
	q.b = bk
	act := bk.actors[bk.pick.pick(r)]
	spec := act.ops[act.pick.pick(r)]
	q.op, q.meta = spec.op, spec.meta
	if q.op == opCopy && src.bgLine+2 > src.nBg {
		q.op = opPut
	}
	if q.op == opCopy {
		q.lines = 2
	}
	q.reqID = src.requestID()
	q.hostID = r.appendHostID(q.hostID)
	src.setTLS(q)
	q.ua = pick(r, act.uas)

	// Who and from where.
	switch act.kind {
	case aAnon:
		q.requester, q.sigv, q.auth = "-", "-", "-"
		q.remoteIP = pick(r, act.ips)
		if act.browser && r.chance(0.3) {
			q.referrer = pick(r, []string{"https://www.acme.example/", "https://www.acme.example/pricing", "https://docs.acme.example/getting-started", "https://www.google.com/"})
		}
		if r.chance(0.05) {
			q.tls, q.cipher = "-", "-"
		}
	case aCanonical:
		q.requester = act.canonical
		q.remoteIP = pick(r, act.ips)
		q.acl = bk.name == "acme-analytics-data"
	case aLifecycle:
		q.requester, q.remoteIP, q.sigv, q.auth, q.tls, q.cipher = "AmazonS3", "-", "-", "-", "-", "-"
		q.ua = "-"
	case aPrincipal:
		p := act.p
		q.p = p
		if len(p.sessions) > 0 {
			q.s = pick(r, p.sessions)
			q.requester = q.s.arn
			q.accessKey = string(q.s.appendKey(q.keyBuf[:0], t))
		} else {
			q.requester = p.arn
			q.accessKey = p.accessKey(t)
		}
		switch {
		case act.athena:
			q.remoteIP = pick(r, act.ips)
			q.ctIP, q.invokedBy = "athena.amazonaws.com", "athena.amazonaws.com"
			q.srcRegion = bk.region
		case q.s != nil && q.s.ip != "":
			if q.s.region == bk.region && p.acct == bk.acct {
				q.remoteIP = q.s.ip
				q.vpce = vpceID(p.acct.id, bk.region, "s3")
			} else {
				q.remoteIP = p.acct.nat[w.regionIdx(q.s.region)]
			}
			q.srcRegion = q.s.region
		case p.name == "lambda-ingest-role":
			pool := lambdaIPsUS
			if strings.HasPrefix(q.s.region, "eu-") {
				pool = lambdaIPsEU
			}
			q.remoteIP = pool[hash2(q.s.h, uint64(t/3600))%uint64(len(pool))]
			q.srcRegion = q.s.region
		case len(act.ips) > 0:
			q.remoteIP = pick(r, act.ips)
		case len(p.ips) > 0:
			q.remoteIP = pick(r, p.ips)
		default:
			q.remoteIP = p.acct.nat[0]
			q.srcRegion = w.regions[0]
		}
		if act.presign > 0 && q.op == opGet && r.chance(act.presign) {
			q.auth = "QueryString"
			q.ua = browser
		}
	}
	if q.ctIP == "" {
		q.ctIP = q.remoteIP
	}
	q.virtual = !act.pathStyle
	q.endpoint = endpointFor(bk, q.virtual, act.kind == aAnon)

	// What.
	src.makeKey(q, spec.ks, t)
	src.outcome(q, spec.ks, act)
}

func endpointFor(bk *bucket, virtual, legacy bool) string {
	switch {
	case virtual && legacy:
		return bk.name + ".s3.amazonaws.com"
	case virtual:
		return bk.name + ".s3." + bk.region + ".amazonaws.com"
	}
	return "s3." + bk.region + ".amazonaws.com"
}

func (src *s3Source) requestID() [16]byte {
	var id [16]byte
	src.r.appendS3RequestID(id[:0])
	return id
}

var (
	rawStreams  = []string{"events", "clicks", "orders", "payments"}
	tables      = []string{"sales", "sessions", "customers", "inventory", "events_daily"}
	assets      = []string{"assets/img/logo.svg", "assets/img/hero-1920.jpg", "assets/css/main.4f9c2e1a.css", "assets/js/app.8d21b7c3.js", "assets/js/vendor.1a2b3c4d.js", "index.html", "favicon.ico", "assets/fonts/inter-var.woff2", "downloads/acme-agent-2.4.1-linux-amd64.tar.gz", "docs/whitepaper-2024.pdf", "assets/img/team/office photo.jpg"}
	assetSizes  = []int64{4812, 612338, 48211, 301877, 912004, 18233, 15086, 321004, 24817220, 2318841, 402113}
	scanTargets = []string{".env", "wp-login.php", ".git/config", "config.json", "backup.zip", "admin/", "phpinfo.php"}
)

// makeKey sets the object key (or list prefix) and the object size.
func (src *s3Source) makeKey(q *s3Req, ks keyspace, t int64) {
	r := &src.r
	b := q.keyBuf[:0]
	past := t
	if q.op == opGet || q.op == opHead || q.op == opList || q.op == opCopy || q.op == opDelete {
		past = t - int64(r.intn(7*86400))
	}
	if q.op == opExpire {
		past = t - 30*86400 - int64(r.intn(86400))
	}
	logSize := func(lo, hi float64) int64 { return int64(math.Exp(lo + (hi-lo)*r.float())) }
	switch ks {
	case ksAppLogs:
		if q.op == opList {
			b = append(b, "app-logs/"...)
			break
		}
		b = append(b, "app-logs/"...)
		if q.s != nil && q.s.ec2 {
			b = append(b, q.s.name...)
		} else {
			b = append(b, "i-0"...)
			b = appendHexWord(b, hash2(src.w.seed, uint64(r.intn(8))), 16)
		}
		b = append(b, '/')
		b = appendDate(b, past, '/')
		b = append(b, "/app-"...)
		_, _, _, h, mi, s := civil(past)
		b = append2(b, h)
		b = append2(b, mi)
		b = append2(b, s)
		b = append(b, ".log.gz"...)
		q.size = logSize(9.9, 15.6)
	case ksDBExports:
		b = append(b, "db-exports/nightly/"...)
		if q.op == opList {
			break
		}
		b = appendDate(b, past, '-')
		b = append(b, "/export-000"...)
		b = strconv.AppendInt(b, int64(r.intn(10)), 10)
		b = append(b, ".csv.gz"...)
		q.size = logSize(13.8, 18.2)
	case ksRaw:
		b = append(b, "raw/"...)
		b = append(b, pick(r, rawStreams)...)
		b = append(b, "/dt="...)
		b = appendDate(b, past, '-')
		b = append(b, '/')
		if q.op == opList {
			break
		}
		b = append(b, "part-"...)
		b = r.appendHex(b, 8, false)
		b = append(b, ".json.gz"...)
		q.size = logSize(10.8, 15.2)
	case ksCurated, ksArchive, ksTmp:
		if ks == ksArchive {
			// The copy's source is a raw object; the destination an archive key.
			src.makeKey(q, ksRaw, t)
			q.srcKey = q.key
			b = append(q.keyBuf[:0], "archive/"...)
			b = append(b, q.srcKey...)
			q.keyBuf = b
			q.key = string(b)
			return
		}
		if ks == ksTmp {
			b = append(b, "tmp/_temporary/"...)
		} else {
			b = append(b, "curated/"...)
		}
		b = append(b, pick(r, tables)...)
		b = append(b, "/dt="...)
		b = appendDate(b, past, '-')
		b = append(b, '/')
		if q.op == opList {
			break
		}
		b = append(b, "part-000"...)
		b = append2(b, r.intn(64))
		b = append(b, ".snappy.parquet"...)
		q.size = logSize(14.5, 19)
	case ksPartner:
		b = append(b, "exports/partner-feed/"...)
		if q.op == opList {
			break
		}
		b = appendDate(b, past, '-')
		b = append(b, "/feed.csv"...)
		q.size = logSize(13, 17.5)
	case ksAssets:
		if q.op == opList {
			b = append(b, "assets/"...)
			break
		}
		i := r.intn(len(assets))
		if r.chance(0.4) {
			i = r.intn(4)
		}
		b = append(b, assets[i]...)
		q.size = assetSizes[i]
	case ksScan:
		if q.op != opList {
			b = append(b, pick(r, scanTargets)...)
		}
	}
	q.keyBuf = b
	q.key = string(b)
}

// outcome sets status, error, bytes and timings.
func (src *s3Source) outcome(q *s3Req, ks keyspace, act *s3Actor) {
	r := &src.r
	u := r.float()
	switch q.op {
	case opGet:
		switch {
		case ks == ksScan:
			q.status, q.errCode = 404, "NoSuchKey"
			if r.chance(0.5) {
				q.status, q.errCode = 403, "AccessDenied"
			}
		case u < 0.025:
			q.status, q.errCode = 404, "NoSuchKey"
		case u < 0.035:
			q.status, q.errCode = 403, "AccessDenied"
		case u < 0.037:
			q.status, q.errCode = 503, "SlowDown"
		case act.browser && u < 0.12:
			q.status = 304
		case (act.athena || ks == ksCurated) && u < 0.45:
			q.status = 206
		}
	case opPut, opList, opCopy:
		switch {
		case ks == ksScan:
			q.status, q.errCode = 403, "AccessDenied"
		case u < 0.01:
			q.status, q.errCode = 403, "AccessDenied"
		case u < 0.012:
			q.status, q.errCode = 503, "SlowDown"
		}
	case opHead:
		if u < 0.05 {
			q.status, q.errCode = 404, "NoSuchKey"
		}
	case opDelete:
		q.status = 204
		if u < 0.01 {
			q.status, q.errCode = 403, "AccessDenied"
		}
	case opMeta:
		switch {
		case strings.HasPrefix(q.meta, "BUCKETPOLICY") && u < 0.3:
			q.status, q.errCode = 404, "NoSuchBucketPolicy"
		case strings.HasPrefix(q.meta, "TAGGING") && u < 0.5:
			q.status, q.errCode = 404, "NoSuchTagSet"
		}
	case opExpire:
		q.status = -1
		return
	}
	if q.size < 0 {
		q.size = int64(r.between(1000, 90000))
	}
	if q.errCode != "" {
		q.sent = int64(r.between(243, 380))
		q.total = r.between(5, 40)
		q.turn = q.total - r.between(0, 3)
		if q.status == 404 || q.op == opHead {
			q.size = -1
		}
		if q.op == opHead {
			q.sent = -1
		}
		return
	}
	switch q.op {
	case opGet:
		switch q.status {
		case 304:
			q.sent = -1
		case 206:
			q.sent = min(q.size, int64(r.between(65536, 8388608)))
		default:
			q.sent = q.size
		}
	case opList:
		q.sent = int64(r.between(600, 120000))
		q.size = -1
	case opMeta:
		q.sent = int64(r.between(110, 1500))
		q.size = -1
	case opDelete:
		q.size = -1
	}
	moved := q.size
	if q.sent >= 0 {
		moved = q.sent
	}
	if q.op == opHead || q.op == opDelete || q.op == opMeta || q.op == opList {
		moved = 0
	}
	q.turn = r.between(4, 60)
	q.total = q.turn + int(moved/int64(r.between(20, 120)<<10)) + r.between(0, 30)
	if q.op == opPut {
		q.turn = r.between(8, 120)
		q.total = q.turn + int(moved/int64(r.between(15, 90)<<10)) + r.between(10, 60)
	}
}

// fillIncident materialises one of the incident's requests.
func (src *s3Source) fillIncident(e *incReq) {
	w, r, q := src.w, &src.r, &src.q
	q.reset()
	q.t = e.t
	q.b = w.buckets[0]
	a := q.b.acct
	q.p = a.byName[IncidentUserName]
	q.requester = IncidentUser
	q.reqID = src.requestID()
	q.hostID = r.appendHostID(q.hostID)
	q.tls, q.cipher = "TLSv1.3", "TLS_AES_128_GCM_SHA256"
	q.endpoint = endpointFor(q.b, true, false)
	b := q.keyBuf[:0]
	switch e.kind {
	case incUpload:
		q.op = opPut
		q.accessKey = IncidentKey
		q.remoteIP, q.ctIP, q.vpce = IncidentIP, IncidentIP, IncidentVPCEndpoint
		q.ua = IncidentUserAgent
		q.srcRegion = IncidentRegion
		b = appendBackupKey(b, e.sched)
		q.size = e.size
		q.turn = r.between(12, 45)
		q.total = q.turn + int(q.size/int64(r.between(40, 70)<<10)) + r.between(5, 40)
	default:
		q.accessKey = IncidentSecondKey
		q.remoteIP, q.ctIP = IncidentLaptopIP, IncidentLaptopIP
		q.ua = IncidentLaptopUserAgent
		switch e.kind {
		case incLaptopList:
			q.op = opList
			b = append(b, "backups/"...)
			q.sent = int64(r.between(20000, 90000))
			q.turn = r.between(20, 80)
			q.total = q.turn + r.between(5, 40)
		case incLaptopGet, incLaptopHead:
			q.op = opGet
			if e.kind == incLaptopHead {
				q.op = opHead
			}
			b = appendBackupKey(b, e.sched)
			q.size = e.size
			if q.op == opGet {
				q.sent = e.size
			}
			q.turn = r.between(15, 60)
			q.total = q.turn + int(q.size/int64(r.between(2, 6)<<10)) + r.between(20, 90)
		}
	}
	q.keyBuf = b
	q.key = string(b)
}

// LineInfo describes the access-log line a stream just appended.
type LineInfo struct {
	Time    time.Time // request time (UTC)
	Bucket  string    // the logged (source) bucket
	Account string    // the bucket's owner
	Region  string    // the bucket's region
}

// AccessLogStream produces S3 server access-log lines (27 fields, newline
// terminated) of all logged buckets in request-time order. A copy is two
// lines (REST.COPY.OBJECT and REST.COPY.OBJECT_GET) with one request ID.
type AccessLogStream struct {
	src     *s3Source
	cur     *s3Req
	second  bool
	emitted int
}

// NewAccessLogStream returns the access-log lines of cfg. It panics if cfg
// is invalid (see Generate for an error instead).
func NewAccessLogStream(cfg Config) *AccessLogStream {
	cfg, err := cfg.normalize()
	if err != nil {
		panic(err)
	}
	return newAccessLogStream(newWorld(cfg))
}

func newAccessLogStream(w *world) *AccessLogStream { return &AccessLogStream{src: newS3Source(w)} }

// Len returns the number of lines the stream produces in all.
func (s *AccessLogStream) Len() int { return s.src.lines() }

// Remaining returns the number of lines not yet produced.
func (s *AccessLogStream) Remaining() int { return s.src.lines() - s.emitted }

// Next appends the next line (with its newline) to dst; ok is false when the
// stream is exhausted.
func (s *AccessLogStream) Next(dst []byte) (out []byte, info LineInfo, ok bool) {
	var q *s3Req
	if s.second {
		q = s.cur
		s.second = false
		dst = appendAccessLine(dst, q, true)
	} else {
		q = s.src.next()
		if q == nil {
			return dst, LineInfo{}, false
		}
		dst = appendAccessLine(dst, q, false)
		if q.op == opCopy {
			s.cur, s.second = q, true
		}
	}
	s.emitted++
	return dst, LineInfo{Time: time.Unix(q.t, 0).UTC(), Bucket: q.b.name, Account: q.b.acct.id, Region: q.b.region}, true
}

// AppendLines appends up to n next lines to dst and returns how many.
func (s *AccessLogStream) AppendLines(dst []byte, n int) ([]byte, int) {
	k := 0
	for ; k < n; k++ {
		var ok bool
		if dst, _, ok = s.Next(dst); !ok {
			break
		}
	}
	return dst, k
}

func appendDashInt(b []byte, v int64) []byte {
	if v < 0 {
		return append(b, '-')
	}
	return strconv.AppendInt(b, v, 10)
}

func orDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

// appendAccessLine writes q as one access-log line; second selects the
// REST.COPY.OBJECT_GET record of a copy.
func appendAccessLine(b []byte, q *s3Req, second bool) []byte {
	bk := q.b
	b = append(b, bk.acct.canonical...)
	b = append(b, ' ')
	b = append(b, bk.name...)
	b = append(b, ' ')
	b = appendAccessTime(b, q.t)
	b = append(b, ' ')
	b = orDash(b, q.remoteIP)
	b = append(b, ' ')
	b = orDash(b, q.requester)
	b = append(b, ' ')
	b = append(b, q.reqID[:]...)
	b = append(b, ' ')
	key := q.key
	method := "GET"
	switch q.op {
	case opGet:
		b = append(b, "REST.GET.OBJECT"...)
	case opPut:
		b = append(b, "REST.PUT.OBJECT"...)
		method = "PUT"
	case opHead:
		b = append(b, "REST.HEAD.OBJECT"...)
		method = "HEAD"
	case opList:
		b = append(b, "REST.GET.BUCKET"...)
	case opDelete:
		b = append(b, "REST.DELETE.OBJECT"...)
		method = "DELETE"
	case opCopy:
		method = "PUT"
		if second {
			b = append(b, "REST.COPY.OBJECT_GET"...)
			key = q.srcKey
		} else {
			b = append(b, "REST.COPY.OBJECT"...)
		}
	case opExpire:
		b = append(b, "S3.EXPIRE.OBJECT"...)
	case opMeta:
		b = append(b, "REST.GET."...)
		sub, _, _ := strings.Cut(q.meta, " ")
		b = append(b, sub...)
	}
	b = append(b, ' ')
	if q.op == opList || q.op == opMeta || key == "" {
		b = append(b, '-')
	} else {
		b = urlEncodeKey(b, key)
	}
	b = append(b, ' ')
	// Request-URI.
	if q.op == opExpire {
		b = append(b, '-')
	} else {
		b = append(b, '"')
		b = append(b, method...)
		b = append(b, " /"...)
		if !q.virtual {
			b = append(b, bk.name...)
			if q.op != opList && q.op != opMeta {
				b = append(b, '/')
			}
		}
		switch q.op {
		case opList:
			b = append(b, "?list-type=2&prefix="...)
			b = urlEncodeQuery(b, q.key)
			b = append(b, "&delimiter=%2F&encoding-type=url"...)
		case opMeta:
			_, qs, _ := strings.Cut(q.meta, " ")
			b = append(b, qs...)
		default:
			b = urlEncodeKey(b, q.key)
			if q.auth == "QueryString" {
				b = append(b, "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="...)
				b = append(b, q.accessKey...)
				b = append(b, "%2F"...)
				b = appendDateCompact(b, q.t)
				b = append(b, "%2F"...)
				b = append(b, bk.region...)
				b = append(b, "%2Fs3%2Faws4_request&X-Amz-Date="...)
				b = appendDateCompact(b, q.t)
				b = append(b, "T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature="...)
				b = appendHexWord(b, hash2(uint64(q.t), uint64(q.reqID[0])), 16)
				b = appendHexWord(b, hash2(uint64(q.t), uint64(q.reqID[1])), 16)
				b = appendHexWord(b, hash2(uint64(q.t), uint64(q.reqID[2])), 16)
				b = appendHexWord(b, hash2(uint64(q.t), uint64(q.reqID[3])), 16)
			}
		}
		b = append(b, ` HTTP/1.1"`...)
	}
	b = append(b, ' ')
	if q.status < 0 {
		b = append(b, '-')
	} else {
		b = strconv.AppendInt(b, int64(q.status), 10)
	}
	b = append(b, ' ')
	b = orDash(b, q.errCode)
	b = append(b, ' ')
	sent, size := q.sent, q.size
	switch {
	case q.op == opPut:
		sent = -1
	case q.op == opCopy && !second:
		sent = 234 + int64(q.reqID[0]%40)
	case q.op == opCopy:
		sent = -1
	}
	if sent == 0 {
		sent = -1
	}
	b = appendDashInt(b, sent)
	b = append(b, ' ')
	b = appendDashInt(b, size)
	b = append(b, ' ')
	b = appendDashInt(b, int64(q.total))
	b = append(b, ' ')
	b = appendDashInt(b, int64(q.turn))
	b = append(b, ` "`...)
	b = append(b, q.referrer...)
	b = append(b, `" "`...)
	b = append(b, q.ua...)
	b = append(b, `" - `...)
	b = append(b, q.hostID...)
	b = append(b, ' ')
	b = append(b, q.sigv...)
	b = append(b, ' ')
	b = orDash(b, q.cipher)
	b = append(b, ' ')
	b = append(b, q.auth...)
	b = append(b, ' ')
	if q.op == opExpire {
		b = append(b, '-')
	} else {
		b = append(b, q.endpoint...)
	}
	b = append(b, ' ')
	b = orDash(b, q.tls)
	b = append(b, " - "...)
	if q.acl {
		b = append(b, "Yes"...)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	b = append(b, q.srcRegion...)
	return append(b, '\n')
}

// appendDateCompact appends YYYYMMDD.
func appendDateCompact(b []byte, t int64) []byte {
	y, mo, d, _, _, _ := civil(t)
	b = append4(b, y)
	b = append2(b, mo)
	return append2(b, d)
}

// urlEncodeQuery encodes a query value: like a key, but '/' is %2F.
func urlEncodeQuery(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return b
}

// appendBackupKey appends the object key of the incident's dump taken at
// unix time t: backups/db-YYYYMMDD-HHMM.sql.gz.
func appendBackupKey(b []byte, t int64) []byte {
	y, mo, d, h, mi, _ := civil(t)
	b = append(b, "backups/db-"...)
	b = append4(b, y)
	b = append2(b, mo)
	b = append2(b, d)
	b = append(b, '-')
	b = append2(b, h)
	b = append2(b, mi)
	return append(b, ".sql.gz"...)
}
