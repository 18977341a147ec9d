package keytrail

import (
	"encoding/json"
	"time"
)

// NullString is a string that may be absent. Absent fields of a log record
// are NULL in the store and in SQL, as in Athena; an empty string that the log
// did hold (accessKeyId "" of some Identity Center events) stays "".
type NullString struct {
	String string
	Valid  bool
}

// S returns a valid NullString holding s.
func S(s string) NullString { return NullString{String: s, Valid: true} }

// MarshalJSON writes the string, or null when absent.
func (n NullString) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(n.String)
}

// UnmarshalJSON reads a string or null.
func (n *NullString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = NullString{}
		return nil
	}
	n.Valid = true
	return json.Unmarshal(b, &n.String)
}

// Event is one CloudTrail record, shaped like the columns of AWS's Athena
// CloudTrail table: JSON keys are the Athena (lower-case) column names,
// nested objects that Athena keeps as text (requestparameters,
// responseelements, additionaleventdata, serviceeventdetails,
// edgedevicedetails) hold compact JSON text, and readonly is 'true'/'false'.
// Fields after the Athena ones are keytrail's additions.
type Event struct {
	EventVersion                 NullString   `json:"eventversion"`
	UserIdentity                 UserIdentity `json:"useridentity"`
	EventTime                    NullString   `json:"eventtime"`
	EventSource                  NullString   `json:"eventsource"`
	EventName                    NullString   `json:"eventname"`
	AWSRegion                    NullString   `json:"awsregion"`
	SourceIPAddress              NullString   `json:"sourceipaddress"`
	UserAgent                    NullString   `json:"useragent"`
	ErrorCode                    NullString   `json:"errorcode"`
	ErrorMessage                 NullString   `json:"errormessage"`
	RequestParameters            NullString   `json:"requestparameters"`
	ResponseElements             NullString   `json:"responseelements"`
	AdditionalEventData          NullString   `json:"additionaleventdata"`
	RequestID                    NullString   `json:"requestid"`
	EventID                      NullString   `json:"eventid"`
	ReadOnly                     NullString   `json:"readonly"`
	Resources                    []Resource   `json:"resources"`
	EventType                    NullString   `json:"eventtype"`
	APIVersion                   NullString   `json:"apiversion"`
	RecipientAccountID           NullString   `json:"recipientaccountid"`
	ServiceEventDetails          NullString   `json:"serviceeventdetails"`
	SharedEventID                NullString   `json:"sharedeventid"`
	VPCEndpointID                NullString   `json:"vpcendpointid"`
	VPCEndpointAccountID         NullString   `json:"vpcendpointaccountid"`
	EventCategory                NullString   `json:"eventcategory"`
	Addendum                     *Addendum    `json:"addendum"`
	SessionCredentialFromConsole NullString   `json:"sessioncredentialfromconsole"`
	EdgeDeviceDetails            NullString   `json:"edgedevicedetails"`
	TLSDetails                   *TLSDetails  `json:"tlsdetails"`

	// keytrail additions.
	ManagementEvent NullString `json:"managementevent"` // 'true'/'false' as logged
	EventContext    NullString `json:"eventcontext"`    // JSON text
	InsightDetails  NullString `json:"insightdetails"`  // JSON text, Insights events only
	// Time is eventTime parsed, in UTC; zero when eventTime is absent or unreadable.
	Time time.Time `json:"-"`
}

// IsInsight reports whether the record is a CloudTrail Insights event rather
// than an API call or service event.
func (e *Event) IsInsight() bool {
	return e.EventCategory.String == "Insight" || e.EventType.String == "AwsCloudTrailInsight" || e.InsightDetails.Valid
}

// UserIdentity is the userIdentity element of a CloudTrail record.
type UserIdentity struct {
	Type             NullString      `json:"type"`
	PrincipalID      NullString      `json:"principalid"`
	ARN              NullString      `json:"arn"`
	AccountID        NullString      `json:"accountid"`
	InvokedBy        NullString      `json:"invokedby"`
	AccessKeyID      NullString      `json:"accesskeyid"`
	UserName         NullString      `json:"username"`
	OnBehalfOf       *OnBehalfOf     `json:"onbehalfof"`
	SessionContext   *SessionContext `json:"sessioncontext"`
	IdentityProvider NullString      `json:"identityprovider"` // SAMLUser, WebIdentityUser
	CredentialID     NullString      `json:"credentialid"`
	UserID           NullString      `json:"userid"`           // some IdentityCenterUser events
	IdentityStoreARN NullString      `json:"identitystorearn"` // some IdentityCenterUser events
}

// OnBehalfOf names the Identity Center user behind an IdentityCenterUser identity.
type OnBehalfOf struct {
	UserID           NullString `json:"userid"`
	IdentityStoreARN NullString `json:"identitystorearn"`
}

// SessionContext describes the temporary credentials of a request.
type SessionContext struct {
	Attributes          *SessionAttributes   `json:"attributes"`
	SessionIssuer       *SessionIssuer       `json:"sessionissuer"`
	EC2RoleDelivery     NullString           `json:"ec2roledelivery"`
	WebIDFederationData *WebIDFederationData `json:"webidfederationdata"`
	SourceIdentity      NullString           `json:"sourceidentity"`
}

// SessionAttributes are the attributes of a session context. creationDate is
// kept as logged (both 2021-07-05T09:00:00Z and 20131102T010628Z occur).
type SessionAttributes struct {
	MFAAuthenticated NullString `json:"mfaauthenticated"`
	CreationDate     NullString `json:"creationdate"`
}

// SessionIssuer is the principal (usually a role) that issued a session.
type SessionIssuer struct {
	Type        NullString `json:"type"`
	PrincipalID NullString `json:"principalid"`
	ARN         NullString `json:"arn"`
	AccountID   NullString `json:"accountid"`
	UserName    NullString `json:"username"`
}

// WebIDFederationData describes a web identity federation session.
type WebIDFederationData struct {
	FederatedProvider NullString        `json:"federatedprovider"`
	Attributes        map[string]string `json:"attributes"`
}

// Resource is one element of a record's resources list.
type Resource struct {
	ARN       NullString `json:"arn"`
	AccountID NullString `json:"accountid"`
	Type      NullString `json:"type"`
}

// Addendum is present when an event was delivered late or updated.
type Addendum struct {
	Reason            NullString `json:"reason"`
	UpdatedFields     NullString `json:"updatedfields"`
	OriginalRequestID NullString `json:"originalrequestid"`
	OriginalEventID   NullString `json:"originaleventid"`
}

// TLSDetails describes the TLS connection of a request.
type TLSDetails struct {
	TLSVersion               NullString `json:"tlsversion"`
	CipherSuite              NullString `json:"ciphersuite"`
	ClientProvidedHostHeader NullString `json:"clientprovidedhostheader"`
}
