package store

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/internal/parquet"
)

// The physical Parquet shapes of the two tables, as Arrow schemas that
// internal/parquet turns into Parquet ones. Column names, order and types
// follow AWS's Athena tables (see DESIGN.md, "Contracts"); keytrail's
// additions come after them. The date (and an access log's bucket) live in
// the hive path; CloudTrail's account and region are columns of a day's
// file, one row group each.

var str = arrow.BinaryTypes.String

func field(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

func strFields(names ...string) []arrow.Field {
	fs := make([]arrow.Field, len(names))
	for i, n := range names {
		fs[i] = field(n, str)
	}
	return fs
}

var (
	sessionIssuerType = arrow.StructOf(strFields("type", "principalid", "arn", "accountid", "username")...)
	webIDType         = arrow.StructOf(field("federatedprovider", str), field("attributes", arrow.MapOf(str, str)))
	sessionContextT   = arrow.StructOf(
		field("attributes", arrow.StructOf(strFields("mfaauthenticated", "creationdate")...)),
		field("sessionissuer", sessionIssuerType),
		field("ec2roledelivery", str),
		field("webidfederationdata", webIDType),
		field("sourceidentity", str),
	)
	userIdentityType = arrow.StructOf(slices.Concat(
		strFields("type", "principalid", "arn", "accountid", "invokedby", "accesskeyid", "username"),
		[]arrow.Field{field("onbehalfof", arrow.StructOf(strFields("userid", "identitystorearn")...)), field("sessioncontext", sessionContextT)},
		strFields("identityprovider", "credentialid", "userid", "identitystorearn"),
	)...)
	resourcesType = arrow.ListOf(arrow.StructOf(strFields("arn", "accountid", "type")...))
	addendumType  = arrow.StructOf(strFields("reason", "updatedfields", "originalrequestid", "originaleventid")...)
	tlsType       = arrow.StructOf(strFields("tlsversion", "ciphersuite", "clientprovidedhostheader")...)
	timestampType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

// CloudTrailSchema is the Parquet schema of the cloudtrail table.
var CloudTrailSchema = arrow.NewSchema([]arrow.Field{
	field("eventversion", str),
	field("useridentity", userIdentityType),
	field("eventtime", str),
	field("eventsource", str),
	field("eventname", str),
	field("awsregion", str),
	field("sourceipaddress", str),
	field("useragent", str),
	field("errorcode", str),
	field("errormessage", str),
	field("requestparameters", str),
	field("responseelements", str),
	field("additionaleventdata", str),
	field("requestid", str),
	field("eventid", str),
	field("readonly", str),
	field("resources", resourcesType),
	field("eventtype", str),
	field("apiversion", str),
	field("recipientaccountid", str),
	field("serviceeventdetails", str),
	field("sharedeventid", str),
	field("vpcendpointid", str),
	field("vpcendpointaccountid", str),
	field("eventcategory", str),
	field("addendum", addendumType),
	field("sessioncredentialfromconsole", str),
	field("edgedevicedetails", str),
	field("tlsdetails", tlsType),
	// keytrail additions
	field("managementevent", str),
	field("eventcontext", str),
	field("insightdetails", str),
	field("eventtimestamp", timestampType),
	field("source_key", str),
	// the partition: the account and region of the key layout (where the
	// trail delivered the event), else those the event names
	field("account", str),
	field("region", str),
}, nil)

// AccessLogSchema is the Parquet schema of the s3access table.
var AccessLogSchema = arrow.NewSchema(slices.Concat(
	strFields("bucketowner", "bucket_name", "requestdatetime", "remoteip", "requester", "requestid", "operation", "key", "request_uri", "httpstatus", "errorcode"),
	[]arrow.Field{field("bytessent", arrow.PrimitiveTypes.Int64), field("objectsize", arrow.PrimitiveTypes.Int64)},
	strFields("totaltime", "turnaroundtime", "referrer", "useragent", "versionid", "hostid", "sigv", "ciphersuite", "authtype", "endpoint", "tlsversion", "accesspointarn", "aclrequired", "sourceregion"),
	[]arrow.Field{field("requesttime", timestampType), field("extra_fields", arrow.ListOf(str)), field("source_key", str)},
), nil)

// cleanUTF8 makes s valid UTF-8, as Parquet strings must be: each invalid
// byte becomes %XX (access logs carry raw request bytes; percent-encoding
// keeps them readable and distinct).
func cleanUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&15])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// shredder appends one row's leaves to a row group in schema order; def
// is the definition level of a missing value, the number of its optional
// ancestors that are present.
type shredder struct {
	c []*parquet.Column
	i int
}

func (s *shredder) ns(v keytrail.NullString, def int) {
	if v.Valid {
		s.c[s.i].String(v.String, 0)
	} else {
		s.c[s.i].Null(def, 0)
	}
	s.i++
}

// orNull appends v, or NULL when it is "" (an account or region the logs
// did not name).
func (s *shredder) orNull(v string) {
	s.ns(keytrail.NullString{String: v, Valid: v != ""}, 0)
}

func (s *shredder) str(v string) {
	s.c[s.i].String(v, 0)
	s.i++
}

// nss appends the fields of a present struct at level def (its own).
func (s *shredder) nss(def int, vals ...keytrail.NullString) {
	for _, v := range vals {
		s.ns(v, def)
	}
}

func (s *shredder) nulls(n, def int) {
	for _, c := range s.c[s.i : s.i+n] {
		c.Null(def, 0)
	}
	s.i += n
}

// strList appends a top-level list of strings: NULL when nil; levels:
// the list (1), its repeated element (2), the string (3).
func (s *shredder) strList(vals []string) {
	switch c := s.c[s.i]; {
	case vals == nil:
		c.Null(0, 0)
	case len(vals) == 0:
		c.Null(1, 0)
	default:
		for k, v := range vals {
			c.String(v, min(k, 1))
		}
	}
	s.i++
}

func (s *shredder) time(t time.Time) {
	if t.IsZero() {
		s.c[s.i].Null(0, 0)
	} else {
		s.c[s.i].Int64(t.UnixMicro(), 0)
	}
	s.i++
}

// appendEvent adds one CloudTrail event to rg (of ctSchema); sourceKey
// names the object it came from, account and region the partition.
func appendEvent(rg *parquet.RowGroup, ev *keytrail.Event, sourceKey, account, region string) {
	s := shredder{c: rg.Columns}
	s.ns(ev.EventVersion, 0)
	s.userIdentity(&ev.UserIdentity)
	for _, v := range [...]keytrail.NullString{ev.EventTime, ev.EventSource, ev.EventName, ev.AWSRegion, ev.SourceIPAddress,
		ev.UserAgent, ev.ErrorCode, ev.ErrorMessage, ev.RequestParameters, ev.ResponseElements, ev.AdditionalEventData,
		ev.RequestID, ev.EventID, ev.ReadOnly} {
		s.ns(v, 0)
	}
	// resources: list (1) of element (2, repeated) structs (3) of strings (4)
	switch {
	case ev.Resources == nil:
		s.nulls(3, 0)
	case len(ev.Resources) == 0:
		s.nulls(3, 1)
	default:
		for k, r := range ev.Resources {
			for j, v := range [...]keytrail.NullString{r.ARN, r.AccountID, r.Type} {
				if c := s.c[s.i+j]; v.Valid {
					c.String(v.String, min(k, 1))
				} else {
					c.Null(3, min(k, 1))
				}
			}
		}
		s.i += 3
	}
	for _, v := range [...]keytrail.NullString{ev.EventType, ev.APIVersion, ev.RecipientAccountID, ev.ServiceEventDetails,
		ev.SharedEventID, ev.VPCEndpointID, ev.VPCEndpointAccountID, ev.EventCategory} {
		s.ns(v, 0)
	}
	if a := ev.Addendum; a != nil {
		s.nss(1, a.Reason, a.UpdatedFields, a.OriginalRequestID, a.OriginalEventID)
	} else {
		s.nulls(4, 0)
	}
	s.ns(ev.SessionCredentialFromConsole, 0)
	s.ns(ev.EdgeDeviceDetails, 0)
	if t := ev.TLSDetails; t != nil {
		s.nss(1, t.TLSVersion, t.CipherSuite, t.ClientProvidedHostHeader)
	} else {
		s.nulls(3, 0)
	}
	s.ns(ev.ManagementEvent, 0)
	s.ns(ev.EventContext, 0)
	s.ns(ev.InsightDetails, 0)
	s.time(ev.Time)
	s.str(sourceKey)
	s.orNull(account)
	s.orNull(region)
	rg.Rows++
}

// userIdentity appends the 25 leaves of useridentity (always present:
// level 1).
func (s *shredder) userIdentity(u *keytrail.UserIdentity) {
	s.nss(1, u.Type, u.PrincipalID, u.ARN, u.AccountID, u.InvokedBy, u.AccessKeyID, u.UserName)
	if o := u.OnBehalfOf; o != nil {
		s.nss(2, o.UserID, o.IdentityStoreARN)
	} else {
		s.nulls(2, 1)
	}
	sc := u.SessionContext
	if sc == nil {
		s.nulls(12, 1)
	} else {
		if a := sc.Attributes; a != nil {
			s.nss(3, a.MFAAuthenticated, a.CreationDate)
		} else {
			s.nulls(2, 2)
		}
		if i := sc.SessionIssuer; i != nil {
			s.nss(3, i.Type, i.PrincipalID, i.ARN, i.AccountID, i.UserName)
		} else {
			s.nulls(5, 2)
		}
		s.ns(sc.EC2RoleDelivery, 2)
		if w := sc.WebIDFederationData; w != nil {
			s.ns(w.FederatedProvider, 3)
			// attributes: map (4) of key_value (5, repeated): key, value (6)
			key, val := s.c[s.i], s.c[s.i+1]
			switch {
			case w.Attributes == nil:
				key.Null(3, 0)
				val.Null(3, 0)
			case len(w.Attributes) == 0:
				key.Null(4, 0)
				val.Null(4, 0)
			default:
				for k, name := range slices.Sorted(maps.Keys(w.Attributes)) {
					key.String(name, min(k, 1))
					val.String(w.Attributes[name], min(k, 1))
				}
			}
			s.i += 2
		} else {
			s.nulls(3, 2)
		}
		s.ns(sc.SourceIdentity, 2)
	}
	s.nss(1, u.IdentityProvider, u.CredentialID, u.UserID, u.IdentityStoreARN)
}

// appendAccess adds one access-log record to rg (of accessSchema).
func appendAccess(rg *parquet.RowGroup, r *keytrail.AccessLogRecord, sourceKey string) {
	s := shredder{c: rg.Columns}
	for _, v := range [...]string{r.BucketOwner, r.Bucket, r.RequestDateTime, r.RemoteIP, r.Requester, r.RequestID,
		r.Operation, r.Key, r.RequestURI, r.HTTPStatus, r.ErrorCode} {
		s.str(v)
	}
	for _, n := range [...]keytrail.NullInt64{r.BytesSent, r.ObjectSize} {
		if n.Valid {
			s.c[s.i].Int64(n.Int64, 0)
		} else {
			s.c[s.i].Null(0, 0)
		}
		s.i++
	}
	for _, v := range [...]string{r.TotalTime, r.TurnAroundTime, r.Referrer, r.UserAgent, r.VersionID} {
		s.str(v)
	}
	for _, v := range [...]keytrail.NullString{r.HostID, r.SigV, r.CipherSuite, r.AuthType, r.Endpoint, r.TLSVersion,
		r.AccessPointARN, r.ACLRequired, r.SourceRegion} {
		s.ns(v, 0)
	}
	s.time(r.Time)
	s.strList(r.Extra)
	s.str(sourceKey)
	rg.Rows++
}
