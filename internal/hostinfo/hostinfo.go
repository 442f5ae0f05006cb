// Package hostinfo finds what the config placeholders need: instance id,
// hostname, IP address, region and account, from EC2 IMDSv2 or the local host.
package hostinfo

// Info is what placeholders resolve to. Fields hold the CloudWatch Agent's
// fallback strings (i-UNKNOWN, UNKNOWN-HOST, ...) when the value is unknown.
type Info struct {
	InstanceID    string // {instance_id}
	Hostname      string // {hostname}: IMDS private DNS name, else OS hostname
	LocalHostname string // {local_hostname}: OS hostname
	IPAddress     string // {ip_address}
	Region        string // {aws_region}
	AccountID     string // {account_id}
	// OnEC2 is true when the instance identity document was read.
	OnEC2 bool
}

// The CloudWatch Agent's fallback strings for values it cannot find.
const (
	UnknownInstanceID = "i-UNKNOWN"
	UnknownHost       = "UNKNOWN-HOST"
	UnknownIP         = "UNKNOWN-IP"
	UnknownRegion     = "UNKNOWN-REGION"
	UnknownAccount    = "UNKNOWN-ACCOUNT"
)
