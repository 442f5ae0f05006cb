// Package hostinfo finds what the config placeholders need: instance id,
// hostname, IP address, region and account, from EC2 IMDSv2 or the local host.
package hostinfo

// Info is what placeholders resolve to. Fields hold the CloudWatch Agent's
// fallback strings (i-UNKNOWN, UNKNOWN-HOST, ...) when the value is unknown.
type Info struct {
	InstanceID    string `json:"instance_id"`    // {instance_id}
	Hostname      string `json:"hostname"`       // {hostname}: IMDS private DNS name, else OS hostname
	LocalHostname string `json:"local_hostname"` // {local_hostname}: OS hostname
	IPAddress     string `json:"ip_address"`     // {ip_address}
	Region        string `json:"region"`         // {aws_region}
	AccountID     string `json:"account_id"`     // {account_id}
	// OnEC2 is true when the instance identity document was read.
	OnEC2 bool `json:"on_ec2"`
}

// The CloudWatch Agent's fallback strings for values it cannot find.
const (
	UnknownInstanceID = "i-UNKNOWN"
	UnknownHost       = "UNKNOWN-HOST"
	UnknownIP         = "UNKNOWN-IP"
	UnknownRegion     = "UNKNOWN-REGION"
	UnknownAccount    = "UNKNOWN-ACCOUNT"
)
