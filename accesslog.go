package keytrail

import (
	"strconv"
	"time"
)

// AccessLogRecord is one line of an S3 server access log, shaped like AWS's
// Athena table for access logs. String fields hold the text of the field as
// logged, which is what Athena's regex table returns: "-" stays "-", and
// request_uri, referrer and useragent keep their double quotes when the line
// had them. requestdatetime is the time without its brackets. bytessent and
// objectsize are numbers, absent (NULL) for "-".
//
// Fields that the line did not have (older 18- and 24-field lines) are
// absent. Fields after the 27th, which AWS may add at any time, are kept in
// Extra in order.
type AccessLogRecord struct {
	BucketOwner     string     `json:"bucketowner"`
	Bucket          string     `json:"bucket_name"`
	RequestDateTime string     `json:"requestdatetime"`
	RemoteIP        string     `json:"remoteip"`
	Requester       string     `json:"requester"`
	RequestID       string     `json:"requestid"`
	Operation       string     `json:"operation"`
	Key             string     `json:"key"`
	RequestURI      string     `json:"request_uri"`
	HTTPStatus      string     `json:"httpstatus"`
	ErrorCode       string     `json:"errorcode"`
	BytesSent       NullInt64  `json:"bytessent"`
	ObjectSize      NullInt64  `json:"objectsize"`
	TotalTime       string     `json:"totaltime"`
	TurnAroundTime  string     `json:"turnaroundtime"`
	Referrer        string     `json:"referrer"`
	UserAgent       string     `json:"useragent"`
	VersionID       string     `json:"versionid"`
	HostID          NullString `json:"hostid"`
	SigV            NullString `json:"sigv"`
	CipherSuite     NullString `json:"ciphersuite"`
	AuthType        NullString `json:"authtype"`
	Endpoint        NullString `json:"endpoint"`
	TLSVersion      NullString `json:"tlsversion"`
	AccessPointARN  NullString `json:"accesspointarn"`
	ACLRequired     NullString `json:"aclrequired"`
	SourceRegion    NullString `json:"sourceregion"`

	// Time is requestdatetime parsed and converted to UTC.
	Time time.Time `json:"requesttime"`
	// Extra holds fields after the last known one, in order; nil when none.
	Extra []string `json:"extra_fields,omitempty"`
}

// NullInt64 is an integer that may be absent.
type NullInt64 struct {
	Int64 int64
	Valid bool
}

// MarshalJSON writes the number, or null when absent.
func (n NullInt64) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, n.Int64, 10), nil
}
