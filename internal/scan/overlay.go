package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/customs-scanner/customs/internal/audit/secrets"
	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/target"
)

// UpperCreatedBy is the history entry of the layer Overlay adds.
const UpperCreatedBy = "customs: the container's changes since it started"

// Overlaid is an image and the same image with one more layer on top: a
// container's filesystem, as its image and its writable layer make it.
type Overlaid struct {
	// Base is the image's report, Top the report of the image with the
	// upper layer; both matched and summarised, without the gate.
	Base, Top *report.Report
	// Upper is the DiffID of the added layer: Top's packages and secrets
	// with this layer came with the changes.
	Upper string
	// BaseFS is the image's final filesystem: metadata of every entry and
	// the content of the files the extractors read.
	BaseFS *layerfs.FS
}

// Overlay reads t as Run does (its layers through the layer cache) and one
// more layer on top, the tar stream that upper opens, read once and never
// stored: what a container wrote since it started (a deletion is an OCI
// whiteout). Inventory, secrets (of the upper layer only) and matching are
// the scan's; the gate is the caller's, whose findings are not the scan's.
// upper is given the image's filesystem (metadata of every entry), read
// before the stream is opened, to tell the changes from it.
//
// A zero t has no layers: the stream is the whole filesystem (a container
// whose image is gone, exported whole), and Base is an empty report.
func Overlay(ctx context.Context, t target.Ref, upper func(ctx context.Context, base *layerfs.FS) (io.ReadCloser, error), opts Options) (*Overlaid, error) {
	if t != (target.Ref{}) {
		if err := image.Check(t); err != nil {
			return nil, err
		}
	}
	if opts.DBPath != "" {
		if _, err := os.Stat(opts.DBPath); errors.Is(err, fs.ErrNotExist) {
			return nil, &NoDBError{Path: opts.DBPath}
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := analyserFor(opts, log)
	defer a.flush()
	meta, scans := &image.Metadata{}, []scanned(nil)
	if t != (target.Ref{}) {
		src, err := image.OpenRef(ctx, t, opts.Image)
		if err != nil {
			return nil, err
		}
		defer src.Close()
		if meta, scans, err = a.load(ctx, src); err != nil {
			return nil, err
		}
		if meta.RootDir != "" {
			return nil, fmt.Errorf("%s is a root filesystem, not an image: a container's changes go over an image's layers", t)
		}
	}

	layers := make([]*layerfs.Layer, len(scans), len(scans)+1)
	infos := make([]extract.LayerInfo, len(scans), len(scans)+1)
	for i, sc := range scans {
		layers[i] = sc.layer
		if i < len(meta.Layers) {
			infos[i] = extract.LayerInfo{DiffID: sc.layer.DiffID, CreatedBy: meta.Layers[i].CreatedBy}
		}
	}
	eopts := extract.Options{KeepOwned: opts.KeepOwned}
	baseInv, err := extract.Run(ctx, layers, infos, a.exts, eopts)
	if err != nil {
		return nil, err
	}

	rc, err := upper(ctx, baseInv.FS)
	if err != nil {
		return nil, err
	}
	wopts, ls := a.walk()
	wopts.SkipDigest = true
	top, err := layerfs.Analyze(ctx, rc, wopts)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read the container's changes: %w", err)
	}

	now := opts.now()
	ref := t.String()
	upperInfo := extract.LayerInfo{DiffID: top.DiffID, CreatedBy: UpperCreatedBy}
	topInv, err := extract.Run(ctx, append(layers, top), append(infos, upperInfo), a.exts, eopts)
	if err != nil {
		return nil, err
	}
	o := &Overlaid{Upper: top.DiffID, BaseFS: baseInv.FS}
	for i, inv := range []*extract.Result{baseInv, topInv} {
		for _, pkgs := range [][]inventory.Package{inv.Packages, inv.Owned} {
			for j := range pkgs {
				pkgs[j].Files = nil
			}
		}
		li := infos
		if i == 1 {
			li = append(infos, upperInfo)
		}
		r := newReport(reportTarget(ref, meta, li), inv.Packages, inv.OS, opts, now)
		r.Warnings, r.Owned, r.Relationships = inv.Errors, inv.Owned, inv.Relationships
		if i == 1 {
			r.Warnings = append(r.Warnings, top.Errors...)
			if ls != nil {
				// Only the upper layer's secrets: the image's are the
				// image scan's to report.
				found := make([]*secrets.LayerResult, len(layers)+1)
				found[len(layers)] = ls.Result(top)
				r.Secrets = []report.Secret{}
				for _, f := range secrets.Collect(found, append(infos, upperInfo), inv.FS) {
					r.Secrets = append(r.Secrets, report.Secret{
						Rule: f.Rule, Severity: f.Severity, Source: f.Source, Layer: f.Layer, CreatedBy: f.CreatedBy,
						Path: f.Path, Line: f.Line, Match: f.Match, StillPresent: f.StillPresent,
					})
				}
			}
		}
		if r, err = matched(ctx, r, opts); err != nil {
			return nil, err
		}
		if i == 0 {
			o.Base = r
		} else {
			o.Top = r
		}
	}
	return o, nil
}
