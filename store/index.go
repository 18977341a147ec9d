package store

import (
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/internal/parquet"
)

// The index tables are written by the Batch of the cloudtrail table, with
// its rows and in the same manifest delta, so that they never disagree with
// it: a file's entry has the Index version, and an investigation that finds
// every CloudTrail file indexed reads the small index views instead of
// scanning every event (see Manifest.Indexed).

// indexOf returns the index version of new files of table.
func indexOf(table string) int {
	if table == TableCloudTrail {
		return IndexVersion
	}
	return 0
}

// MgmtEventNames are the management events the mgmt_events index points
// to (failed calls included), by event source: IAM's access-key events (a
// key's owner and life) and EC2's events that assign addresses (which
// instance had an IP).
var MgmtEventNames = map[string][]string{
	"iam.amazonaws.com": {"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"},
	"ec2.amazonaws.com": {"RunInstances", "CreateNetworkInterface", "AssignPrivateIpAddresses", "AssociateAddress"},
}

// IsMgmtEvent reports whether the mgmt_events index points to the events
// of this source and name.
func IsMgmtEvent(source, name string) bool {
	return slices.Contains(MgmtEventNames[source], name)
}

// usageSchema returns the schema of a usage index: account, region and
// three more string columns, then the number of events and the first and
// last of them. One row per day (the folder) and distinct values; a day's
// rows may be spread over several files: sum the events, take the least
// first_seen and the greatest last_seen. An account or region the logs'
// folders did not name is NULL (as in the cloudtrail table); other absent
// values are "".
func usageSchema(names ...string) *arrow.Schema {
	fs := strFields(append([]string{"account", "region"}, names...)...)
	fs = append(fs, field("events", arrow.PrimitiveTypes.Int64), field("first_seen", timestampType), field("last_seen", timestampType))
	return arrow.NewSchema(fs, nil)
}

// MgmtEventsSchema is the schema of the mgmt_events index: one row per
// event of MgmtEventNames, which names it (its day is the folder; read it
// from the cloudtrail table by date and eventid) and lists the IP
// addresses that its response elements hold as JSON strings, verbatim.
var MgmtEventsSchema = arrow.NewSchema(append(strFields("account", "region", "eventsource", "eventname", "eventid", "errorcode"),
	field("eventtimestamp", timestampType), field("addresses", arrow.ListOf(str))), nil)

// mgmtRow is a row of the mgmt_events index.
type mgmtRow struct {
	account, region, source, name, id string
	errorCode                         keytrail.NullString
	t                                 time.Time
	addresses                         []string
}

// addresses returns the JSON strings of text that are IP addresses, as
// written, each once.
func addresses(text string) []string {
	var out []string
	for i := 0; i < len(text); i++ {
		if text[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(text) && text[j] != '"' && text[j] != '\\' && j-i <= 46 {
			j++
		}
		if j < len(text) && text[j] == '"' {
			if v := text[i+1 : j]; len(v) >= 2 && (strings.IndexByte(v, '.') > 0 || strings.IndexByte(v, ':') >= 0) && !slices.Contains(out, v) {
				if _, err := netip.ParseAddr(v); err == nil {
					out = append(out, strings.Clone(v)) // not a piece of the event's text
				}
			}
			i = j // the closing quote; the next string starts after it
			continue
		}
		// A long or escaped string: skip to its end.
		for j < len(text) && text[j] != '"' {
			if text[j] == '\\' {
				j++
			}
			j++
		}
		i = j
	}
	return out
}

var (
	// KeyUsageSchema is the schema of the key_usage index: which access
	// keys each principal used. Events without an access key are not
	// counted.
	KeyUsageSchema = usageSchema("arn", "type", "accesskeyid")
	// IPUsageSchema is the schema of the ip_usage index: the events from
	// each source address whose caller was a role session named after an
	// EC2 instance (instance: its id, as regexp_extract(useridentity.arn,
	// InstanceSessionPattern, 1) gives it) or that came through a VPC
	// endpoint. Other events are not counted.
	IPUsageSchema = usageSchema("sourceipaddress", "instance", "vpcendpointid")
)

// InstanceSessionPattern matches the ARN of a role session named after an
// EC2 instance (the name EC2 gives its instance profile's sessions); its
// group is the instance id.
const InstanceSessionPattern = `assumed-role/[^/]+/(i-[0-9a-f]+)$`

var instanceSession = regexp.MustCompile(InstanceSessionPattern)

// usage is a usage index being gathered: by day, the events of each
// distinct account, region and three values.
type usage map[string]map[[5]string]*keyAgg

type keyAgg struct {
	events      int64
	first, last time.Time
}

func (u usage) add(day string, k [5]string, t time.Time) {
	d := u[day]
	if d == nil {
		d = map[[5]string]*keyAgg{}
		u[day] = d
	}
	a := d[k]
	if a == nil {
		a = &keyAgg{first: t, last: t}
		d[k] = a
	}
	a.events++
	if t.Before(a.first) {
		a.first = t
	}
	if t.After(a.last) {
		a.last = t
	}
}

// index adds what the index tables need of ev, which was added to the
// cloudtrail partition p.
func (b *Batch) index(p Partition, pb *partBuf, ev *keytrail.Event) {
	src, name := ev.EventSource.String, ev.EventName.String
	if src == "s3.amazonaws.com" {
		if ev.EventCategory.String == "Data" {
			pb.s3Data++
		}
		if strings.Contains(ev.RequestParameters.String, `"key"`) {
			pb.s3Objects++
		}
	}
	if IsMgmtEvent(src, name) {
		b.mgmt[p.Day] = append(b.mgmt[p.Day], mgmtRow{account: p.Account, region: p.Region, source: src, name: name,
			id: strings.Clone(ev.EventID.String), errorCode: ev.ErrorCode, t: ev.Time, addresses: addresses(ev.ResponseElements.String)})
	}
	u := &ev.UserIdentity
	if u.AccessKeyID.String != "" {
		b.keys.add(p.Day, [5]string{p.Account, p.Region, u.ARN.String, u.Type.String, u.AccessKeyID.String}, ev.Time)
	}
	inst := ""
	if arn := u.ARN.String; strings.Contains(arn, "/i-") && strings.Contains(arn, "assumed-role/") {
		if m := instanceSession.FindStringSubmatch(arn); m != nil {
			inst = m[1]
		}
	}
	if inst != "" || ev.VPCEndpointID.String != "" {
		b.ips.add(p.Day, [5]string{p.Account, p.Region, ev.SourceIPAddress.String, inst, ev.VPCEndpointID.String}, ev.Time)
	}
}

// finishUsage writes the usage gathered since the last call as one file of
// table per day, pending like the batch's other files.
func (b *Batch) finishUsage(table string, sc *parquet.Schema, u usage) error {
	for _, day := range slices.Sorted(maps.Keys(u)) {
		rows := u[day]
		delete(u, day)
		keys := slices.SortedFunc(maps.Keys(rows), func(x, y [5]string) int { return slices.Compare(x[:], y[:]) })
		fp := Partition{Table: table, Day: day}
		entry := FileEntry{Table: table, Partition: fp}
		rg := sc.NewRowGroup()
		for _, k := range keys {
			a := rows[k]
			s := shredder{c: rg.Columns}
			s.orNull(k[0])
			s.orNull(k[1])
			for _, v := range k[2:] {
				s.str(v)
			}
			s.c[s.i].Int64(a.events, 0)
			s.i++
			s.time(a.first)
			s.time(a.last)
			rg.Rows++
			entry.add(Partition{Table: table, Account: k[0], Region: k[1]}, 1, a.first, a.last)
		}
		if err := b.writeIndex(sc, rg, entry); err != nil {
			return err
		}
	}
	return nil
}

// finishMgmt writes the mgmt_events rows gathered since the last call, one
// file per day.
func (b *Batch) finishMgmt() error {
	for _, day := range slices.Sorted(maps.Keys(b.mgmt)) {
		rows := b.mgmt[day]
		delete(b.mgmt, day)
		fp := Partition{Table: TableMgmtEvents, Day: day}
		entry := FileEntry{Table: TableMgmtEvents, Partition: fp}
		rg := mgmtSchema.NewRowGroup()
		for _, r := range rows {
			s := shredder{c: rg.Columns}
			s.orNull(r.account)
			s.orNull(r.region)
			for _, v := range [...]string{r.source, r.name, r.id} {
				s.str(v)
			}
			s.ns(r.errorCode, 0)
			s.time(r.t)
			addrs := r.addresses
			if addrs == nil {
				addrs = []string{} // never NULL: [] when none
			}
			s.strList(addrs)
			rg.Rows++
			entry.add(Partition{Table: TableMgmtEvents, Account: r.account, Region: r.region}, 1, r.t, r.t)
		}
		if err := b.writeIndex(mgmtSchema, rg, entry); err != nil {
			return err
		}
	}
	return nil
}

// writeIndex writes the rows of rg as the file of entry, pending like the
// batch's other files.
func (b *Batch) writeIndex(sc *parquet.Schema, rg *parquet.RowGroup, entry FileEntry) error {
	b.seq++
	name := fmt.Sprintf("part-%s-%04d.parquet", b.id, b.seq)
	tmp := filepath.Join(b.s.path(tmpDir), name)
	size, err := writeParquet(tmp, sc, rg)
	if err != nil {
		return err
	}
	entry.Path, entry.Bytes = entry.Partition.Dir()+"/"+name, size
	b.pending = append(b.pending, pendingFile{tmp: tmp, entry: entry})
	return nil
}
