package gen

import "sort"

type incKind uint8

const (
	incUpload incKind = iota
	incLaptopList
	incLaptopHead
	incLaptopGet
)

// incReq is one S3 request of the incident story.
type incReq struct {
	t     int64
	sched int64 // the cron slot (uploads) or the dump it refers to
	kind  incKind
	size  int64
}

// incident holds the story's timeline.
type incident struct {
	acct       *account
	inst       *instance
	launch     int64
	created    int64 // second key created
	deactivate int64 // first key deactivated; uploads stop
	requests   []incReq
	laptop     []int64 // laptop session starts
	listings   []int64 // ListBuckets times of the script
	identity   []int64 // GetCallerIdentity times of the script
}

// dumpSize is the size of the database dump of a cron slot: it grows slowly.
func (inc *incident) dumpSize(w *world, sched int64) int64 {
	return 3_100_000 + (sched-w.start)/300*97 + int64(hash2(w.seed, uint64(sched))%40000)
}

func newIncident(w *world) *incident {
	a := w.acct(IncidentAccount)
	inc := &incident{acct: a}
	r := newRNG(hash2(w.seed, 0x1c1d))
	ri := w.regionIdx(IncidentRegion)
	in := a.newInstance(&r, ri, 0, 3, 17)
	in.id, in.ip, in.itype = IncidentInstance, IncidentIP, "t3.small"
	inc.inst = in
	a.instances = append(a.instances, in)

	day0 := w.start
	last := w.start + int64(w.cfg.Days-1)*86400
	inc.launch = day0 + 9*3600 + 12*60 + 37
	created := day0 + 16*3600 + 41*60 + 7
	if w.cfg.Days > 1 {
		created += 86400
	}
	inc.created = created
	deact := last + 14*3600 + 37*60 + 12
	if deact < created+6*3600 {
		deact = created + 6*3600
	}
	if deact > w.end-600 {
		deact = w.end - 600
	}
	inc.deactivate = deact

	// The cron job: every 5 minutes from a few minutes after boot.
	slot := (inc.launch+240)/300*300 + 300
	for ; ; slot += 300 {
		t := slot + int64(r.between(-20, 20))
		if t >= deact {
			break
		}
		inc.requests = append(inc.requests, incReq{t: t, sched: slot, kind: incUpload, size: inc.dumpSize(w, slot)})
	}
	// The script checks its identity once a day and lists buckets now and then.
	inc.identity = append(inc.identity, inc.launch+185)
	for d := day0 + 86400; d < deact; d += 86400 {
		inc.identity = append(inc.identity, d+120+int64(r.intn(40)))
		for k := 0; k < 3; k++ {
			if t := d + int64(r.intn(86400)); t < deact {
				inc.listings = append(inc.listings, t)
			}
		}
	}
	inc.listings = append(inc.listings, inc.launch+200)
	sort.Slice(inc.listings, func(i, j int) bool { return inc.listings[i] < inc.listings[j] })

	// The laptop with the second key: soon after its creation, then once a
	// day at most three times.
	for k, t := 0, created+25*60; k < 3 && t < w.end-3600; k, t = k+1, t+86400+int64(r.between(-7200, 7200)) {
		inc.laptop = append(inc.laptop, t)
		recent := (t - 300) / 300 * 300
		if recent >= deact {
			recent = (deact - 300) / 300 * 300
		}
		sz := inc.dumpSize(w, recent)
		inc.requests = append(inc.requests,
			incReq{t: t + 40, sched: recent, kind: incLaptopList},
			incReq{t: t + 52, sched: recent, kind: incLaptopHead, size: sz},
			incReq{t: t + 53, sched: recent, kind: incLaptopGet, size: sz})
	}
	sort.SliceStable(inc.requests, func(i, j int) bool { return inc.requests[i].t < inc.requests[j].t })

	// deploy-bot's keys.
	u := a.byName[IncidentUserName]
	u.keys = []keyPeriod{{id: IncidentKey, to: deact}, {id: IncidentSecondKey, from: created}}
	return inc
}

// scriptedEvents returns the story events (incident, key rotations) sorted
// by time.
func (w *world) scriptedEvents() []scripted {
	var ev []scripted
	region := w.globalRegion
	if inc := w.inc; inc != nil {
		a := inc.acct
		admin := a.byName["AdminRole"]
		adminS := admin.sessions[0]
		bot := a.byName[IncidentUserName]
		office := officeIPs[0]
		ev = append(ev, scripted{t: inc.launch, acct: a, region: IncidentRegion, p: admin, s: adminS, act: actionByName["RunInstances"],
			ip: office, ua: cliMac.s + "ec2.run-instances", setup: func(c *evCtx) {
				c.inst, c.instName = inc.inst, "backup-runner"
			}})
		ev = append(ev, scripted{t: inc.launch + 6, acct: a, region: IncidentRegion, p: admin, s: adminS, act: actionByName["DescribeInstances"],
			ip: office, ua: cliMac.s + "ec2.describe-instances"})
		cli := "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.167.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/"
		for _, t := range inc.identity {
			ev = append(ev, scripted{t: t, acct: a, region: IncidentRegion, p: bot, act: actionByName["GetCallerIdentity"], key: IncidentKey,
				ip: IncidentIP, ua: cli + "sts.get-caller-identity", vpce: vpceID(a.id, IncidentRegion, "sts")})
		}
		for _, t := range inc.listings {
			ev = append(ev, scripted{t: t, acct: a, region: IncidentRegion, p: bot, act: actionByName["ListBuckets"], key: IncidentKey,
				ip: IncidentIP, ua: cli + "s3.ls", vpce: IncidentVPCEndpoint})
		}
		ev = append(ev, scripted{t: inc.created, acct: a, region: region, p: admin, s: adminS, act: actionByName["CreateAccessKey"],
			ip: office, ua: cliMac.s + "iam.create-access-key", setup: func(c *evCtx) { c.strA, c.strB = IncidentUserName, IncidentSecondKey }})
		for _, t := range inc.laptop {
			ev = append(ev, scripted{t: t, acct: a, region: IncidentRegion, p: bot, act: actionByName["GetCallerIdentity"], key: IncidentSecondKey,
				ip: IncidentLaptopIP, ua: IncidentLaptopUserAgent})
			ev = append(ev, scripted{t: t + 21, acct: a, region: IncidentRegion, p: bot, act: actionByName["ListBuckets"], key: IncidentSecondKey,
				ip: IncidentLaptopIP, ua: IncidentLaptopUserAgent})
		}
		ev = append(ev, scripted{t: inc.deactivate, acct: a, region: region, p: admin, s: adminS, act: actionByName["UpdateAccessKey"],
			ip: office, ua: cliMac.s + "iam.update-access-key", setup: func(c *evCtx) {
				c.strA, c.strB, c.strC = IncidentUserName, IncidentKey, "Inactive"
			}})
	}
	// Routine key rotation of a machine user per account, half-way through.
	if w.cfg.Days >= 4 {
		for _, a := range w.accts {
			u := a.byName["svc-reporting"]
			admin := a.byName["AdminRole"]
			s := admin.sessions[1%len(admin.sessions)]
			old := u.keys[0].id
			nk := w.rotatedKey(u)
			t0 := w.start + int64(w.cfg.Days/2)*86400 + 10*3600 + int64(hash2(u.h, 5)%3600)
			ua := cliLinux.s
			ev = append(ev, scripted{t: t0, acct: a, region: region, p: admin, s: s, act: actionByName["CreateAccessKey"], ip: admin.ips[0],
				ua: ua + "iam.create-access-key", setup: func(c *evCtx) { c.strA, c.strB = u.name, nk }})
			if t := t0 + 86400 + 600; t < w.end {
				ev = append(ev, scripted{t: t, acct: a, region: region, p: admin, s: s, act: actionByName["UpdateAccessKey"], ip: admin.ips[0],
					ua: ua + "iam.update-access-key", setup: func(c *evCtx) { c.strA, c.strB, c.strC = u.name, old, "Inactive" }})
			}
			if t := t0 + 86400 + 3600; t < w.end {
				ev = append(ev, scripted{t: t, acct: a, region: region, p: admin, s: s, act: actionByName["DeleteAccessKey"], ip: admin.ips[0],
					ua: ua + "iam.delete-access-key", setup: func(c *evCtx) { c.strA, c.strB = u.name, old }})
			}
		}
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].t < ev[j].t })
	return ev
}

// rotatedKey returns the replacement key of a rotated user, and records
// when each key is in use. It is idempotent.
func (w *world) rotatedKey(u *principal) string {
	nk := awsID("AKIA", hash2(u.h, 2), 16)
	if len(u.keys) == 1 {
		t0 := w.start + int64(w.cfg.Days/2)*86400 + 10*3600 + int64(hash2(u.h, 5)%3600)
		u.keys[0].to = t0 + 1800
		u.keys = append(u.keys, keyPeriod{id: nk, from: t0 + 1800})
	}
	return nk
}
