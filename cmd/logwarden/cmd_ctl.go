package main

import (
	"context"
	"errors"
	"io"
)

// runCtl is a placeholder until the ctl command lands.
func runCtl(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("ctl: not implemented yet")
}
