package investigate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/iamkeys"
	"github.com/keytrail/keytrail/store"
)

// KeyReport investigates an access key: it resolves the principals that own it
// (CloudTrail events made with it, IAM events that name it, opts.Principals),
// gathers the CloudTrail events made with it and the S3 access-log requests
// of those principals, and groups them by source IP and user agent.
// Returns EINVALID for a malformed key id. A key the logs never name is not
// an error: the report says so and how to go on.
func KeyReport(ctx context.Context, db *store.DB, keyID string, opts Options) (*Report, error) {
	keyID = strings.TrimSpace(keyID)
	if err := ValidateKeyID(keyID); err != nil {
		return nil, err
	}
	for _, p := range opts.Principals {
		if err := ValidateARN(p); err != nil {
			return nil, err
		}
	}
	s := newSession(ctx, db, "key", keyID, opts)
	principals := map[string]*Principal{}
	order := []string{}
	addP := func(arn, typ, source string) *Principal {
		p := principals[arn]
		if p == nil {
			p = &Principal{ARN: arn, Type: typ}
			principals[arn] = p
			order = append(order, arn)
		}
		if p.Type == "" {
			p.Type = typ
		}
		for _, x := range p.Source {
			if x == source {
				return p
			}
		}
		p.Source = append(p.Source, source)
		return p
	}
	// 1. CloudTrail events made with the key: evidence, and its principals.
	cond, args, err := s.keyFiles(keyID)
	if err != nil {
		return nil, err
	}
	if err := s.ctEvidence(cond, args...); err != nil {
		return nil, err
	}
	arns := map[string]bool{}
	for _, a := range s.actors {
		for p := range a.principals {
			if strings.HasPrefix(p, "arn:") {
				arns[p] = true
			}
		}
	}
	// 2. IAM events that name the key: who owns it, and its life.
	if err := s.loadIAMKeys(); err != nil {
		return nil, err
	}
	var state *KeyState
	for i := range s.iamKeys {
		if s.iamKeys[i].KeyID == keyID {
			state = &s.iamKeys[i]
		}
	}
	if state != nil && state.User != "" {
		arns[state.User] = true
	}
	for _, arn := range opts.Principals {
		arns[arn] = true
	}
	owner := opts.IAM
	if owner != nil && owner.ARN != "" {
		arns[owner.ARN] = true
	}
	// 3. How often each principal used the key, and which other long-term
	// keys it used (for the ambiguity check), in one scan.
	if err := s.loadKeyUsage(keyID, slices.Sorted(maps.Keys(arns))); err != nil {
		return nil, err
	}
	for _, u := range s.usage {
		if u.key == keyID && u.arn != "" {
			p := addP(u.arn, u.typ, "cloudtrail")
			p.Events, p.FirstSeen, p.LastSeen = u.events, u.first, u.last
		}
	}
	if state != nil && state.User != "" {
		addP(state.User, "IAMUser", "iam-event")
	}
	if owner != nil && owner.ARN != "" {
		addP(owner.ARN, "IAMUser", "iam-api")
	}
	// 4. Principals given by the user.
	for _, arn := range opts.Principals {
		addP(arn, "", "flag")
	}
	s.rep.IAM = owner
	if opts.IAMError != "" {
		s.finding("info", "iam-not-asked", "IAM could not tell the key's owner: %s", opts.IAMError)
	}
	if owner != nil {
		for _, n := range owner.Notes {
			s.finding("info", "iam-partial", "IAM: %s", n)
		}
	}
	if len(order) == 0 {
		s.finding("warning", "principal-unknown", "No CloudTrail event in the store was made with %s, and no IAM event names it, so its owner is unknown and the S3 access logs (which record the requester, not the key) cannot be searched. Give the owner with --principal arn:aws:iam::ACCOUNT:user/NAME (the IAM console shows it under the key, or: aws iam get-access-key-last-used --access-key-id %s).", keyID, keyID)
	}
	// Other keys of the principals make access-log attribution ambiguous.
	for _, arn := range order {
		p := principals[arn]
		p.OtherKeys = s.otherKeys(arn, keyID)
		s.rep.Principals = append(s.rep.Principals, *p)
	}
	if state != nil {
		s.rep.Keys = append(s.rep.Keys, *state)
	}
	// Access-log evidence.
	if err := s.principalRequests(order); err != nil {
		return nil, err
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	for _, p := range s.rep.Principals {
		if len(p.OtherKeys) > 0 {
			s.finding("warning", "ambiguous", "%s also had other access keys in the window (%s): the S3 access logs name the principal, not the key, so their requests may have been made with those keys. Requests CloudTrail recorded with %s are certain.", p.ARN, strings.Join(p.OtherKeys, ", "), keyID)
		}
	}
	if state != nil && !state.Deactivated.IsZero() {
		s.afterDeactivation(keyID, state.Deactivated)
	}
	s.iamLastUsed(owner)
	s.conclude()
	return s.rep, nil
}

// iamLastUsed compares IAM's last use of the key with the newest evidence:
// a later use that the store does not show means logs are missing.
func (s *session) iamLastUsed(owner *iamkeys.Owner) {
	if owner == nil || owner.LastUsed == nil {
		return
	}
	var newest time.Time
	for _, r := range s.evidence {
		if r.t.After(newest) {
			newest = r.t
		}
	}
	at := owner.LastUsed.UTC()
	where := strings.TrimSpace(owner.LastService + " in " + owner.LastRegion)
	if owner.LastRegion == "" {
		where = owner.LastService
	}
	// IAM records the last use to within hours, not seconds.
	if at.After(newest.Add(4*time.Hour)) && (s.opts.Range.To.IsZero() || at.Before(s.opts.Range.To)) {
		seen := "no evidence at all"
		if !newest.IsZero() {
			seen = "the newest evidence from " + newest.Format("2006-01-02 15:04")
		}
		s.finding("warning", "iam-newer-use", "IAM says the key was last used %s (%s), but the store holds %s: ingest the logs since then, or the use went where no log reaches (a bucket without access logs, a service without data events).",
			at.Format("2006-01-02 15:04 UTC"), where, seen)
	}
}

// PrincipalReport investigates an IAM or STS principal: its CloudTrail events and
// its S3 access-log requests, by source IP and user agent.
func PrincipalReport(ctx context.Context, db *store.DB, arn string, opts Options) (*Report, error) {
	arn = strings.TrimSpace(arn)
	if err := ValidateARN(arn); err != nil {
		return nil, err
	}
	s := newSession(ctx, db, "principal", arn, opts)
	if err := s.loadKeyUsage("", []string{arn}); err != nil {
		return nil, err
	}
	if err := s.loadIAMKeys(); err != nil {
		return nil, err
	}
	p := Principal{ARN: arn, Source: []string{"flag"}, OtherKeys: s.otherKeys(arn, "")}
	for _, u := range s.usage {
		if u.arn == arn {
			p.Type = u.typ
		}
	}
	if err := s.ctEvidence(`useridentity.arn = ?`, arn); err != nil {
		return nil, err
	}
	for _, r := range s.evidence {
		if r.source != "cloudtrail" {
			continue
		}
		p.Events++
		if p.FirstSeen.IsZero() || r.t.Before(p.FirstSeen) {
			p.FirstSeen = r.t
		}
		if r.t.After(p.LastSeen) {
			p.LastSeen = r.t
		}
	}
	s.rep.Principals = append(s.rep.Principals, p)
	if err := s.principalRequests([]string{arn}); err != nil {
		return nil, err
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	if len(s.rep.Actors) == 0 {
		s.finding("warning", "principal-unknown", "Neither CloudTrail nor the S3 access logs in the store show %s in the window.", arn)
	}
	s.conclude()
	return s.rep, nil
}

// IPReport investigates a source address: the CloudTrail events and S3 requests
// from it, by user agent, with the principals behind them.
func IPReport(ctx context.Context, db *store.DB, ip string, opts Options) (*Report, error) {
	ip = strings.TrimSpace(ip)
	if ip != "AWS Internal" && !strings.HasSuffix(ip, ".amazonaws.com") {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, keytrail.Errorf(keytrail.EINVALID, "%q is not an IP address: give an IPv4 (10.0.3.17) or IPv6 (2001:db8::1) address, \"AWS Internal\" or a service name", ip)
		}
		ip = addr.String()
	}
	s := newSession(ctx, db, "ip", ip, opts)
	if err := s.ctEvidence(`sourceipaddress = ?`, ip); err != nil {
		return nil, err
	}
	if err := s.s3Evidence(`remoteip = ?`, ip); err != nil {
		return nil, err
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, a := range s.rep.Actors {
		for _, p := range a.Principals {
			if !seen[p] && p != "-" {
				seen[p] = true
				s.rep.Principals = append(s.rep.Principals, Principal{ARN: p, Source: []string{"evidence"}})
			}
		}
	}
	if len(s.rep.Actors) == 0 {
		s.finding("warning", "ip-unknown", "Neither CloudTrail nor the S3 access logs in the store show requests from %s in the window.", ip)
	}
	s.conclude()
	return s.rep, nil
}

// ObjectReport investigates an S3 object (s3://bucket/key): who read, wrote or
// deleted it, when and from where.
func ObjectReport(ctx context.Context, db *store.DB, object string, opts Options) (*Report, error) {
	u, err := url.Parse(strings.TrimSpace(object))
	if err != nil || u.Scheme != "s3" || u.Host == "" || strings.TrimPrefix(u.Path, "/") == "" {
		return nil, keytrail.Errorf(keytrail.EINVALID, "%q is not an S3 object URL: give s3://BUCKET/KEY", object)
	}
	bucket, key := u.Host, strings.TrimPrefix(u.Path, "/")
	s := newSession(ctx, db, "object", "s3://"+bucket+"/"+key, opts)
	// CloudTrail: only the days whose files hold S3 events that name an
	// object key, when the manifest counts them (no day: no scan).
	cond, args := `eventsource = 's3.amazonaws.com' AND json_extract_string(requestparameters, '$.bucketName') = ? AND json_extract_string(requestparameters, '$.key') = ?`, []any{bucket, key}
	scan := true
	if db.Manifest.Indexed() {
		days := map[string]bool{}
		for _, f := range db.Manifest.FilesOf(store.TableCloudTrail) {
			if f.S3ObjectEvents > 0 {
				days[f.Partition.Day] = true
			}
		}
		scan = len(days) > 0
		in, vals := sqlIn("date", slices.Sorted(maps.Keys(days)))
		cond, args = cond+` AND `+in, append(args, vals...)
	}
	if scan {
		if err := s.ctEvidence(cond, args...); err != nil {
			return nil, err
		}
	}
	// Access logs hold the key URL-encoded.
	if err := s.s3Evidence(`bucket_name = ? AND (key = ? OR key = ?)`, bucket, key, s3KeyEscape(key)); err != nil {
		return nil, err
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, a := range s.rep.Actors {
		for _, p := range a.Principals {
			if !seen[p] {
				seen[p] = true
				s.rep.Principals = append(s.rep.Principals, Principal{ARN: p, Source: []string{"evidence"}})
			}
		}
	}
	if len(s.rep.Actors) == 0 {
		s.finding("warning", "object-unknown", "No request for s3://%s/%s in the store's CloudTrail data events or S3 access logs in the window.", bucket, key)
	}
	s.conclude()
	return s.rep, nil
}

// s3KeyEscape writes a key as S3 server access logs do: URL-encoded, with
// the slashes kept.
func s3KeyEscape(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// principalRequests adds the access-log requests of the principals. An IAM
// user's requests carry its ARN; a role's carry its sessions' ARNs.
func (s *session) principalRequests(arns []string) error {
	for _, arn := range arns {
		if strings.Contains(arn, ":role/") {
			// arn:aws:iam::ACCT:role/NAME → arn:aws:sts::ACCT:assumed-role/NAME/%
			parts := strings.SplitN(arn, ":", 6)
			if len(parts) == 6 {
				name := strings.TrimPrefix(parts[5], "role/")
				name = name[strings.LastIndex(name, "/")+1:]
				if err := s.s3Evidence(`requester LIKE ?`, "arn:aws:sts::"+parts[4]+":assumed-role/"+name+"/%"); err != nil {
					return err
				}
			}
			continue
		}
		if err := s.s3Evidence(`requester = ?`, arn); err != nil {
			return err
		}
	}
	return nil
}

// loadIAMKeys reads every IAM key-management event in the store (there are
// few) into s.iamKeys: each key's owner, creation, deactivation, deletion.
func (s *session) loadIAMKeys() error {
	events, err := s.mgmtEvents("iam.amazonaws.com", nil)
	if err != nil {
		return err
	}
	states := map[string]*KeyState{}
	var order []string
	for _, e := range events {
		name, t, account, callerARN, callerName := e.name, e.t, e.account, e.callerARN, e.callerName
		var req struct {
			UserName    string `json:"userName"`
			AccessKeyID string `json:"accessKeyId"`
			Status      string `json:"status"`
		}
		var resp struct {
			AccessKey struct {
				UserName    string `json:"userName"`
				AccessKeyID string `json:"accessKeyId"`
			} `json:"accessKey"`
		}
		json.Unmarshal([]byte(e.req), &req)
		json.Unmarshal([]byte(e.resp), &resp)
		id := req.AccessKeyID
		if id == "" {
			id = resp.AccessKey.AccessKeyID
		}
		user := req.UserName
		if user == "" {
			user = resp.AccessKey.UserName
		}
		if user == "" && strings.Contains(callerARN, ":user/") {
			user = callerName // a user managing their own key
		}
		if id == "" {
			continue
		}
		st := states[id]
		if st == nil {
			st = &KeyState{KeyID: id}
			states[id] = st
			order = append(order, id)
		}
		if user != "" && account != "" {
			st.User = "arn:aws:iam::" + account + ":user/" + user
		}
		switch name {
		case "CreateAccessKey":
			st.Created = t.UTC()
		case "UpdateAccessKey":
			if strings.EqualFold(req.Status, "Inactive") {
				st.Deactivated = t.UTC()
			} else {
				st.Deactivated = time.Time{}
			}
		case "DeleteAccessKey":
			st.Deleted = t.UTC()
		}
	}
	for _, id := range order {
		s.iamKeys = append(s.iamKeys, *states[id])
	}
	return nil
}

// mgmtEvent is an IAM key-management event or an EC2 event that assigns
// addresses.
type mgmtEvent struct {
	source, name                              string
	t                                         time.Time
	account, callerARN, callerName, req, resp string
}

// mgmtEvents reads the successful events of source that the mgmt_events
// index points to (IAM key management, EC2 address assignment) from the
// whole store (a key's creation or an instance's launch may precede the
// window). With addrs, only the events whose response holds one of them as
// a JSON string. The index says which events (day and id) to read; a store
// that predates it is scanned.
func (s *session) mgmtEvents(source string, addrs []string) ([]mgmtEvent, error) {
	in, names := sqlIn("eventname", store.MgmtEventNames[source])
	cond, args := `eventsource = ? AND `+in+` AND errorcode IS NULL`, append([]any{source}, names...)
	if s.db.Manifest.Indexed() {
		match, idxArgs := "", slices.Clone(args)
		if len(addrs) > 0 {
			match = ` AND list_has_any(addresses, [` + placeholders(len(addrs)) + `])`
			for _, a := range addrs {
				idxArgs = append(idxArgs, a)
			}
		}
		rows, err := s.query(`SELECT date, eventid, eventtimestamp FROM cloudtrail_mgmt_events WHERE `+cond+match, idxArgs...)
		if err != nil {
			return nil, err
		}
		days, ids, times := map[string]bool{}, map[string]bool{}, map[time.Time]bool{}
		for rows.Next() {
			var d, id string
			var t time.Time
			if err := rows.Scan(&d, &id, &t); err != nil {
				rows.Close()
				return nil, err
			}
			days[d], ids[id], times[t.UTC()] = true, true, true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, nil
		}
		// The times let row-group statistics skip most of each day.
		inDays, dayArgs := sqlIn("date", slices.Sorted(maps.Keys(days)))
		inIDs, idArgs := sqlIn("eventid", slices.Sorted(maps.Keys(ids)))
		inTimes, timeArgs := sqlIn("eventtimestamp", slices.SortedFunc(maps.Keys(times), time.Time.Compare))
		cond += ` AND ` + inDays + ` AND ` + inIDs + ` AND ` + inTimes
		args = slices.Concat(args, dayArgs, idArgs, timeArgs)
	} else if len(addrs) > 0 {
		cond += ` AND (` + strings.TrimSuffix(strings.Repeat(`strpos(responseelements, ?) > 0 OR `, len(addrs)), " OR ") + `)`
		for _, a := range addrs {
			args = append(args, `"`+a+`"`)
		}
	}
	rows, err := s.query(`SELECT eventsource, eventname, eventtimestamp, coalesce(recipientaccountid, useridentity.accountid, ''), coalesce(useridentity.arn, ''),
		coalesce(useridentity.username, ''), coalesce(requestparameters, ''), coalesce(responseelements, '')
		FROM cloudtrail_logs WHERE `+cond+` ORDER BY eventtimestamp, eventid`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []mgmtEvent
	for rows.Next() {
		var e mgmtEvent
		if err := rows.Scan(&e.source, &e.name, &e.t, &e.account, &e.callerARN, &e.callerName, &e.req, &e.resp); err != nil {
			return nil, err
		}
		e.t = e.t.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// otherKeys lists the long-term keys other than except that the principal
// used in the window, or that IAM events created for it and that were not
// deactivated or deleted before the window.
func (s *session) otherKeys(arn, except string) []string {
	set := map[string]bool{}
	for _, u := range s.usage {
		if u.arn == arn && u.key != except && strings.HasPrefix(u.key, "AKIA") {
			set[u.key] = true
		}
	}
	if o := s.opts.IAM; o != nil && o.ARN == arn {
		// IAM knows only today's status: a key inactive now may have been
		// active in the window, but one created after it was not.
		for _, k := range o.Keys {
			if k.ID != except && k.Status == "Active" && k.Created.Before(s.to) {
				set[k.ID] = true
			}
		}
	}
	for _, st := range s.iamKeys {
		if st.KeyID == except || st.User != arn {
			continue
		}
		gone := st.Deleted
		if !st.Deactivated.IsZero() && (gone.IsZero() || st.Deactivated.Before(gone)) {
			gone = st.Deactivated
		}
		if (gone.IsZero() || gone.After(s.from)) && (st.Created.IsZero() || st.Created.Before(s.to)) {
			set[st.KeyID] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// keyUse is how often a principal used one access key in the window.
type keyUse struct {
	arn, typ, key string
	events        int64
	first, last   time.Time
}

// loadKeyUsage reads which principals used keyID and which long-term keys
// (AKIA…) the principals arns used in the window. The days the window
// covers whole come from the key_usage index; the rest (a window's first
// and last day when it starts or ends inside them, or every day of a store
// that predates the index) from the events themselves.
func (s *session) loadKeyUsage(keyID string, arns []string) error {
	match := func(arn, key string) (string, []any) {
		in, args := sqlIn(arn, arns)
		return `(` + key + ` = ? OR (` + in + ` AND ` + key + ` LIKE 'AKIA%'))`, append([]any{keyID}, args...)
	}
	u := usageSpec{view: "cloudtrail_key_usage", cols: [3]string{"arn", "type", "accesskeyid"},
		evCols: [3]string{"coalesce(useridentity.arn, '')", "coalesce(useridentity.type, '')", "useridentity.accesskeyid"}}
	u.cond, u.args = match("arn", "accesskeyid")
	u.evCond, u.evArgs = match("useridentity.arn", "useridentity.accesskeyid")
	q, args := s.usageQuery(u)
	rows, err := s.query(q+` ORDER BY 4 DESC, 1, 3`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var u keyUse
		if err := rows.Scan(&u.arn, &u.typ, &u.key, &u.events, &u.first, &u.last); err != nil {
			return err
		}
		u.first, u.last = u.first.UTC(), u.last.UTC()
		s.usage = append(s.usage, u)
	}
	return rows.Err()
}

// keyFiles returns the condition that selects the events made with keyID.
// When the store is indexed, it names the days, accounts and regions the
// key_usage index has the key in, so that the scan skips the files and row
// groups without it.
func (s *session) keyFiles(keyID string) (string, []any, error) {
	cond, args := `useridentity.accesskeyid = ?`, []any{keyID}
	if !s.db.Manifest.Indexed() {
		return cond, args, nil
	}
	// An account or region that the logs' folders did not name is NULL:
	// no restriction on that column then.
	parts := map[string]map[string]bool{"date": {}, "account": {}, "region": {}}
	unknown := map[string]bool{}
	rows, err := s.query(`SELECT DISTINCT date, account, region FROM cloudtrail_key_usage WHERE accesskeyid = ?`, keyID)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var a, r sql.NullString
		if err := rows.Scan(&d, &a, &r); err != nil {
			return "", nil, err
		}
		parts["date"][d], parts["account"][a.String], parts["region"][r.String] = true, true, true
		unknown["account"] = unknown["account"] || !a.Valid
		unknown["region"] = unknown["region"] || !r.Valid
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	if len(parts["date"]) == 0 {
		return cond + ` AND false`, args, nil
	}
	for _, col := range []string{"date", "account", "region"} {
		if unknown[col] {
			continue
		}
		in, vals := sqlIn(col, slices.Sorted(maps.Keys(parts[col])))
		cond, args = cond+` AND `+in, append(args, vals...)
	}
	return cond, args, nil
}

// usageSpec is a question to a usage index (store.KeyUsageSchema,
// store.IPUsageSchema), and the same question to the events.
type usageSpec struct {
	view   string    // the index's view
	cols   [3]string // its value columns
	cond   string    // which of its rows (SQL, parameters args)
	args   []any
	evCols [3]string // the values, over cloudtrail_logs
	evCond string    // which events
	evArgs []any
}

// usageQuery returns the query of a usage index for the window: its three
// value columns, the number of events, the first and the last, grouped by
// the values. The days the window covers whole come from the index; the
// rest (the window's first and last day when it starts or ends inside
// them, or every day of a store that predates the indexes) from the events.
func (s *session) usageQuery(u usageSpec) (string, []any) {
	fullFrom, fullTo := s.from.Truncate(24*time.Hour), s.to.Truncate(24*time.Hour)
	if fullFrom.Before(s.from) {
		fullFrom = fullFrom.AddDate(0, 0, 1)
	}
	if !s.db.Manifest.Indexed() || !fullFrom.Before(fullTo) {
		fullFrom, fullTo = s.to, s.to // no whole day from the index
	}
	days := []any{fullFrom.Format("2006-01-02"), fullTo.Format("2006-01-02")}
	args := append(append(days, u.args...), s.from, s.to)
	args = append(append(args, days...), u.evArgs...)
	return `SELECT v1, v2, v3, sum(n)::BIGINT, min(first), max(last) FROM (
		SELECT ` + strings.Join(u.cols[:], ", ") + `, events, first_seen, last_seen FROM ` + u.view + ` WHERE date >= ? AND date < ? AND (` + u.cond + `)
		UNION ALL
		SELECT ` + strings.Join(u.evCols[:], ", ") + `, 1, eventtimestamp, eventtimestamp FROM cloudtrail_logs
		WHERE eventtimestamp >= ? AND eventtimestamp < ? AND (date < ? OR date >= ?) AND (` + u.evCond + `)) AS u(v1, v2, v3, n, first, last)
		GROUP BY ALL`, args
}

// sqlIn returns the condition "col IN (?, …)" and its arguments, vals in
// order.
func sqlIn[T any](col string, vals []T) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return col + ` IN (` + placeholders(len(vals)) + `)`, args
}

// placeholders returns n SQL parameters: "?, ?, …".
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return "?" + strings.Repeat(", ?", n-1)
}

// afterDeactivation reports requests after the key was deactivated: with
// the key itself (CloudTrail says so: it was re-activated, or the log is
// wrong), or by its principal in the access logs (other keys, if it has
// them; otherwise an unknown credential).
func (s *session) afterDeactivation(keyID string, at time.Time) {
	var withKey, byPrincipal int64
	for _, r := range s.evidence {
		if !r.t.After(at) {
			continue
		}
		if r.source == "cloudtrail" {
			withKey++
		} else {
			byPrincipal++
		}
	}
	var others []string
	for _, p := range s.rep.Principals {
		others = append(others, p.OtherKeys...)
	}
	when := at.Format(time.RFC3339)
	switch {
	case withKey > 0:
		s.finding("high", "after-deactivation", "%d CloudTrail event(s) were made with %s after it was deactivated at %s: it was re-activated, or another copy of the credential is accepted.", withKey, keyID, when)
	case byPrincipal > 0 && len(others) == 0:
		s.finding("high", "after-deactivation", "%d S3 request(s) by the key's principal after the key was deactivated at %s, and no other key of the principal is known: find the credential that made them.", byPrincipal, when)
	case byPrincipal > 0:
		s.finding("info", "deactivated", "The key was deactivated at %s; the principal's %d later S3 request(s) were made with its other key(s) (%s), not with %s.", when, byPrincipal, strings.Join(others, ", "), keyID)
	default:
		s.finding("info", "deactivated", "The key was deactivated at %s and no request with it or its principal follows.", when)
	}
}

// nullTime scans a possibly NULL timestamp into a time.Time (zero for NULL).
type nullTime struct{ t *time.Time }

func (n nullTime) Scan(v any) error {
	var nt sql.NullTime
	if err := nt.Scan(v); err != nil {
		return err
	}
	if nt.Valid {
		*n.t = nt.Time.UTC()
	}
	return nil
}

// conclude writes the report's first line: who uses the subject, from
// where, with what, how often.
func (s *session) conclude() {
	r := s.rep
	if len(r.Actors) == 0 {
		r.Conclusion = fmt.Sprintf("No activity of %s %s found in the store", r.Subject.Kind, r.Subject.Value)
		if len(r.Findings) > 0 {
			r.Conclusion += ": " + strings.TrimSuffix(r.Findings[0].Message, ".")
		}
		return
	}
	a := r.Actors[0]
	var b strings.Builder
	fmt.Fprintf(&b, "%s is used mostly by %s", r.Subject.Value, a.SourceIP)
	if a.Attribution.Kind == "ec2-instance" && a.Attribution.InstanceID != "" {
		fmt.Fprintf(&b, " (EC2 instance %s)", a.Attribution.InstanceID)
	}
	fmt.Fprintf(&b, " running %s: %d requests", shortUA(a.UserAgent), a.Requests)
	if a.Interval.Scheduled {
		fmt.Fprintf(&b, ", every %s (scheduled)", humanDuration(a.Interval.Median))
	}
	if op := topOp(a.Operations); op != "" {
		fmt.Fprintf(&b, ", mostly %s", op)
		if len(a.Buckets) > 0 {
			fmt.Fprintf(&b, " on %s", strings.Join(a.Buckets, ", "))
		}
	}
	fmt.Fprintf(&b, ", %s to %s", a.FirstSeen.Format("2006-01-02 15:04"), a.LastSeen.Format("2006-01-02 15:04 UTC"))
	if n := len(r.Actors) - 1; n > 0 {
		fmt.Fprintf(&b, "; %d other source(s)", n)
	}
	r.Conclusion = b.String()
}

func topOp(ops map[string]int64) string {
	t := top(ops, 1)
	if len(t) == 0 {
		return ""
	}
	return t[0].Value
}

// shortUA names the tool of a user agent: its first product and, for the
// AWS CLI, the command.
func shortUA(ua string) string {
	f := strings.Fields(ua)
	if len(f) == 0 {
		return ua
	}
	s := f[0]
	for _, x := range f[1:] {
		if strings.HasPrefix(x, "command/") {
			s += " " + x
		}
	}
	return s
}

func humanDuration(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return d.String()
}
