package store

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/keytrail/keytrail"
)

// The physical Parquet shapes of the two tables. Column names, order and
// types follow AWS's Athena tables (see DESIGN.md, "Contracts"); keytrail's
// additions come after them. Partition columns (account, region, bucket,
// date) live in the hive path, not in the files.

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

func appendNS(b array.Builder, s keytrail.NullString) {
	sb := b.(*array.StringBuilder)
	if !s.Valid {
		sb.AppendNull()
		return
	}
	sb.Append(cleanUTF8(s.String))
}

func appendS(b array.Builder, s string) {
	b.(*array.StringBuilder).Append(cleanUTF8(s))
}

func appendNSs(sb *array.StructBuilder, valid bool, vals ...keytrail.NullString) {
	if !valid {
		sb.AppendNull()
		return
	}
	sb.Append(true)
	for i, v := range vals {
		appendNS(sb.FieldBuilder(i), v)
	}
}

func appendTime(b array.Builder, t time.Time) {
	tb := b.(*array.TimestampBuilder)
	if t.IsZero() {
		tb.AppendNull()
		return
	}
	tb.Append(arrow.Timestamp(t.UnixMicro()))
}

// eventBuilder accumulates CloudTrail events as Arrow columns.
type eventBuilder struct {
	rb              *array.RecordBuilder
	f               []array.Builder
	account, region string // of every row
}

func newEventBuilder(mem memory.Allocator, account, region string) *eventBuilder {
	rb := array.NewRecordBuilder(mem, CloudTrailSchema)
	return &eventBuilder{rb: rb, f: rb.Fields(), account: account, region: region}
}

func (b *eventBuilder) Len() int { return b.f[0].Len() }

// Append adds one event; sourceKey names the object it came from.
func (b *eventBuilder) Append(ev *keytrail.Event, sourceKey string) {
	f := b.f
	appendNS(f[0], ev.EventVersion)
	appendUserIdentity(f[1].(*array.StructBuilder), &ev.UserIdentity)
	for i, s := range [...]keytrail.NullString{ev.EventTime, ev.EventSource, ev.EventName, ev.AWSRegion, ev.SourceIPAddress,
		ev.UserAgent, ev.ErrorCode, ev.ErrorMessage, ev.RequestParameters, ev.ResponseElements, ev.AdditionalEventData,
		ev.RequestID, ev.EventID, ev.ReadOnly} {
		appendNS(f[2+i], s)
	}
	lb := f[16].(*array.ListBuilder)
	if ev.Resources == nil {
		lb.AppendNull()
	} else {
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StructBuilder)
		for _, r := range ev.Resources {
			appendNSs(vb, true, r.ARN, r.AccountID, r.Type)
		}
	}
	for i, s := range [...]keytrail.NullString{ev.EventType, ev.APIVersion, ev.RecipientAccountID, ev.ServiceEventDetails,
		ev.SharedEventID, ev.VPCEndpointID, ev.VPCEndpointAccountID, ev.EventCategory} {
		appendNS(f[17+i], s)
	}
	if a := ev.Addendum; a != nil {
		appendNSs(f[25].(*array.StructBuilder), true, a.Reason, a.UpdatedFields, a.OriginalRequestID, a.OriginalEventID)
	} else {
		f[25].AppendNull()
	}
	appendNS(f[26], ev.SessionCredentialFromConsole)
	appendNS(f[27], ev.EdgeDeviceDetails)
	if t := ev.TLSDetails; t != nil {
		appendNSs(f[28].(*array.StructBuilder), true, t.TLSVersion, t.CipherSuite, t.ClientProvidedHostHeader)
	} else {
		f[28].AppendNull()
	}
	appendNS(f[29], ev.ManagementEvent)
	appendNS(f[30], ev.EventContext)
	appendNS(f[31], ev.InsightDetails)
	appendTime(f[32], ev.Time)
	appendS(f[33], sourceKey)
	appendNS(f[34], keytrail.NullString{String: b.account, Valid: b.account != ""})
	appendNS(f[35], keytrail.NullString{String: b.region, Valid: b.region != ""})
}

func appendUserIdentity(sb *array.StructBuilder, u *keytrail.UserIdentity) {
	sb.Append(true)
	for i, s := range [...]keytrail.NullString{u.Type, u.PrincipalID, u.ARN, u.AccountID, u.InvokedBy, u.AccessKeyID, u.UserName} {
		appendNS(sb.FieldBuilder(i), s)
	}
	if o := u.OnBehalfOf; o != nil {
		appendNSs(sb.FieldBuilder(7).(*array.StructBuilder), true, o.UserID, o.IdentityStoreARN)
	} else {
		sb.FieldBuilder(7).AppendNull()
	}
	scb := sb.FieldBuilder(8).(*array.StructBuilder)
	if sc := u.SessionContext; sc != nil {
		scb.Append(true)
		if a := sc.Attributes; a != nil {
			appendNSs(scb.FieldBuilder(0).(*array.StructBuilder), true, a.MFAAuthenticated, a.CreationDate)
		} else {
			scb.FieldBuilder(0).AppendNull()
		}
		if i := sc.SessionIssuer; i != nil {
			appendNSs(scb.FieldBuilder(1).(*array.StructBuilder), true, i.Type, i.PrincipalID, i.ARN, i.AccountID, i.UserName)
		} else {
			scb.FieldBuilder(1).AppendNull()
		}
		appendNS(scb.FieldBuilder(2), sc.EC2RoleDelivery)
		wb := scb.FieldBuilder(3).(*array.StructBuilder)
		if w := sc.WebIDFederationData; w != nil {
			wb.Append(true)
			appendNS(wb.FieldBuilder(0), w.FederatedProvider)
			mb := wb.FieldBuilder(1).(*array.MapBuilder)
			if w.Attributes == nil {
				mb.AppendNull()
			} else {
				mb.Append(true)
				for _, k := range slices.Sorted(maps.Keys(w.Attributes)) {
					appendS(mb.KeyBuilder(), k)
					appendS(mb.ItemBuilder(), w.Attributes[k])
				}
			}
		} else {
			wb.AppendNull()
		}
		appendNS(scb.FieldBuilder(4), sc.SourceIdentity)
	} else {
		scb.AppendNull()
	}
	for i, s := range [...]keytrail.NullString{u.IdentityProvider, u.CredentialID, u.UserID, u.IdentityStoreARN} {
		appendNS(sb.FieldBuilder(9+i), s)
	}
}

// accessBuilder accumulates access-log records as Arrow columns.
type accessBuilder struct {
	rb *array.RecordBuilder
	f  []array.Builder
}

func newAccessBuilder(mem memory.Allocator) *accessBuilder {
	rb := array.NewRecordBuilder(mem, AccessLogSchema)
	return &accessBuilder{rb: rb, f: rb.Fields()}
}

func (b *accessBuilder) Len() int { return b.f[0].Len() }

// Append adds one record; sourceKey names the object it came from.
func (b *accessBuilder) Append(r *keytrail.AccessLogRecord, sourceKey string) {
	f := b.f
	for i, s := range [...]string{r.BucketOwner, r.Bucket, r.RequestDateTime, r.RemoteIP, r.Requester, r.RequestID,
		r.Operation, r.Key, r.RequestURI, r.HTTPStatus, r.ErrorCode} {
		appendS(f[i], s)
	}
	for i, n := range [...]keytrail.NullInt64{r.BytesSent, r.ObjectSize} {
		ib := f[11+i].(*array.Int64Builder)
		if n.Valid {
			ib.Append(n.Int64)
		} else {
			ib.AppendNull()
		}
	}
	for i, s := range [...]string{r.TotalTime, r.TurnAroundTime, r.Referrer, r.UserAgent, r.VersionID} {
		appendS(f[13+i], s)
	}
	for i, s := range [...]keytrail.NullString{r.HostID, r.SigV, r.CipherSuite, r.AuthType, r.Endpoint, r.TLSVersion,
		r.AccessPointARN, r.ACLRequired, r.SourceRegion} {
		appendNS(f[18+i], s)
	}
	appendTime(f[27], r.Time)
	lb := f[28].(*array.ListBuilder)
	if r.Extra == nil {
		lb.AppendNull()
	} else {
		lb.Append(true)
		for _, x := range r.Extra {
			appendS(lb.ValueBuilder(), x)
		}
	}
	appendS(f[29], sourceKey)
}
