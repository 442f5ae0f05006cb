package review

import (
	"context"

	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/report"
	"github.com/logwarden/logwarden/internal/review/source"
)

// FilesReader reads a host's log tree under opt.Root (source.Files).
func FilesReader(opt source.FileOptions) Reader {
	return func(ctx context.Context, fn func(*parse.Record) error) ([]report.Input, error) {
		ins, err := source.Files(ctx, opt, fn)
		return convertInputs(ins), err
	}
}

// CloudWatchReader reads log groups through the CloudWatch Logs API: the
// embedded server or AWS (source.CloudWatch).
func CloudWatchReader(opt source.CloudWatchOptions) Reader {
	return func(ctx context.Context, fn func(*parse.Record) error) ([]report.Input, error) {
		ins, err := source.CloudWatch(ctx, opt, fn)
		return convertInputs(ins), err
	}
}

func convertInputs(ins []source.Input) []report.Input {
	out := make([]report.Input, 0, len(ins))
	for _, in := range ins {
		r := report.Input{
			Source: in.Name, Kind: string(in.Class), Class: string(in.Class), Path: in.Path, Size: in.Size, SHA256: in.SHA256,
			ByteStart: in.ByteStart, ByteEnd: in.ByteEnd, Inode: in.Inode, ModTime: in.Mtime,
			LogGroup: in.Group, LogStream: in.Stream,
			Lines: in.Stats.Lines, Records: in.InPeriod, Unrecognised: in.Stats.Unrecognised,
			ParseErrors: int64(len(in.Stats.Errors)) + in.Stats.ErrorsDropped,
			First:       in.First, Last: in.Last, Note: in.Skipped,
		}
		if in.Compressed {
			r.Kind += "+gzip"
		}
		if in.Layout != "" {
			r.Kind += " (" + in.Layout + ")"
		}
		if b := in.Binary; b != nil && (b.Empty > 0 || b.TrailingLen > 0 || b.Backwards > 0 || b.Insane > 0) {
			r.Tamper = &report.BinaryTells{Empty: b.Empty, TrailingBytes: b.TrailingLen, Backwards: b.Backwards, Insane: b.Insane}
		}
		out = append(out, r)
	}
	return out
}
