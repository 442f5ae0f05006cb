package main

import (
	"context"
	"errors"
	"io"
)

// runConfig is a placeholder until the config command lands.
func runConfig(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("config: not implemented yet")
}
