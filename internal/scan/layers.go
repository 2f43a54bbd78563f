package scan

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"

	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// analyserVersion names the layout of the cache's records; it is part of
// every cache key. Code changes need no bump: the build's identity (buildID)
// is part of the key of everything code computed.
const analyserVersion = "layerfs/2"

// analyser reads an image's layers, through the layer cache when it can
// prove the cached result belongs to the same bytes.
type analyser struct {
	cache    *layerfs.Cache
	build    string // buildID, when cache is set
	sig      string
	wants    func(string, fs.FileMode) bool
	large    func(string, fs.FileMode, int64) bool
	prepare  func(string, fs.FileMode, []byte) ([]byte, error)
	progress func(Event)
	skip     []layerfs.SkipRule // --skip-dirs, --skip-files
	log      *slog.Logger
	mu       sync.Mutex // serialises progress events
}

// imageRecord is what the fast path remembers about a source whose identity
// (file path, size, times, inode) has not changed: its metadata and the
// DiffIDs verified when its layers were last read in full.
type imageRecord struct {
	Meta    *image.Metadata `json:"meta"`
	DiffIDs []string        `json:"diffIDs"`
}

// blobRecord maps a verified compressed digest to its DiffID.
type blobRecord struct {
	DiffID string `json:"diffID"`
}

func (a *analyser) layerKey(diffID string) string {
	return layerfs.Key("layer", analyserVersion, a.build, a.sig, diffID)
}

func (a *analyser) load(ctx context.Context, src image.Source) (*image.Metadata, []*layerfs.Layer, error) {
	if meta, layers, ok := a.fromIdentity(src.Identity()); ok {
		a.log.Debug("layer cache hit for source identity", "layers", len(layers))
		return meta, layers, nil
	}
	// Sources may call back for several layers at once.
	var mu sync.Mutex
	results := map[string]*layerfs.Layer{}
	meta, err := src.Read(ctx, func(ctx context.Context, b image.Blob) error {
		if l, ok := a.fromDigest(b.Digest); ok {
			mu.Lock()
			results[b.Key] = l
			mu.Unlock()
			a.notify(Event{Layer: b.Key, Cached: true, Done: true})
			return nil
		}
		a.notify(Event{Layer: b.Key})
		rc, err := b.Open()
		if err != nil {
			return fmt.Errorf("open layer %s: %w", b.Key, err)
		}
		defer rc.Close()
		// The compressed digest is not hashed here: no source but a
		// registry names one, and a registry read fails at EOF unless
		// the bytes match it (see image.Blob.Digest).
		l, err := layerfs.Analyze(ctx, rc, layerfs.Options{Wants: a.wants, WantsLarge: a.large, Prepare: a.prepare, SkipDigest: true, Skip: a.skip})
		if err != nil {
			return err // the source names the layer
		}
		if b.Digest != "" {
			l.Digest = b.Digest
		}
		mu.Lock()
		results[b.Key] = l
		mu.Unlock()
		a.store(l, b.Digest)
		a.notify(Event{Layer: b.Key, Done: true})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if meta.RootDir != "" {
		rules := slices.Clone(a.skip)
		for _, s := range meta.Skip {
			p := s.Pattern
			if s.Exact {
				p = layerfs.Literal(p)
			}
			rules = append(rules, layerfs.SkipRule{Pattern: p, Dir: true, Reason: s.Reason})
		}
		walked := func(n int, dir string) { a.notify(Event{Files: n, Dir: dir}) }
		l, err := layerfs.AnalyzeDir(ctx, meta.RootDir, layerfs.Options{Wants: a.wants, WantsLarge: a.large, Prepare: a.prepare, Skip: rules, Walked: walked})
		if err != nil {
			return nil, nil, err
		}
		a.log.Debug("walked root filesystem", "root", meta.RootDir, "entries", len(l.Entries), "skipped", len(l.Skipped))
		return meta, []*layerfs.Layer{l}, nil
	}
	layers := make([]*layerfs.Layer, len(meta.Layers))
	diffIDs := make([]string, len(meta.Layers))
	for i, lm := range meta.Layers {
		l, ok := results[lm.Key]
		if !ok {
			return nil, nil, fmt.Errorf("layer %d (%s): blob missing from the image", i+1, lm.Key)
		}
		if lm.ClaimedDiffID != "" && l.DiffID != lm.ClaimedDiffID {
			return nil, nil, fmt.Errorf("layer %d (%s): %w: its content has DiffID %s but the config claims %s; the image is corrupt or was tampered with",
				i+1, lm.Key, ErrLayerMismatch, l.DiffID, lm.ClaimedDiffID)
		}
		layers[i], diffIDs[i] = l, l.DiffID
	}
	if id := src.Identity(); id != "" && a.cache != nil {
		if err := a.cache.PutRecord(layerfs.Key("image", analyserVersion, a.build, a.sig, id), imageRecord{Meta: meta, DiffIDs: diffIDs}); err != nil {
			a.log.Debug("cache write", "err", err)
		}
	}
	return meta, layers, nil
}

func (a *analyser) fromIdentity(id string) (*image.Metadata, []*layerfs.Layer, bool) {
	if a.cache == nil || id == "" {
		return nil, nil, false
	}
	var rec imageRecord
	if !a.cache.GetRecord(layerfs.Key("image", analyserVersion, a.build, a.sig, id), &rec) || rec.Meta == nil || len(rec.DiffIDs) != len(rec.Meta.Layers) {
		return nil, nil, false
	}
	layers := make([]*layerfs.Layer, len(rec.DiffIDs))
	for i, d := range rec.DiffIDs {
		l, ok := a.cache.Get(a.layerKey(d))
		if !ok || l.DiffID != d {
			return nil, nil, false
		}
		layers[i] = l
	}
	return rec.Meta, layers, true
}

func (a *analyser) fromDigest(digest string) (*layerfs.Layer, bool) {
	if a.cache == nil || digest == "" {
		return nil, false
	}
	var rec blobRecord
	if !a.cache.GetRecord(layerfs.Key("blob", analyserVersion, digest), &rec) {
		return nil, false
	}
	l, ok := a.cache.Get(a.layerKey(rec.DiffID))
	if !ok || l.DiffID != rec.DiffID || l.Digest != digest {
		return nil, false
	}
	return l, true
}

// store caches a layer analysed from bytes read in full, so its DiffID
// (and Digest) were computed here, not taken from the image's claims.
func (a *analyser) store(l *layerfs.Layer, digest string) {
	if a.cache == nil || l.DiffID == "" {
		return
	}
	if err := a.cache.Put(a.layerKey(l.DiffID), l); err != nil {
		a.log.Debug("cache write", "err", err)
		return
	}
	if digest != "" {
		if err := a.cache.PutRecord(layerfs.Key("blob", analyserVersion, digest), blobRecord{DiffID: l.DiffID}); err != nil {
			a.log.Debug("cache write", "err", err)
		}
	}
}

func (a *analyser) notify(e Event) {
	if a.progress != nil {
		a.mu.Lock()
		a.progress(e)
		a.mu.Unlock()
	}
}
