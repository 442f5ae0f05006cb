package main

import (
	"context"
	"errors"
	"io"
)

// runAgent is a placeholder until the agent command lands.
func runAgent(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("agent: not implemented yet")
}
