package main

import (
	"context"
	"errors"
	"io"
)

// runUp is a placeholder until the up command lands.
func runUp(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("up: not implemented yet")
}
