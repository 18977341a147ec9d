package gen

import (
	"strconv"
	"strings"
	"time"
)

// RecordInfo describes the record a stream just appended.
type RecordInfo struct {
	Time    time.Time // eventTime (UTC)
	Account string    // the account whose trail logs it (recipientAccountId)
	Region  string    // awsRegion
	Data    bool      // an S3 data event
}

// CloudTrailStream produces CloudTrail records (compact JSON, keys in
// CloudTrail's order and case) in event-time order: background management
// events, the incident's events, and — with Config.DataEvents — the S3 data
// events of the requests that the access-log stream writes.
type CloudTrailStream struct {
	w       *world
	r       rng
	tl      *timeline
	nBg     int
	iBg     int
	nextBg  int64
	s3      *s3Source
	nextS3  *s3Req
	script  []scripted
	si      int
	total   int
	emitted int
	c       evCtx
	last    struct {
		a      *account
		p      *principal
		s      *session
		act    *action
		region string
	}
}

// burstContinue is the chance that a background call continues the burst of
// the previous caller.
const burstContinue = 0.6

// NewCloudTrailStream returns the CloudTrail records of cfg. It panics if
// cfg is invalid (see Generate for an error instead).
func NewCloudTrailStream(cfg Config) *CloudTrailStream {
	cfg, err := cfg.normalize()
	if err != nil {
		panic(err)
	}
	return newCloudTrailStream(newWorld(cfg))
}

func newCloudTrailStream(w *world) *CloudTrailStream {
	st := &CloudTrailStream{w: w, r: newRNG(hash2(w.seed, 0xc7))}
	st.script = w.script
	nData := 0
	if w.cfg.DataEvents {
		nData = countDataEvents(w)
		st.s3 = newS3Source(w)
		st.advanceS3()
	}
	st.nBg = max(0, w.cfg.CloudTrailEvents-nData-len(st.script))
	st.total = st.nBg + nData + len(st.script)
	st.tl = newTimeline(w.start, w.cfg.Days, st.nBg, hash2(w.seed, 0x71))
	st.nextBg = -1
	if st.nBg > 0 {
		st.nextBg = st.tl.at(0)
	}
	st.c.w = w
	st.c.r = &st.r
	return st
}

// Len returns the number of records the stream produces in all.
func (st *CloudTrailStream) Len() int { return st.total }

// Remaining returns the number of records not yet produced.
func (st *CloudTrailStream) Remaining() int { return st.total - st.emitted }

func (st *CloudTrailStream) advanceS3() {
	for {
		q := st.s3.next()
		if q == nil {
			st.nextS3 = nil
			return
		}
		if q.dataEvent() != "" {
			st.nextS3 = q
			return
		}
	}
}

// Next appends the next record's JSON object to dst and describes it; ok is
// false when the stream is exhausted.
func (st *CloudTrailStream) Next(dst []byte) (out []byte, info RecordInfo, ok bool) {
	const none = int64(1) << 62
	ts, tb, td := none, none, none
	if st.si < len(st.script) {
		ts = st.script[st.si].t
	}
	if st.nextBg >= 0 {
		tb = st.nextBg
	}
	if st.nextS3 != nil {
		td = st.nextS3.t
	}
	switch {
	case ts == none && tb == none && td == none:
		return dst, RecordInfo{}, false
	case ts <= tb && ts <= td:
		e := &st.script[st.si]
		st.si++
		dst = st.writeScripted(dst, e)
		info = RecordInfo{Time: time.Unix(e.t, 0).UTC(), Account: e.acct.id, Region: e.region}
	case td <= tb:
		q := st.nextS3
		dst = st.writeData(dst, q)
		info = RecordInfo{Time: time.Unix(q.t, 0).UTC(), Account: q.b.acct.id, Region: q.b.region, Data: true}
		st.advanceS3()
	default:
		t := st.nextBg
		dst, info = st.writeBackground(dst, t)
		st.iBg++
		st.nextBg = -1
		if st.iBg < st.nBg {
			st.nextBg = st.tl.at(st.iBg)
		}
	}
	st.emitted++
	return dst, info, true
}

// AppendFile appends a whole CloudTrail file body, {"Records":[…]}, holding
// the next n records (fewer at the end of the stream), and returns how many
// it wrote.
func (st *CloudTrailStream) AppendFile(dst []byte, n int) ([]byte, int) {
	dst = append(dst, `{"Records":[`...)
	k := 0
	for ; k < n; k++ {
		if k > 0 {
			dst = append(dst, ',')
		}
		var ok bool
		dst, _, ok = st.Next(dst)
		if !ok {
			if k > 0 {
				dst = dst[:len(dst)-1]
			}
			break
		}
	}
	return append(dst, "]}"...), k
}

// evCtx is the state of the record being written.
type evCtx struct {
	r      *rng
	w      *world
	a      *account
	p      *principal
	s      *session
	act    *action
	region string
	t      int64

	reqID  []byte
	reqBuf []byte
	res    []byte
	ua     []byte
	tmp    []byte

	failed          bool
	errCode, errMsg string
	ip              string
	vpce            string
	invokedBy       string
	console         bool
	tls             bool
	tlsVer, cipher  string
	host            string
	key             string // access key override (IAM users)
	fixed           bool   // origin set by a scripted event
	noFail          bool   // no random failure (scripted events)

	inst     *instance
	instName string
	target   *session
	strA     string
	strB     string
	strC     string
}

func (c *evCtx) reset() {
	c.reqID, c.reqBuf, c.res, c.ua = c.reqID[:0], c.reqBuf[:0], c.res[:0], c.ua[:0]
	c.failed, c.errCode, c.errMsg = false, "", ""
	c.ip, c.vpce, c.invokedBy, c.console, c.tls = "", "", "", false, true
	c.host, c.key, c.fixed, c.noFail = "", "", false, false
	c.inst, c.instName, c.target, c.strA, c.strB, c.strC = nil, "", nil, "", "", ""
	c.s = nil
}

// instance returns an instance of the account, preferring the event's region.
func (c *evCtx) instance() *instance {
	n := len(c.a.instances)
	i := c.r.intn(n)
	for k := 0; k < n; k++ {
		in := c.a.instances[(i+k)%n]
		if in.region == c.region {
			return in
		}
	}
	return c.a.instances[i]
}

func (a *account) instanceByID(id string) *instance {
	for _, in := range a.instances {
		if in.id == id {
			return in
		}
	}
	return a.instances[0]
}

func (c *evCtx) addResource(typ, arn, acct string) {
	if len(c.res) > 0 {
		c.res = append(c.res, ',')
	}
	c.res = append(c.res, '{')
	if acct != "" {
		c.res = append(c.res, `"accountId":"`...)
		c.res = append(c.res, acct...)
		c.res = append(c.res, `",`...)
	}
	c.res = append(c.res, `"type":"`...)
	c.res = append(c.res, typ...)
	c.res = append(c.res, `","ARN":"`...)
	c.res = append(c.res, arn...)
	c.res = append(c.res, `"}`...)
}

// addKMSResource adds one of the region's keys as a resource and returns its id.
func (c *evCtx) addKMSResource() string {
	keys := c.a.kmsKeys[c.w.regionIdx(c.region)]
	k := keys[c.r.intn(len(keys))]
	c.tmp = append(c.tmp[:0], "arn:aws:kms:"...)
	c.tmp = append(c.tmp, c.region...)
	c.tmp = append(c.tmp, ':')
	c.tmp = append(c.tmp, c.a.id...)
	c.tmp = append(c.tmp, ":key/"...)
	c.tmp = append(c.tmp, k...)
	c.addResource("AWS::KMS::Key", string(c.tmp), c.a.id)
	return k
}

func vpceID(acct, region, svc string) string {
	return "vpce-0" + string(appendHexWord(nil, hash2(hashStr(acct+region), hashStr(svc)), 16))
}

func (st *CloudTrailStream) writeBackground(b []byte, t int64) ([]byte, RecordInfo) {
	w := st.w
	r := &st.r
	c := &st.c
	c.reset()
	// API calls come in bursts: a caller makes several calls in a row (a
	// Terraform plan, an agent's poll, a script). A burst continues with the
	// same caller, session and region and, half the time, the same call.
	if st.last.p != nil && r.chance(burstContinue) {
		c.a, c.p, c.s, c.t = st.last.a, st.last.p, st.last.s, t
		c.act = st.last.act
		if r.chance(0.5) {
			c.act = c.p.acts[c.p.actPick.pick(r)]
		}
		c.region = st.last.region
	} else {
		a := w.accts[w.acctW.pick(r)]
		k := a.mgmt.pick(r)
		c.a, c.p, c.act, c.t = a, a.mgmtP[k], a.mgmtA[k], t
		if len(c.p.sessions) > 0 {
			c.s = c.p.sessions[r.intn(len(c.p.sessions))]
		}
		c.region = w.regionFor(r, c.p, c.s)
		st.last.a, st.last.p, st.last.s, st.last.region = c.a, c.p, c.s, c.region
	}
	st.last.act = c.act
	if c.act.global {
		c.region = w.globalRegion
	}
	b = st.writeMgmt(b)
	return b, RecordInfo{Time: time.Unix(t, 0).UTC(), Account: c.a.id, Region: c.region}
}

// decideFailure sets errorCode and errorMessage for about 5% of calls.
func (c *evCtx) decideFailure() {
	act, p := c.act, c.p
	if p.kind == kService || p.kind == kInternal || act.etype == etServiceEvent {
		return
	}
	u := c.r.float()
	if act.name == "ConsoleLogin" {
		if u < 0.04 {
			c.failed, c.errMsg = true, "Failed authentication"
		}
		return
	}
	throttle := 0.012
	if p.name == "datadog-integration" {
		throttle = 0.04
	}
	switch {
	case u < 0.018:
		c.failed, c.errCode = true, act.denied
		if act.s3 {
			c.errMsg = "Access Denied"
			return
		}
		c.tmp = c.tmp[:0]
		if act.svc == "ec2" {
			c.tmp = append(c.tmp, "You are not authorized to perform this operation. "...)
		}
		c.tmp = append(c.tmp, "User: "...)
		c.tmp = append(c.tmp, c.callerARN()...)
		c.tmp = append(c.tmp, " is not authorized to perform: "...)
		c.tmp = append(c.tmp, act.iamAction...)
		if act.svc != "ec2" {
			c.tmp = append(c.tmp, " on resource: arn:aws:"...)
			c.tmp = append(c.tmp, act.svc...)
			c.tmp = append(c.tmp, ':')
			if !act.global {
				c.tmp = append(c.tmp, c.region...)
			}
			c.tmp = append(c.tmp, ':')
			c.tmp = append(c.tmp, c.a.id...)
			c.tmp = append(c.tmp, ":*"...)
		}
		c.tmp = append(c.tmp, " because no identity-based policy allows the "...)
		c.tmp = append(c.tmp, act.iamAction...)
		c.tmp = append(c.tmp, " action"...)
		c.errMsg = string(c.tmp)
	case u < 0.018+throttle:
		c.failed, c.errCode, c.errMsg = true, act.throttled[0], act.throttled[1]
	case u < 0.018+throttle+act.notFoundP:
		c.failed, c.errCode = true, act.notFound[0]
		c.errMsg = strings.Replace(act.notFound[1], "%s", string(c.r.appendHex(c.tmp[:0], 8, false)), 1)
	}
}

func (c *evCtx) callerARN() string {
	switch {
	case c.s != nil:
		return c.s.arn
	case c.p.kind == kAWSAccount:
		return "arn:aws:iam::" + c.p.extra + ":user/audit"
	}
	return c.p.arn
}

var tlsChoices = [...][2]string{
	{"TLSv1.3", "TLS_AES_128_GCM_SHA256"},
	{"TLSv1.3", "TLS_AES_128_GCM_SHA256"},
	{"TLSv1.3", "TLS_AES_256_GCM_SHA384"},
	{"TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"},
}

// origin decides the source IP, user agent, TLS and VPC endpoint of a call.
func (c *evCtx) origin() {
	p, s, act := c.p, c.s, c.act
	// A caller keeps its address, client and TLS settings for a while: the
	// choices are fixed per caller and hour.
	ch := p.h
	if s != nil {
		ch = s.h
	}
	hr := newRNG(hash2(ch, uint64(c.t/3600)))
	r := &hr
	tc := tlsChoices[r.intn(len(tlsChoices))]
	c.tlsVer, c.cipher = tc[0], tc[1]
	if c.fixed {
		return
	}
	switch p.kind {
	case kService:
		c.ip, c.invokedBy, c.tls = c.strA, c.strA, false
		c.ua = append(c.ua, c.strA...)
		return
	case kInternal:
		c.ip, c.tls = "AWS Internal", false
		c.ua = append(c.ua, "AWS Internal"...)
		return
	case kIdentityCenter:
		c.ip = pick(r, p.ips)
		c.ua = append(c.ua, browser...)
		return
	case kWebIdentity:
		c.ip = pick(r, p.ips)
		c.ua = append(c.ua, jsV3.s...)
		return
	case kAWSAccount:
		c.ip = pick(r, p.ips)
		c.ua = goV2.append(c.ua, act)
		return
	case kRoot:
		c.ip, c.console = p.ips[0], true
		if act.name == "ConsoleLogin" {
			c.ua = append(c.ua, browser...)
		} else {
			c.ua = append(c.ua, "AWS Internal"...)
		}
		return
	}
	// IAM users and role sessions.
	if s != nil && s.invokedBy != "" {
		c.ip, c.invokedBy, c.tls = s.invokedBy, s.invokedBy, false
		c.ua = append(c.ua, s.invokedBy...)
		return
	}
	if s != nil && s.ip != "" {
		if (act.name == "Decrypt" || act.name == "GenerateDataKey") && r.chance(0.3) {
			svc := "secretsmanager.amazonaws.com"
			if act.name == "GenerateDataKey" {
				svc = "s3.amazonaws.com"
			} else if r.chance(0.4) {
				svc = "ssm.amazonaws.com"
			}
			c.ip, c.invokedBy, c.tls = svc, svc, false
			c.ua = append(c.ua, svc...)
			return
		}
		if act.viaVPCE {
			c.ip = s.ip
			c.vpce = vpceID(c.a.id, c.region, act.svc)
		} else {
			c.ip = c.a.nat[c.w.regionIdx(c.region)]
		}
		if act.svc == "ssm" && s.ec2 {
			c.ua = append(c.ua, ssmAgent.s...)
		} else {
			c.ua = pick(r, p.uas).append(c.ua, act)
		}
		return
	}
	if p.name == "lambda-ingest-role" && s != nil {
		pool := lambdaIPsUS
		if strings.HasPrefix(c.region, "eu-") {
			pool = lambdaIPsEU
		}
		c.ip = pool[hash2(s.h, uint64(c.t/3600))%uint64(len(pool))]
		if act.name == "CreateLogStream" {
			c.ua = append(c.ua, "awslambda-worker/1.0 rusoto/0.48.0 rust/1.76.0 linux"...)
		} else {
			c.ua = pick(r, p.uas).append(c.ua, act)
		}
		return
	}
	console := (s != nil && s.console) || (s == nil && p.console)
	if act.name == "ConsoleLogin" || (console && r.chance(0.6)) {
		c.console = true
		c.ip = pick(r, p.ips)
		switch {
		case act.name == "ConsoleLogin" || act.svc == "sso":
			c.ua = append(c.ua, browser...)
		case act.svc == "ec2":
			c.ua = append(c.ua, "console.ec2.amazonaws.com"...)
		case act.svc == "s3":
			c.ua = append(c.ua, "S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.217-183.860.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard"...)
		default:
			c.ua = append(c.ua, "AWS Internal"...)
			if r.chance(0.15) {
				c.ip = "AWS Internal"
			}
		}
		return
	}
	if len(p.ips) > 0 {
		c.ip = pick(r, p.ips)
	} else {
		c.ip = c.a.nat[0]
	}
	if len(p.uas) > 0 {
		c.ua = pick(r, p.uas).append(c.ua, act)
	} else {
		c.ua = cliLinux.append(c.ua, act)
	}
}

// writeMgmt writes the management event described by c.
func (st *CloudTrailStream) writeMgmt(b []byte) []byte {
	c := &st.c
	act := c.act
	switch act.rid {
	case ridUUID:
		c.reqID = st.r.appendUUID(c.reqID[:0])
	case ridS3:
		c.reqID = st.r.appendS3RequestID(c.reqID[:0])
	}
	if !c.noFail {
		c.decideFailure()
	}
	if act.req != nil {
		c.reqBuf = act.req(c.reqBuf[:0], c)
	}
	c.origin()

	b = append(b, `{"eventVersion":"`...)
	b = append(b, act.ver...)
	b = append(b, `","userIdentity":`...)
	b = c.appendIdentity(b)
	b = append(b, `,"eventTime":"`...)
	b = appendISO(b, c.t)
	b = append(b, `","eventSource":"`...)
	b = append(b, act.source...)
	b = append(b, `","eventName":"`...)
	b = append(b, act.name...)
	b = append(b, `","awsRegion":"`...)
	b = append(b, c.region...)
	b = append(b, `","sourceIPAddress":"`...)
	b = append(b, c.ip...)
	b = append(b, `","userAgent":`...)
	if act.s3 && c.invokedBy == "" && c.ip != "AWS Internal" {
		b = append(b, `"[`...)
		b = append(b, c.ua...)
		b = append(b, `]"`...)
	} else {
		b = appendJSONString(b, string(c.ua))
	}
	if c.failed {
		if c.errCode != "" {
			b = append(b, `,"errorCode":`...)
			b = appendJSONString(b, c.errCode)
		}
		b = append(b, `,"errorMessage":`...)
		b = appendJSONString(b, c.errMsg)
	}
	b = append(b, `,"requestParameters":`...)
	if act.req != nil {
		b = append(b, c.reqBuf...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"responseElements":`...)
	switch {
	case act.name == "ConsoleLogin" && c.failed:
		b = append(b, `{"ConsoleLogin":"Failure"}`...)
	case act.resp != nil && !c.failed:
		b = act.resp(b, c)
	default:
		b = append(b, "null"...)
	}
	if act.extra != nil {
		b = append(b, `,"additionalEventData":`...)
		b = act.extra(b, c)
	}
	if act.rid != ridNone {
		b = append(b, `,"requestID":"`...)
		b = append(b, c.reqID...)
		b = append(b, '"')
	}
	b = append(b, `,"eventID":"`...)
	b = st.r.appendUUID(b)
	b = append(b, `","readOnly":`...)
	b = strconv.AppendBool(b, act.ro)
	if act.name == "RotateKey" {
		c.addKMSResource()
	}
	if len(c.res) > 0 {
		b = append(b, `,"resources":[`...)
		b = append(b, c.res...)
		b = append(b, ']')
	}
	switch act.etype {
	case etConsoleSignIn:
		b = append(b, `,"eventType":"AwsConsoleSignIn"`...)
	case etServiceEvent:
		b = append(b, `,"eventType":"AwsServiceEvent"`...)
	default:
		b = append(b, `,"eventType":"AwsApiCall"`...)
	}
	if act.apiVersion != "" {
		b = append(b, `,"apiVersion":"`...)
		b = append(b, act.apiVersion...)
		b = append(b, '"')
	}
	b = append(b, `,"managementEvent":true,"recipientAccountId":"`...)
	b = append(b, c.a.id...)
	b = append(b, '"')
	if act.etype == etServiceEvent {
		b = append(b, `,"serviceEventDetails":{"rotationType":"AUTOMATIC","keyId":"`...)
		i := strings.LastIndexByte(string(c.res), '/')
		b = append(b, c.res[i+1:len(c.res)-2]...)
		b = append(b, `"}`...)
	}
	if c.p.kind == kAWSAccount {
		b = append(b, `,"sharedEventID":"`...)
		b = st.r.appendUUID(b)
		b = append(b, '"')
	}
	if c.vpce != "" {
		b = append(b, `,"vpcEndpointId":"`...)
		b = append(b, c.vpce...)
		b = append(b, `","vpcEndpointAccountId":"`...)
		b = append(b, c.a.id...)
		b = append(b, '"')
	}
	b = append(b, `,"eventCategory":"Management"`...)
	if c.tls && c.ip != "AWS Internal" {
		b = append(b, `,"tlsDetails":{"tlsVersion":"`...)
		b = append(b, c.tlsVer...)
		b = append(b, `","cipherSuite":"`...)
		b = append(b, c.cipher...)
		b = append(b, `","clientProvidedHostHeader":"`...)
		switch {
		case c.host != "":
			b = append(b, c.host...)
		case act.host != "":
			b = append(b, act.host...)
		case act.svc == "sts" && c.r.chance(0.3):
			b = append(b, "sts.amazonaws.com"...)
		default:
			b = append(b, act.svc...)
			b = append(b, '.')
			b = append(b, c.region...)
			b = append(b, ".amazonaws.com"...)
		}
		b = append(b, `"}`...)
	}
	if c.console && act.etype != etConsoleSignIn {
		b = append(b, `,"sessionCredentialFromConsole":"true"`...)
	}
	return append(b, '}')
}

// appendIdentity writes the userIdentity object of the caller in c.
func (c *evCtx) appendIdentity(b []byte) []byte {
	p, s := c.p, c.s
	switch p.kind {
	case kService:
		b = append(b, `{"type":"AWSService","invokedBy":"`...)
		b = append(b, c.invokedBy...)
		return append(b, `"}`...)
	case kInternal:
		b = append(b, `{"accountId":"`...)
		b = append(b, p.acct.id...)
		return append(b, `","invokedBy":"AWS Internal"}`...)
	case kIdentityCenter:
		b = append(b, `{"type":"IdentityCenterUser","accountId":"`...)
		b = append(b, p.acct.id...)
		if c.r.chance(0.5) {
			b = append(b, `","accessKeyId":"`...)
		}
		b = append(b, `","onBehalfOf":{"userId":"`...)
		u := hash2(p.h, uint64(c.r.intn(5)))
		b = appendHexWord(b, u>>32, 8)
		b = append(b, '-')
		b = appendHexWord(b, u&0xffff, 4)
		b = append(b, "-70a1-8c6d-"...)
		b = appendHexWord(b, mix64(u)&0xffffffffffff, 12)
		b = append(b, `","identityStoreArn":"arn:aws:identitystore::`...)
		b = append(b, p.acct.id...)
		b = append(b, `:identitystore/`...)
		b = append(b, p.extra...)
		b = append(b, `"},"credentialId":"`...)
		b = appendB32(b, hash2(u, uint64(c.t/28800)), 24)
		return append(b, `"}`...)
	case kWebIdentity:
		b = append(b, `{"type":"WebIdentityUser","principalId":"arn:aws:iam::`...)
		b = append(b, p.acct.id...)
		b = append(b, `:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:`...)
		b = append(b, p.extra...)
		b = append(b, `","userName":"`...)
		b = append(b, p.extra...)
		b = append(b, `","identityProvider":"arn:aws:iam::`...)
		b = append(b, p.acct.id...)
		return append(b, `:oidc-provider/token.actions.githubusercontent.com"}`...)
	case kAWSAccount:
		b = append(b, `{"type":"AWSAccount","principalId":"`...)
		b = append(b, p.id...)
		b = append(b, `","accountId":"`...)
		b = append(b, p.extra...)
		return append(b, `"}`...)
	case kRoot:
		b = append(b, `{"type":"Root","principalId":"`...)
		b = append(b, p.acct.id...)
		b = append(b, `","arn":"`...)
		b = append(b, p.arn...)
		b = append(b, `","accountId":"`...)
		b = append(b, p.acct.id...)
		if c.act != nil && c.act.name == "ConsoleLogin" {
			return append(b, `"}`...)
		}
		b = append(b, `","accessKeyId":"`...)
		b = p.appendConsoleKey(b, c.t)
		b = append(b, `","sessionContext":{"attributes":{"creationDate":"`...)
		b = appendISO(b, c.t/28800*28800+int64(p.h%3600))
		return append(b, `","mfaAuthenticated":"true"}}}`...)
	case kIAMUser:
		b = append(b, `{"type":"IAMUser","principalId":"`...)
		b = append(b, p.id...)
		b = append(b, `","arn":"`...)
		b = append(b, p.arn...)
		b = append(b, `","accountId":"`...)
		b = append(b, p.acct.id...)
		if c.act == nil || c.act.name != "ConsoleLogin" {
			b = append(b, `","accessKeyId":"`...)
			switch {
			case c.key != "":
				b = append(b, c.key...)
			case c.console:
				b = p.appendConsoleKey(b, c.t)
			default:
				b = append(b, p.accessKey(c.t)...)
			}
		}
		b = append(b, `","userName":"`...)
		b = append(b, p.name...)
		b = append(b, '"')
		if c.console && (c.act == nil || c.act.name != "ConsoleLogin") {
			b = append(b, `,"sessionContext":{"attributes":{"creationDate":"`...)
			b = appendISO(b, c.t/28800*28800+int64(p.h%3600))
			b = append(b, `","mfaAuthenticated":"`...)
			b = strconv.AppendBool(b, p.mfa)
			b = append(b, `"}}`...)
		}
		if c.invokedBy != "" {
			b = append(b, `,"invokedBy":"`...)
			b = append(b, c.invokedBy...)
			b = append(b, '"')
		}
		return append(b, '}')
	}
	// Assumed-role session.
	if s == nil {
		s = p.sessions[0]
	}
	b = append(b, `{"type":"AssumedRole","principalId":"`...)
	b = append(b, s.pid...)
	b = append(b, `","arn":"`...)
	b = append(b, s.arn...)
	b = append(b, `","accountId":"`...)
	b = append(b, p.acct.id...)
	b = append(b, `","accessKeyId":"`...)
	b = s.appendKey(b, c.t)
	b = append(b, `","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"`...)
	b = append(b, p.id...)
	b = append(b, `","arn":"`...)
	b = append(b, p.arn...)
	b = append(b, `","accountId":"`...)
	b = append(b, p.acct.id...)
	b = append(b, `","userName":"`...)
	b = append(b, p.name...)
	if s.ec2 || s.role.name == "github-actions-deploy" {
		b = append(b, `"},"webIdFederationData":{},"attributes":{"creationDate":"`...)
	} else {
		b = append(b, `"},"attributes":{"creationDate":"`...)
	}
	b = appendISO(b, s.issued(c.t)+int64(s.h%300))
	b = append(b, `","mfaAuthenticated":"`...)
	b = strconv.AppendBool(b, p.mfa && s.console)
	b = append(b, `"}`...)
	if s.ec2 {
		b = append(b, `,"ec2RoleDelivery":"2.0"`...)
	}
	b = append(b, '}')
	if c.invokedBy != "" {
		b = append(b, `,"invokedBy":"`...)
		b = append(b, c.invokedBy...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// writeData writes the CloudTrail data event of S3 request q.
func (st *CloudTrailStream) writeData(b []byte, q *s3Req) []byte {
	c := &st.c
	c.reset()
	c.p, c.s, c.a, c.t, c.key = q.p, q.s, q.b.acct, q.t, q.accessKey
	c.invokedBy = q.invokedBy
	name := q.dataEvent()
	b = append(b, `{"eventVersion":"1.10","userIdentity":`...)
	b = c.appendIdentity(b)
	b = append(b, `,"eventTime":"`...)
	b = appendISO(b, q.t)
	b = append(b, `","eventSource":"s3.amazonaws.com","eventName":"`...)
	b = append(b, name...)
	b = append(b, `","awsRegion":"`...)
	b = append(b, q.b.region...)
	b = append(b, `","sourceIPAddress":"`...)
	b = append(b, q.ctIP...)
	b = append(b, `","userAgent":"`...)
	if q.invokedBy != "" {
		b = append(b, q.invokedBy...)
	} else {
		b = append(b, '[')
		b = append(b, q.ua...)
		b = append(b, ']')
	}
	b = append(b, '"')
	if q.errCode != "" {
		b = append(b, `,"errorCode":"`...)
		b = append(b, q.errCode...)
		b = append(b, `","errorMessage":"`...)
		b = append(b, s3ErrorMessage(q.errCode)...)
		b = append(b, '"')
	}
	b = append(b, `,"requestParameters":{`...)
	if q.op == opList {
		b = append(b, `"list-type":"2","bucketName":"`...)
		b = append(b, q.b.name...)
		b = append(b, `","encoding-type":"url","prefix":"`...)
		b = append(b, q.key...)
		b = append(b, `","delimiter":"/","Host":"`...)
		b = append(b, q.endpoint...)
		b = append(b, `"}`...)
	} else {
		b = append(b, `"bucketName":"`...)
		b = append(b, q.b.name...)
		b = append(b, `","Host":"`...)
		b = append(b, q.endpoint...)
		b = append(b, `","key":`...)
		b = appendJSONString(b, q.key)
		if q.op == opCopy {
			b = append(b, `,"x-amz-copy-source":`...)
			b = appendJSONString(b, q.b.name+"/"+q.srcKey)
		}
		b = append(b, '}')
	}
	b = append(b, `,"responseElements":`...)
	switch {
	case q.errCode != "":
		b = append(b, "null"...)
	case q.op == opPut:
		b = append(b, `{"x-amz-server-side-encryption":"AES256"}`...)
	case q.op == opCopy:
		b = append(b, `{"x-amz-server-side-encryption":"AES256","copyObjectResult":{"lastModified":"`...)
		b = appendISO(b, q.t)
		b = append(b, `","eTag":"`...)
		b = st.r.appendHex(b, 32, false)
		b = append(b, `"}}`...)
	default:
		b = append(b, "null"...)
	}
	b = append(b, `,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"`...)
	b = append(b, q.cipher...)
	b = append(b, `","bytesTransferredIn":`...)
	in, out := q.bytesIn(), q.bytesOut()
	b = strconv.AppendInt(b, in, 10)
	if q.errCode == "" && (q.op == opPut || q.op == opGet || q.op == opCopy) {
		b = append(b, `,"SSEApplied":"Default_SSE_S3"`...)
	}
	b = append(b, `,"AuthenticationMethod":"`...)
	b = append(b, q.auth...)
	b = append(b, `","x-amz-id-2":"`...)
	b = append(b, q.hostID...)
	b = append(b, `","bytesTransferredOut":`...)
	b = strconv.AppendInt(b, out, 10)
	b = append(b, `},"requestID":"`...)
	b = append(b, q.reqID[:]...)
	b = append(b, `","eventID":"`...)
	b = st.r.appendUUID(b)
	b = append(b, `","readOnly":`...)
	b = strconv.AppendBool(b, q.op == opGet || q.op == opHead || q.op == opList)
	b = append(b, `,"resources":[`...)
	if q.op != opList {
		b = append(b, `{"type":"AWS::S3::Object","ARN":`...)
		b = appendJSONString(b, "arn:aws:s3:::"+q.b.name+"/"+q.key)
		b = append(b, `},`...)
	}
	b = append(b, `{"accountId":"`...)
	b = append(b, q.b.acct.id...)
	b = append(b, `","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::`...)
	b = append(b, q.b.name...)
	b = append(b, `"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"`...)
	b = append(b, q.b.acct.id...)
	b = append(b, '"')
	if q.p.acct != q.b.acct {
		b = append(b, `,"sharedEventID":"`...)
		b = st.r.appendUUID(b)
		b = append(b, '"')
	}
	if q.vpce != "" {
		b = append(b, `,"vpcEndpointId":"`...)
		b = append(b, q.vpce...)
		b = append(b, `","vpcEndpointAccountId":"`...)
		b = append(b, q.p.acct.id...)
		b = append(b, '"')
	}
	b = append(b, `,"eventCategory":"Data"`...)
	if q.invokedBy == "" {
		b = append(b, `,"tlsDetails":{"tlsVersion":"`...)
		b = append(b, q.tls...)
		b = append(b, `","cipherSuite":"`...)
		b = append(b, q.cipher...)
		b = append(b, `","clientProvidedHostHeader":"`...)
		b = append(b, q.endpoint...)
		b = append(b, `"}`...)
	}
	return append(b, '}')
}

func s3ErrorMessage(code string) string {
	switch code {
	case "NoSuchKey":
		return "The specified key does not exist."
	case "AccessDenied":
		return "Access Denied"
	case "SlowDown":
		return "Please reduce your request rate."
	case "PreconditionFailed":
		return "At least one of the pre-conditions you specified did not hold"
	}
	return code
}

// scripted is an event of a story (the incident, key rotations) at a fixed
// time, written by the same code as the background events.
type scripted struct {
	t      int64
	acct   *account
	region string
	p      *principal
	s      *session
	act    *action
	ip     string
	ua     string
	vpce   string
	key    string
	setup  func(c *evCtx)
}

func (st *CloudTrailStream) writeScripted(b []byte, e *scripted) []byte {
	c := &st.c
	c.reset()
	c.a, c.p, c.s, c.act, c.t, c.region, c.key = e.acct, e.p, e.s, e.act, e.t, e.region, e.key
	c.noFail = true
	if e.ip != "" {
		c.fixed = true
		c.ip = e.ip
		c.ua = append(c.ua, e.ua...)
		c.vpce = e.vpce
	}
	if e.setup != nil {
		e.setup(c)
	}
	return st.writeMgmt(b)
}
