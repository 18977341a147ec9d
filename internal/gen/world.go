package gen

import (
	"strconv"
	"strings"
)

// pkind is the CloudTrail userIdentity type of a principal.
type pkind uint8

const (
	kIAMUser pkind = iota
	kRole          // assumed-role sessions of one role
	kRoot
	kService        // AWSService, with invokedBy
	kInternal       // AWS Internal service events
	kIdentityCenter // IdentityCenterUser
	kWebIdentity    // WebIdentityUser (GitHub Actions OIDC)
	kAWSAccount     // a caller from another account, as the target sees it
)

// uaKind says how a user agent is completed per call.
type uaKind uint8

const (
	uaFixed uaKind = iota
	uaCLI          // aws-cli: s + "<service>.<command>"
	uaGo           // Go SDK v2 / Terraform: s + "api/<service>#<version>"
)

type uaSpec struct {
	kind uaKind
	s    string
}

func (u uaSpec) append(b []byte, a *action) []byte {
	b = append(b, u.s...)
	switch u.kind {
	case uaCLI:
		b = append(b, a.cliCmd...)
	case uaGo:
		b = append(b, a.goAPI...)
	}
	return b
}

// keyPeriod is an access key and when it is in use: [from, to), to = 0 open.
type keyPeriod struct {
	id       string
	from, to int64
}

type principal struct {
	kind      pkind
	acct      *account
	name      string // user or role name
	id        string // AIDA… / AROA…
	arn       string // arn:aws:iam::<acct>:user/<name> or role/<name>
	keys      []keyPeriod
	sessions  []*session
	uas       []uaSpec
	ips       []string
	console   bool // humans who also use the console
	mfa       bool
	invokedBy string
	region    int    // home region index, -1 for any
	extra     string // WebIdentity subject, IdentityCenter user id, caller account
	h         uint64
	acts      []*action // management calls it makes, with weights in actPick
	actPick   picker
}

// session is one assumed-role session name of a role.
type session struct {
	role      *principal
	name      string
	arn       string // arn:aws:sts::<acct>:assumed-role/<role>/<name>
	pid       string // AROA…:<name>
	ip        string // fixed source IP (instances), else the role's ips
	region    string // fixed region, else any
	ec2       bool   // instance-profile session
	console   bool
	invokedBy string
	period    int64 // credential lifetime used for ASIA rotation
	h         uint64
}

// accessKey returns the key the principal (or session) uses at time t, and
// the time those credentials were issued.
func (p *principal) accessKey(t int64) string {
	best := ""
	var bestFrom int64 = -1 << 62
	for _, k := range p.keys {
		if t >= k.from && (k.to == 0 || t < k.to) && k.from >= bestFrom {
			best, bestFrom = k.id, k.from
		}
	}
	if best == "" && len(p.keys) > 0 {
		best = p.keys[0].id
	}
	return best
}

func (s *session) appendKey(b []byte, t int64) []byte {
	b = append(b, "ASIA"...)
	return appendB32(b, hash2(s.h, uint64(t/s.period)), 16)
}

func (s *session) issued(t int64) int64 { return t / s.period * s.period }

// consoleKey is the temporary key of a human's console session that day.
func (p *principal) appendConsoleKey(b []byte, t int64) []byte {
	b = append(b, "ASIA"...)
	return appendB32(b, hash2(p.h^0xc0, uint64(t/28800)), 16)
}

type instance struct {
	id, ip, region, az, subnet, eni, vpc, sg, ami, itype string
	acct                                                 *account
}

type account struct {
	idx       int
	id        string
	canonical string
	weight    float64
	w         *world

	principals []*principal
	byName     map[string]*principal
	mgmt       picker
	mgmtP      []*principal
	mgmtA      []*action

	instances []*instance
	kmsKeys   [][]string // per region: key UUIDs
	functions []string
	tables    []string
	params    []string
	secrets   []string
	buckets   []string // every bucket of the account, for management events
	vpc       []string // per region
	nat       []string // NAT gateway public IP per region
	sgs       []string
	identity  string // Identity Center identity store id
	roleNames []string
}

// bucket is a bucket whose server access logs are written.
type bucket struct {
	name        string
	acct        *account
	region      string
	partitioned bool
	weight      float64
	actors      []*s3Actor
	pick        picker
}

type world struct {
	cfg          Config
	seed         uint64
	start        int64
	end          int64
	accts        []*account
	acctW        picker
	regions      []string
	globalRegion string
	buckets      []*bucket
	bucketW      picker
	inc          *incident
	script       []scripted
}

// picker draws an index with probability proportional to its weight.
type picker struct {
	cum   []float64
	total float64
}

func (p *picker) add(w float64) {
	p.total += w
	p.cum = append(p.cum, p.total)
}

func (p *picker) pick(r *rng) int {
	u := r.float() * p.total
	lo, hi := 0, len(p.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if p.cum[m] > u {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

var (
	humanNames = []string{"alice", "bob.smith", "carol.nguyen", "dave.okafor", "erin.schmidt", "frank.li",
		"grace.kim", "hiro.tanaka", "ines.garcia", "jamal.wright", "kate.murphy", "liam.oconnor"}
	ssoPeople = []string{"jane.doe", "sam.patel", "omar.haddad", "mia.rossi", "noah.berg", "yuki.sato"}
	lambdaFns = []string{"ingest-events", "resize-images", "nightly-report", "slack-notifier"}
)

// Cloud provider public ranges that look like real egress addresses.
var (
	officeIPs = []string{"198.51.100.23", "198.51.100.87", "192.0.2.44", "192.0.2.130"}
	homeIPs   = []string{"73.162.214.9", "86.12.77.201", "2001:db8:4f2a:1c00:8d3e:2b1a:77f0:19c4", "24.5.118.62",
		"2001:db8:85a3:0:8a2e:370:7334:1d2e", "81.2.69.160", "90.154.12.88", "2a02:8108:1140:3f00:e5d1:2c4b:9a10:6e77"}
	ciIPs       = []string{"20.42.7.181", "20.102.35.120", "4.227.166.46", "52.234.41.9", "172.183.48.150", "13.64.193.22"}
	datadogIPs  = []string{"3.233.146.60", "3.233.147.112", "3.233.148.7", "3.233.149.201"}
	lambdaIPsUS = []string{"3.91.171.22", "54.164.90.18", "34.228.181.40", "18.208.120.3", "44.201.137.9"}
	lambdaIPsEU = []string{"34.245.12.190", "52.16.88.201", "54.75.200.81", "3.249.18.66", "18.203.61.5"}
	jenkinsIPs  = []string{"203.0.113.200", "203.0.113.201"}
	etlIPs      = []string{"62.209.46.17", "62.209.46.18"}
	cfIPs       = []string{"130.176.137.68", "130.176.98.131", "64.252.86.153", "15.158.44.17", "130.176.212.9"}
)

var (
	cliMac   = uaSpec{uaCLI, "aws-cli/2.15.17 Python/3.11.6 Darwin/23.3.0 exe/x86_64 prompt/off command/"}
	cliMacM  = uaSpec{uaCLI, "aws-cli/2.13.25 Python/3.11.5 Darwin/22.6.0 exe/arm64 prompt/off command/"}
	cliLinux = uaSpec{uaCLI, "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/"}
	cliWin   = uaSpec{uaCLI, "aws-cli/2.14.6 Python/3.11.6 Windows/10 exe/AMD64 prompt/off command/"}
	cliShell = uaSpec{uaCLI, "aws-cli/2.15.30 Python/3.11.8 Linux/4.14.255-336-264.551.amzn2.x86_64 exec-env/CloudShell exe/x86_64.amzn.2 prompt/off command/"}
	boto3Mac = uaSpec{uaFixed, "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/macos#23.3.0 md/arch#arm64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51"}
	boto3Lin = uaSpec{uaFixed, "Boto3/1.28.57 Python/3.9.16 Linux/5.10.210-201.852.amzn2.x86_64 Botocore/1.31.57"}
	boto3Lam = uaSpec{uaFixed, "Boto3/1.26.90 Python/3.9.18 Linux/5.10.209-220.813.amzn2.x86_64 exec-env/AWS_Lambda_python3.9 Botocore/1.29.90"}
	goV2     = uaSpec{uaGo, "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 md/GOOS#linux md/GOARCH#amd64 "}
	terraUA  = uaSpec{uaGo, "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 "}
	javaECS  = uaSpec{uaFixed, "aws-sdk-java/2.20.162 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_ECS_EC2"}
	ssmAgent = uaSpec{uaFixed, "aws-sdk-go/1.44.260 (go1.20.12; linux; amd64) amazon-ssm-agent/3.3.131.0"}
	datadog  = uaSpec{uaFixed, "aws-sdk-go/1.44.327 (go1.21.5; linux; amd64) Datadog/AWSIntegration"}
	jsV3     = uaSpec{uaFixed, "aws-sdk-js/3.540.0 ua/2.0 os/linux#5.15.0-1057-azure lang/js md/nodejs#20.11.1 api/sts#3.540.0"}
	browser  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36"
	browser2 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0"
)

func newWorld(cfg Config) *world {
	w := &world{cfg: cfg, seed: uint64(cfg.Seed), regions: cfg.Regions}
	w.start = cfg.Start.Unix()
	w.end = w.start + int64(cfg.Days)*86400
	w.globalRegion = cfg.Regions[0]
	if contains(cfg.Regions, "us-east-1") {
		w.globalRegion = "us-east-1"
	}
	for i, id := range cfg.Accounts {
		a := w.newAccount(i, id)
		w.accts = append(w.accts, a)
		w.acctW.add(a.weight)
	}
	if cfg.Incident {
		w.inc = newIncident(w)
	}
	w.buildBuckets()
	for _, a := range w.accts {
		w.buildMgmt(a)
	}
	w.script = w.scriptedEvents()
	return w
}

func (w *world) acct(id string) *account {
	for _, a := range w.accts {
		if a.id == id {
			return a
		}
	}
	return nil
}

func (w *world) regionIdx(r string) int {
	for i, x := range w.regions {
		if x == r {
			return i
		}
	}
	return 0
}

// otherAccount returns an account different from a, or nil with one account.
func (w *world) otherAccount(a *account) *account {
	if len(w.accts) < 2 {
		return nil
	}
	return w.accts[(a.idx+1)%len(w.accts)]
}

func (w *world) newAccount(idx int, id string) *account {
	h := hash2(w.seed, hashStr(id))
	r := newRNG(h)
	a := &account{idx: idx, id: id, w: w, byName: map[string]*principal{}}
	a.weight = 1 / float64(idx+1)
	var cb []byte
	cb = r.appendHex(cb, 64, false)
	a.canonical = string(cb)
	nreg := len(w.regions)
	a.kmsKeys = make([][]string, nreg)
	for i := range w.regions {
		for k := 0; k < 3; k++ {
			a.kmsKeys[i] = append(a.kmsKeys[i], string(r.appendUUID(nil)))
		}
		a.vpc = append(a.vpc, "vpc-0"+string(r.appendHex(nil, 16, false)))
		a.nat = append(a.nat, natIP(w.regions[i], &r))
	}
	for k := 0; k < 4; k++ {
		a.sgs = append(a.sgs, "sg-0"+string(r.appendHex(nil, 16, false)))
	}
	a.functions = lambdaFns
	a.tables = []string{"orders", "sessions", "feature-flags", "customers"}
	a.params = []string{"/prod/app/db-host", "/prod/app/api-key", "/prod/app/feature-config", "/shared/datadog/api-key"}
	a.secrets = []string{"prod/app/db", "prod/stripe/api-key", "prod/etl/warehouse"}
	a.buckets = []string{"acme-terraform-state-" + id, "acme-cloudtrail-logs-" + id, "acme-athena-results-" + id,
		"acme-lambda-artifacts-" + id}
	a.identity = "d-90" + string(r.appendHex(nil, 8, false))

	// Instances of the app fleet.
	for k := 0; k < 8; k++ {
		ri := 0
		if nreg > 1 && k%3 == 2 {
			ri = 1 + k%(nreg-1)
		}
		a.instances = append(a.instances, a.newInstance(&r, ri, 10+idx, 1+k%3, 0))
	}

	add := func(p *principal) *principal {
		p.acct = a
		p.h = hash2(h, hashStr(p.name)+uint64(p.kind))
		if p.arn == "" {
			switch p.kind {
			case kIAMUser:
				p.arn = "arn:aws:iam::" + id + ":user/" + p.name
				p.id = awsID("AIDA", p.h, 17)
			case kRole:
				p.arn = "arn:aws:iam::" + id + ":role/" + p.name
				p.id = awsID("AROA", p.h, 17)
			case kRoot:
				p.arn = "arn:aws:iam::" + id + ":root"
				p.id = id
			}
		}
		a.principals = append(a.principals, p)
		a.byName[p.name] = p
		return p
	}
	userKey := func(p *principal) {
		p.keys = append(p.keys, keyPeriod{id: awsID("AKIA", hash2(p.h, 1), 16)})
	}

	// Humans with IAM users.
	nh := 6
	for k := 0; k < nh; k++ {
		name := humanNames[(idx*5+k)%len(humanNames)]
		p := add(&principal{kind: kIAMUser, name: name, region: -1, console: k%2 == 0, mfa: k%3 != 2})
		userKey(p)
		p.ips = []string{pick(&r, officeIPs), homeIPs[(idx*3+k)%len(homeIPs)]}
		p.uas = []uaSpec{[]uaSpec{cliMac, cliMacM, cliLinux, cliWin, boto3Mac}[k%5], cliShell}
	}
	// Machine users.
	tf := add(&principal{kind: kIAMUser, name: "terraform-ci", region: -1, ips: ciIPs, uas: []uaSpec{terraUA}})
	userKey(tf)
	dd := add(&principal{kind: kIAMUser, name: "datadog-integration", region: -1, ips: datadogIPs, uas: []uaSpec{datadog}})
	userKey(dd)
	rep := add(&principal{kind: kIAMUser, name: "svc-reporting", region: -1, ips: []string{a.nat[0]}, uas: []uaSpec{boto3Lin}})
	userKey(rep)
	etl := add(&principal{kind: kIAMUser, name: "legacy-etl", region: 0, ips: etlIPs, uas: []uaSpec{{uaFixed, "aws-sdk-java/1.12.262 Linux/3.10.0-1160.el7.x86_64 OpenJDK_64-Bit_Server_VM/25.352-b08 java/1.8.0_352 vendor/Red_Hat,_Inc. cfg/retry-mode/legacy"}}})
	userKey(etl)
	jk := add(&principal{kind: kIAMUser, name: "jenkins", region: -1, ips: jenkinsIPs, uas: []uaSpec{cliLinux, goV2}})
	userKey(jk)
	if w.cfg.Incident && id == IncidentAccount {
		db := add(&principal{kind: kIAMUser, name: IncidentUserName, region: 0})
		db.keys = []keyPeriod{{id: IncidentKey}}
	}

	// Roles.
	admin := add(&principal{kind: kRole, name: "AdminRole", region: -1, mfa: true})
	for k := 0; k < 3; k++ {
		person := ssoPeople[(idx+k)%len(ssoPeople)]
		a.addSession(admin, person, "", "", 43200, false).console = k != 1
	}
	admin.ips = []string{officeIPs[0], officeIPs[1], homeIPs[(idx+4)%len(homeIPs)]}
	admin.uas = []uaSpec{cliMac, cliLinux}
	for _, sso := range []string{"AWSReservedSSO_AdministratorAccess_7c1f2e9a4b3d5e60", "AWSReservedSSO_ReadOnlyAccess_2b8e6d4c1a9f3e57"} {
		p := add(&principal{kind: kRole, name: sso, region: -1})
		p.arn = "arn:aws:iam::" + id + ":role/aws-reserved/sso.amazonaws.com/" + sso
		p.id = awsID("AROA", p.h, 17)
		for k := 0; k < 4; k++ {
			a.addSession(p, ssoPeople[(idx*2+k)%len(ssoPeople)]+"@acme.example", "", "", 28800, false).console = k%2 == 0
		}
		p.ips = append(append([]string{}, officeIPs...), homeIPs[idx%len(homeIPs)], homeIPs[(idx+2)%len(homeIPs)])
		p.uas = []uaSpec{cliMac, cliMacM, boto3Mac}
	}
	app := add(&principal{kind: kRole, name: "app-server-role", region: -1, uas: []uaSpec{boto3Lin, javaECS}})
	for _, in := range a.instances {
		s := a.addSession(app, in.id, in.ip, in.region, 21600, true)
		s.invokedBy = ""
	}
	lam := add(&principal{kind: kRole, name: "lambda-ingest-role", region: -1, uas: []uaSpec{boto3Lam}})
	for k, fn := range lambdaFns {
		ri := k % nreg
		a.addSession(lam, fn, "", w.regions[ri], 14400, false)
	}
	ecs := add(&principal{kind: kRole, name: "etl-batch-role", region: -1, uas: []uaSpec{javaECS}})
	for k := 0; k < 5; k++ {
		a.addSession(ecs, string(r.appendHex(nil, 32, false)), "10."+strconv.Itoa(10+idx)+".4."+strconv.Itoa(20+k*7), w.regions[(k/3)%nreg], 21600, false)
	}
	gh := add(&principal{kind: kRole, name: "github-actions-deploy", region: -1, ips: ciIPs, uas: []uaSpec{jsV3, cliLinux}})
	a.addSession(gh, "GitHubActions", "", "", 3600, false)
	asg := add(&principal{kind: kRole, name: "AWSServiceRoleForAutoScaling", region: -1})
	asg.arn = "arn:aws:iam::" + id + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
	asg.id = awsID("AROA", asg.h, 17)
	s := a.addSession(asg, "AutoScaling", "autoscaling.amazonaws.com", "", 3600, false)
	s.invokedBy = "autoscaling.amazonaws.com"
	xacct := add(&principal{kind: kRole, name: "cross-account-audit", region: -1})
	xacct.ips = datadogIPs
	a.roleNames = []string{"AdminRole", "app-server-role", "lambda-ingest-role", "etl-batch-role", "github-actions-deploy", "cross-account-audit"}

	add(&principal{kind: kRoot, name: "root", region: -1, ips: homeIPs[idx%2 : idx%2+1], console: true, mfa: true})
	add(&principal{kind: kService, name: "AWSService", region: -1})
	add(&principal{kind: kInternal, name: "AWSInternal", region: -1})
	ic := add(&principal{kind: kIdentityCenter, name: "identity-center", region: -1, ips: append([]string{}, officeIPs...)})
	ic.extra = a.identity
	web := add(&principal{kind: kWebIdentity, name: "github-oidc", region: -1, ips: ciIPs})
	web.extra = "repo:acme/platform-infra:ref:refs/heads/main"
	if len(w.cfg.Accounts) > 1 {
		other := w.cfg.Accounts[(idx+1)%len(w.cfg.Accounts)]
		caller := add(&principal{kind: kAWSAccount, name: "caller-" + other, region: -1, ips: datadogIPs})
		caller.extra = other
		caller.id = awsID("AIDA", hash2(hashStr(other), 77), 17)
	}
	return a
}

func (a *account) addSession(role *principal, name, ip, region string, period int64, ec2 bool) *session {
	s := &session{role: role, name: name, ip: ip, region: region, ec2: ec2, period: period}
	s.arn = "arn:aws:sts::" + a.id + ":assumed-role/" + role.name + "/" + name
	s.pid = role.id + ":" + name
	s.h = hash2(role.h, hashStr(name))
	role.sessions = append(role.sessions, s)
	return s
}

func (a *account) newInstance(r *rng, ri, net2, subnet, host int) *instance {
	w := a.w
	reg := w.regions[ri]
	in := &instance{acct: a, region: reg, itype: pick(r, []string{"m6i.large", "c6g.xlarge", "t3.medium", "r6i.large"})}
	in.id = "i-0" + string(r.appendHex(nil, 16, false))
	if host == 0 {
		host = r.between(10, 250)
	}
	in.ip = "10." + strconv.Itoa(net2) + "." + strconv.Itoa(subnet) + "." + strconv.Itoa(host)
	in.az = reg + string(rune('a'+subnet%3))
	in.subnet = "subnet-0" + string(r.appendHex(nil, 16, false))
	in.eni = "eni-0" + string(r.appendHex(nil, 16, false))
	in.vpc = a.vpc[ri]
	in.sg = a.sgs[0]
	in.ami = "ami-0" + string(r.appendHex(nil, 16, false))
	return in
}

func natIP(region string, r *rng) string {
	if strings.HasPrefix(region, "eu-") {
		return "34.24" + strconv.Itoa(r.intn(8)) + "." + strconv.Itoa(r.between(1, 254)) + "." + strconv.Itoa(r.between(1, 254))
	}
	return "54.2" + strconv.Itoa(10+r.intn(30)) + "." + strconv.Itoa(r.between(1, 254)) + "." + strconv.Itoa(r.between(1, 254))
}

// regionFor picks the region of a call by p (or its session).
func (w *world) regionFor(r *rng, p *principal, s *session) string {
	if s != nil && s.region != "" {
		return s.region
	}
	if p.region >= 0 && p.region < len(w.regions) {
		if len(w.regions) == 1 || r.chance(0.85) {
			return w.regions[p.region]
		}
	}
	if len(w.regions) == 1 || r.chance(0.7) {
		return w.regions[0]
	}
	return w.regions[1+r.intn(len(w.regions)-1)]
}

// profile lists the management calls of a principal ("EventName:weight …")
// and the principal's share of all calls in its account.
type profile struct {
	weight  float64
	actions string // "EventName:weight ..."
}

const humanActions = "DescribeInstances:8 DescribeSecurityGroups:3 DescribeVolumes:2 DescribeNetworkInterfaces:1 DescribeRegions:1 DescribeImages:1 " +
	"ListBuckets:4 GetBucketLocation:3 GetBucketPolicy:2 GetBucketVersioning:1 GetBucketAcl:1 GetBucketEncryption:0.5 GetUser:2 ListUsers:2 ListRoles:2 GetRole:2 " +
	"ListAccessKeys:1 GetAccessKeyLastUsed:0.5 ListAttachedRolePolicies:1 GetCallerIdentity:4 DescribeLogGroups:2 FilterLogEvents:1 " +
	"DescribeTrails:0.5 LookupEvents:1 GetMetricData:1 DescribeAlarms:1 ListFunctions20150331:2 GetFunction20150331v2:1 " +
	"UpdateFunctionCode20150331v2:0.3 CreateTags:0.5 StartInstances:0.2 StopInstances:0.2 TerminateInstances:0.05 RunInstances:0.05 " +
	"DescribeTable:1 ListTables:0.5 GetParameter:1 GetSecretValue:0.3 DescribeSecret:0.3 DescribeKey:0.5 AttachRolePolicy:0.05 " +
	"AuthorizeSecurityGroupIngress:0.05 PutRetentionPolicy:0.1"

var profiles = map[string]profile{
	"human":                        {2.2, humanActions + " ConsoleLogin:0.8 GetSessionToken:0.1 AssumeRole:0.6"},
	"AdminRole":                    {2.0, humanActions},
	"AWSReservedSSO":               {2.0, humanActions},
	"terraform-ci":                 {7, "DescribeInstances:3 DescribeSecurityGroups:4 DescribeVolumes:1 DescribeImages:2 DescribeNetworkInterfaces:1 GetRole:4 ListAttachedRolePolicies:3 GetPolicyVersion:2 GetBucketPolicy:2 GetBucketVersioning:2 GetBucketEncryption:2 GetBucketAcl:2 GetBucketTagging:2 GetBucketPublicAccessBlock:1 GetBucketLocation:1 DescribeLogGroups:2 GetFunction20150331v2:2 DescribeTable:2 DescribeKey:2 GetCallerIdentity:3 GetTrailStatus:0.5 DescribeTrails:0.5 GetEventSelectors:0.5 DescribeAlarms:1 CreateTags:0.5 AuthorizeSecurityGroupIngress:0.1 PutRetentionPolicy:0.2 UpdateFunctionCode20150331v2:0.2"},
	"datadog-integration":          {18, "DescribeInstances:4 GetMetricData:10 DescribeAlarms:2 ListMetrics:3 DescribeVolumes:2 ListFunctions20150331:2 DescribeTrails:1 GetTrailStatus:1 ListBuckets:1 GetBucketLocation:1 GetBucketTagging:1 DescribeTable:1 ListTables:1 DescribeTargetHealth:2 DescribeSecurityGroups:1"},
	"svc-reporting":                {6, "GetCallerIdentity:1 ListBuckets:1 Decrypt:2 GetParameter:2 DescribeTable:1"},
	"legacy-etl":                   {8, "GetCallerIdentity:2 ListBuckets:2 GetBucketLocation:2 Decrypt:1"},
	"jenkins":                      {6, "GetAuthorizationToken:4 DescribeInstances:2 GetCallerIdentity:2 UpdateFunctionCode20150331v2:0.5 GetFunction20150331v2:1 CreateTags:0.5"},
	"app-server-role":              {10, "UpdateInstanceInformation:6 ListInstanceAssociations:3 GetParameter:4 GetParameters:2 GetSecretValue:2 Decrypt:5 GenerateDataKey:1 GetCallerIdentity:1 DescribeTags:2 CreateLogStream:1 DescribeInstances:0.5"},
	"lambda-ingest-role":           {7, "CreateLogStream:3 Decrypt:3 GetParameter:3 GetSecretValue:2 DescribeTable:1 GetCallerIdentity:0.5 GenerateDataKey:1"},
	"etl-batch-role":               {5, "GetParameter:2 Decrypt:3 GetSecretValue:1 GetCallerIdentity:0.5 GenerateDataKey:2 DescribeTable:1"},
	"github-actions-deploy":        {3, "GetCallerIdentity:2 GetAuthorizationToken:3 UpdateFunctionCode20150331v2:1 GetFunction20150331v2:2 DescribeInstances:1 ListBuckets:1 GetBucketLocation:1 GetRole:1 CreateTags:0.5"},
	"AWSServiceRoleForAutoScaling": {0.3, "RunInstances:1 TerminateInstances:1"},
	"cross-account-audit":          {0, ""},
	"root":                         {0.1, "ConsoleLogin:2 GetAccountSummary:1 ListMFADevices:1 ListBuckets:1"},
	"AWSService":                   {12, "AssumeRole:1"},
	"AWSInternal":                  {0.1, "RotateKey:1"},
	"identity-center":              {1, "ListAccounts:2 ListAccountRoles:2 GetRoleCredentials:3"},
	"github-oidc":                  {0.7, "AssumeRoleWithWebIdentity:1"},
	"caller":                       {0.4, "AssumeRole:1"},
}

func profileFor(p *principal) profile {
	switch {
	case p.kind == kIAMUser && p.name == IncidentUserName:
		return profile{}
	case p.kind == kAWSAccount:
		return profiles["caller"]
	case strings.HasPrefix(p.name, "AWSReservedSSO"):
		return profiles["AWSReservedSSO"]
	}
	if pr, ok := profiles[p.name]; ok {
		return pr
	}
	if p.kind == kIAMUser {
		return profiles["human"]
	}
	return profile{}
}

// buildMgmt flattens the principals' profiles into one weighted table.
func (w *world) buildMgmt(a *account) {
	for _, p := range a.principals {
		pr := profileFor(p)
		if pr.weight == 0 || pr.actions == "" {
			continue
		}
		pw := pr.weight
		var sum float64
		type aw struct {
			a *action
			w float64
		}
		var list []aw
		for _, f := range strings.Fields(pr.actions) {
			name, ws, _ := strings.Cut(f, ":")
			x, err := strconv.ParseFloat(ws, 64)
			act := actionByName[name]
			if err != nil || act == nil {
				panic("gen: bad profile entry " + f)
			}
			if !p.console && act.name == "ConsoleLogin" && p.kind != kRoot {
				continue
			}
			list = append(list, aw{act, x})
			sum += x
		}
		for _, e := range list {
			a.mgmt.add(pw * e.w / sum)
			a.mgmtP = append(a.mgmtP, p)
			a.mgmtA = append(a.mgmtA, e.a)
			p.acts = append(p.acts, e.a)
			p.actPick.add(e.w)
		}
	}
}
