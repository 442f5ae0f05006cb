package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/logwarden/logwarden/internal/server"
	"github.com/logwarden/logwarden/internal/store"
)

// runVerify runs `logwarden verify --data DIR`: it re-reads the store (the
// server must be stopped) and checks every stream against its hash chain. It
// exits 1 when anything was changed, removed or inserted outside the API.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", server.DefaultDataDir(), "store directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("verify: unexpected argument %q", fs.Arg(0))}
	}
	rep, err := store.VerifyDir(ctx, *dir)
	if err != nil {
		return fmt.Errorf("verify store %s: %w", *dir, err)
	}
	fmt.Fprint(stdout, rep.String())
	if !rep.OK() {
		return exitError{code: 1, msg: fmt.Sprintf("logwarden verify: %d integrity problems in %s", len(rep.Problems), *dir)}
	}
	return nil
}
