package main

import (
	"context"
	"errors"
	"io"
)

// runVerify is a placeholder until the verify command lands.
func runVerify(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("verify: not implemented yet")
}
