package main

import (
	"context"
	"errors"
	"io"
)

// runServer is a placeholder until the server command lands.
func runServer(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("server: not implemented yet")
}
