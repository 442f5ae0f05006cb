package main

import (
	"context"
	"errors"
	"io"
)

// runReview is a placeholder until the review command lands.
func runReview(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("review: not implemented yet")
}
