// Package e2e holds end-to-end tests that build the logwarden binary and run
// it as users do: the server, the agent, `up` and `ctl`, against the real AWS
// SDK, the AWS CLI and logrotate.
package e2e
