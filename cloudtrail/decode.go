package cloudtrail

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/keytrail/keytrail"
)

// decoder maps the members of a CloudTrail record onto keytrail.Event. It
// reads any JSON shape without failing: names match case-insensitively (as
// Athena's JSON SerDe does), unknown names are skipped, a value of an
// unexpected type is kept as its JSON text, null is absent. Only malformed
// JSON is an error.
type decoder struct {
	kbuf    []byte              // the current member name, lower-cased
	orig    []byte              // the current member name as written
	scratch []byte              // unquoting and compacting
	intern  map[string]string   // repeated short values share one string
	recent  *[recentSize]string // recent interned strings by a cheap hash of their bytes
	arena   []byte              // where other strings are copied, end to end
}

// arenaChunk is the size of the blocks other strings are copied into: one
// allocation for many values instead of one each. A block is never
// written twice, so its strings never change; it is freed when none of
// them is referenced.
const arenaChunk = 16 << 10

// newString returns b as a string from the arena.
func (d *decoder) newString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(d.arena)-len(d.arena) {
		if len(b) > arenaChunk/4 {
			return string(b)
		}
		d.arena = make([]byte, 0, arenaChunk)
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.String(&d.arena[start], len(b))
}

const recentSize = 4096

// recentSlot picks the slot of b in recent from its length and its first
// and last 8 bytes: no hashing of the whole value, which the map would do.
func recentSlot(b []byte) int {
	var h uint64
	if n := len(b); n >= 8 {
		h = binary.LittleEndian.Uint64(b) ^ binary.LittleEndian.Uint64(b[n-8:])*0x9e3779b97f4a7c15
	} else {
		for _, c := range b {
			h = h<<8 | uint64(c)
		}
	}
	h ^= uint64(len(b))
	h *= 0xff51afd7ed558ccd
	return int(h >> (64 - 12))
}

func newDecoder() decoder {
	return decoder{kbuf: make([]byte, 0, 64), intern: make(map[string]string, 1024), recent: new([recentSize]string)}
}

// internLimit bounds the intern table; it is cleared when full, so memory
// stays bounded on files with many distinct values.
const internLimit = 1 << 16

// event decodes the object dec is positioned at into ev.
func (d *decoder) event(dec *scanner, ev *keytrail.Event) error {
	res := ev.Resources[:0]
	*ev = keytrail.Event{Resources: res}
	_, err := d.object(dec, func(k []byte) error {
		switch string(k) {
		case "eventversion":
			return d.str(dec, &ev.EventVersion, true)
		case "useridentity":
			return d.userIdentity(dec, &ev.UserIdentity)
		case "eventtime":
			return d.str(dec, &ev.EventTime, false)
		case "eventsource":
			return d.str(dec, &ev.EventSource, true)
		case "eventname":
			return d.str(dec, &ev.EventName, true)
		case "awsregion":
			return d.str(dec, &ev.AWSRegion, true)
		case "sourceipaddress":
			return d.str(dec, &ev.SourceIPAddress, true)
		case "useragent":
			return d.str(dec, &ev.UserAgent, true)
		case "errorcode":
			return d.str(dec, &ev.ErrorCode, true)
		case "errormessage":
			return d.str(dec, &ev.ErrorMessage, false)
		case "requestparameters":
			return d.str(dec, &ev.RequestParameters, false)
		case "responseelements":
			return d.str(dec, &ev.ResponseElements, false)
		case "additionaleventdata":
			return d.str(dec, &ev.AdditionalEventData, false)
		case "requestid":
			return d.str(dec, &ev.RequestID, false)
		case "eventid":
			return d.str(dec, &ev.EventID, false)
		case "readonly":
			return d.str(dec, &ev.ReadOnly, true)
		case "resources":
			return d.resources(dec, ev)
		case "eventtype":
			return d.str(dec, &ev.EventType, true)
		case "apiversion":
			return d.str(dec, &ev.APIVersion, true)
		case "recipientaccountid":
			return d.str(dec, &ev.RecipientAccountID, true)
		case "serviceeventdetails":
			return d.str(dec, &ev.ServiceEventDetails, false)
		case "sharedeventid":
			return d.str(dec, &ev.SharedEventID, false)
		case "vpcendpointid":
			return d.str(dec, &ev.VPCEndpointID, true)
		case "vpcendpointaccountid":
			return d.str(dec, &ev.VPCEndpointAccountID, true)
		case "eventcategory":
			return d.str(dec, &ev.EventCategory, true)
		case "addendum":
			a := &keytrail.Addendum{}
			ok, err := d.object(dec, func(k []byte) error {
				switch string(k) {
				case "reason":
					return d.str(dec, &a.Reason, true)
				case "updatedfields":
					return d.str(dec, &a.UpdatedFields, true)
				case "originalrequestid":
					return d.str(dec, &a.OriginalRequestID, false)
				case "originaleventid":
					return d.str(dec, &a.OriginalEventID, false)
				}
				return dec.SkipValue()
			})
			if ok {
				ev.Addendum = a
			}
			return err
		case "sessioncredentialfromconsole":
			return d.str(dec, &ev.SessionCredentialFromConsole, true)
		case "edgedevicedetails":
			return d.str(dec, &ev.EdgeDeviceDetails, false)
		case "tlsdetails":
			t := &keytrail.TLSDetails{}
			ok, err := d.object(dec, func(k []byte) error {
				switch string(k) {
				case "tlsversion":
					return d.str(dec, &t.TLSVersion, true)
				case "ciphersuite":
					return d.str(dec, &t.CipherSuite, true)
				case "clientprovidedhostheader":
					return d.str(dec, &t.ClientProvidedHostHeader, true)
				}
				return dec.SkipValue()
			})
			if ok {
				ev.TLSDetails = t
			}
			return err
		case "managementevent":
			return d.str(dec, &ev.ManagementEvent, true)
		case "eventcontext":
			return d.str(dec, &ev.EventContext, false)
		case "insightdetails":
			return d.str(dec, &ev.InsightDetails, false)
		}
		return dec.SkipValue()
	})
	if err != nil {
		return err
	}
	ev.Time = parseEventTime(ev.EventTime.String)
	return nil
}

func (d *decoder) userIdentity(dec *scanner, u *keytrail.UserIdentity) error {
	_, err := d.object(dec, func(k []byte) error {
		switch string(k) {
		case "type":
			return d.str(dec, &u.Type, true)
		case "principalid":
			return d.str(dec, &u.PrincipalID, true)
		case "arn":
			return d.str(dec, &u.ARN, true)
		case "accountid":
			return d.str(dec, &u.AccountID, true)
		case "invokedby":
			return d.str(dec, &u.InvokedBy, true)
		case "accesskeyid":
			return d.str(dec, &u.AccessKeyID, true)
		case "username":
			return d.str(dec, &u.UserName, true)
		case "identityprovider":
			return d.str(dec, &u.IdentityProvider, true)
		case "credentialid":
			return d.str(dec, &u.CredentialID, true)
		case "userid":
			return d.str(dec, &u.UserID, true)
		case "identitystorearn":
			return d.str(dec, &u.IdentityStoreARN, true)
		case "onbehalfof":
			o := &keytrail.OnBehalfOf{}
			ok, err := d.object(dec, func(k []byte) error {
				switch string(k) {
				case "userid":
					return d.str(dec, &o.UserID, true)
				case "identitystorearn":
					return d.str(dec, &o.IdentityStoreARN, true)
				}
				return dec.SkipValue()
			})
			if ok {
				u.OnBehalfOf = o
			}
			return err
		case "sessioncontext":
			s := &keytrail.SessionContext{}
			ok, err := d.sessionContext(dec, s)
			if ok {
				u.SessionContext = s
			}
			return err
		}
		return dec.SkipValue()
	})
	return err
}

func (d *decoder) sessionContext(dec *scanner, s *keytrail.SessionContext) (bool, error) {
	return d.object(dec, func(k []byte) error {
		switch string(k) {
		case "attributes":
			a := &keytrail.SessionAttributes{}
			ok, err := d.object(dec, func(k []byte) error {
				switch string(k) {
				case "mfaauthenticated":
					return d.str(dec, &a.MFAAuthenticated, true)
				case "creationdate":
					return d.str(dec, &a.CreationDate, false)
				}
				return dec.SkipValue()
			})
			if ok {
				s.Attributes = a
			}
			return err
		case "sessionissuer":
			i := &keytrail.SessionIssuer{}
			ok, err := d.object(dec, func(k []byte) error {
				switch string(k) {
				case "type":
					return d.str(dec, &i.Type, true)
				case "principalid":
					return d.str(dec, &i.PrincipalID, true)
				case "arn":
					return d.str(dec, &i.ARN, true)
				case "accountid":
					return d.str(dec, &i.AccountID, true)
				case "username":
					return d.str(dec, &i.UserName, true)
				}
				return dec.SkipValue()
			})
			if ok {
				s.SessionIssuer = i
			}
			return err
		case "ec2roledelivery":
			return d.str(dec, &s.EC2RoleDelivery, true)
		case "sourceidentity":
			return d.str(dec, &s.SourceIdentity, true)
		case "webidfederationdata":
			w := &keytrail.WebIDFederationData{}
			ok, err := d.object(dec, func(k []byte) error {
				switch string(k) {
				case "federatedprovider":
					return d.str(dec, &w.FederatedProvider, true)
				case "attributes":
					_, err := d.object(dec, func([]byte) error {
						name := string(d.orig) // map keys are data: keep their case
						var v keytrail.NullString
						if err := d.str(dec, &v, false); err != nil {
							return err
						}
						if w.Attributes == nil {
							w.Attributes = map[string]string{}
						}
						w.Attributes[name] = v.String
						return nil
					})
					return err
				}
				return dec.SkipValue()
			})
			if ok {
				s.WebIDFederationData = w
			}
			return err
		}
		return dec.SkipValue()
	})
}

func (d *decoder) resources(dec *scanner, ev *keytrail.Event) error {
	if dec.PeekKind() != '[' {
		_, err := dec.ReadValue()
		return err
	}
	if err := dec.ReadToken(); err != nil {
		return err
	}
	for {
		switch dec.PeekKind() {
		case ']':
			err := dec.ReadToken()
			if ev.Resources == nil {
				ev.Resources = []keytrail.Resource{}
			}
			return err
		case 0:
			err := dec.ReadToken()
			return orUnexpectedEOF(err)
		}
		var r keytrail.Resource
		ok, err := d.object(dec, func(k []byte) error {
			switch string(k) {
			case "arn":
				return d.str(dec, &r.ARN, false)
			case "accountid":
				return d.str(dec, &r.AccountID, true)
			case "type":
				return d.str(dec, &r.Type, true)
			}
			return dec.SkipValue()
		})
		if err != nil {
			return err
		}
		_ = ok // an element that is not an object is kept as a resource of NULLs, so cardinality holds
		ev.Resources = append(ev.Resources, r)
	}
}

// object reads an object member by member, calling field with each name
// lower-cased (valid only during the call); field must consume the value.
// A value that is not an object is skipped and object returns false.
func (d *decoder) object(dec *scanner, field func(name []byte) error) (bool, error) {
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			err := dec.ReadToken()
			return false, orUnexpectedEOF(err)
		}
		return false, dec.SkipValue()
	}
	if err := dec.ReadToken(); err != nil {
		return false, err
	}
	for {
		switch dec.PeekKind() {
		case '}':
			err := dec.ReadToken()
			return true, err
		case 0:
			err := dec.ReadToken()
			return true, orUnexpectedEOF(err)
		}
		name, err := dec.ReadValue()
		if err != nil {
			return true, err
		}
		d.setKey(name)
		if err := field(d.kbuf); err != nil {
			return true, err
		}
	}
}

// setKey stores the unquoted name in orig and its lower-case form in kbuf.
func (d *decoder) setKey(name []byte) {
	raw := name[1 : len(name)-1]
	if bytes.IndexByte(raw, '\\') >= 0 {
		raw, _ = jsontext.AppendUnquote(d.scratch[:0], name) // invalid UTF-8 replaced, as in str
	}
	if cap(d.kbuf) < len(raw) {
		d.kbuf = make([]byte, len(raw))
	}
	k := d.kbuf[:len(raw)]
	for i, c := range raw {
		k[i] = lower[c]
	}
	d.kbuf, d.orig = k, raw
}

// lower maps ASCII upper-case letters to lower case, other bytes to
// themselves.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] += 'a' - 'A'
		}
	}
	return t
}()

// str reads any value into s: a string as its content, null as absent, any
// other value as its compact JSON text (as Athena returns an object or
// number read into a STRING column). intern shares repeated values.
func (d *decoder) str(dec *scanner, s *keytrail.NullString, intern bool) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var b []byte
	switch v[0] {
	case 'n':
		*s = keytrail.NullString{}
		return nil
	case '"':
		b = v[1 : len(v)-1]
		if bytes.IndexByte(b, '\\') >= 0 {
			// The syntax is checked: an error is invalid UTF-8, which is
			// replaced by U+FFFD.
			d.scratch, _ = jsontext.AppendUnquote(d.scratch[:0], v)
			b = d.scratch
		}
	case '{', '[':
		b = v // CloudTrail writes compact JSON
		if dec.spaced {
			d.scratch = append(d.scratch[:0], v...)
			cv := jsontext.Value(d.scratch)
			if err := cv.Compact(decOpts...); err != nil {
				return err
			}
			b = cv
		}
	default: // true, false, numbers: their text
		b = v
	}
	if intern && len(b) <= 256 {
		r := &d.recent[recentSlot(b)]
		if *r == string(b) && len(b) > 0 {
			*s = keytrail.NullString{String: *r, Valid: true}
			return nil
		}
		is, ok := d.intern[string(b)]
		if !ok {
			if len(d.intern) >= internLimit {
				clear(d.intern)
			}
			is = string(b)
			d.intern[is] = is
		}
		*r = is
		*s = keytrail.NullString{String: is, Valid: true}
		return nil
	}
	*s = keytrail.NullString{String: d.newString(b), Valid: true}
	return nil
}

func orUnexpectedEOF(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseEventTime reads eventTime: the usual YYYY-MM-DDTHH:MM:SSZ by hand,
// anything else RFC 3339 allows with the time package. The zero time when
// it cannot be read.
func parseEventTime(s string) time.Time {
	if len(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[5:7])
		dd, ok3 := digits(s[8:10])
		h, ok4 := digits(s[11:13])
		mi, ok5 := digits(s[14:16])
		se, ok6 := digits(s[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31 && h < 24 && mi < 60 && se < 61 {
			return time.Date(y, time.Month(mo), dd, h, mi, se, 0, time.UTC)
		}
	}
	for _, layout := range eventTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// eventTimeLayouts are the other spellings of eventTime met in exports of
// CloudTrail events; a time without a zone is UTC.
var eventTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// memberSet is the members of one object: lower-cased names and raw values.
type memberSet struct {
	names  []string
	values [][]byte
}

func (m memberSet) has(name string) bool { return m.get(name) != nil }

func (m memberSet) get(name string) []byte {
	for i, n := range m.names {
		if n == name {
			return m.values[i]
		}
	}
	return nil
}

// members splits the object v into its members; values are sub-slices of v.
func members(v []byte) (memberSet, error) {
	var m memberSet
	dec := jsontext.NewDecoder(bytes.NewReader(v), decOpts...)
	if _, err := dec.ReadToken(); err != nil {
		return m, err
	}
	for dec.PeekKind() == '"' {
		name, err := dec.ReadValue()
		if err != nil {
			return m, err
		}
		n, _ := jsontext.AppendUnquote(nil, name) // the syntax is checked: an error is invalid UTF-8, replaced
		start := dec.InputOffset()
		if err := dec.SkipValue(); err != nil {
			return m, err
		}
		end := dec.InputOffset()
		val := bytes.TrimLeft(v[start:end], " \t\r\n:")
		m.names = append(m.names, string(bytes.ToLower(n)))
		m.values = append(m.values, val)
	}
	_, err := dec.ReadToken()
	return m, err
}

// elements calls fn with each element of the array arr and its offset in arr.
func elements(arr []byte, fn func(e []byte, off int64)) error {
	dec := jsontext.NewDecoder(bytes.NewReader(arr), decOpts...)
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for {
		k := dec.PeekKind()
		if k == ']' || k == 0 {
			break
		}
		start := dec.InputOffset()
		if err := dec.SkipValue(); err != nil {
			return err
		}
		end := dec.InputOffset()
		e := bytes.TrimLeft(arr[start:end], " \t\r\n,")
		fn(e, end-int64(len(e)))
	}
	_, err := dec.ReadToken()
	return err
}

func equalFold(a, b string) bool { return len(a) == len(b) && bytes.EqualFold([]byte(a), []byte(b)) }
