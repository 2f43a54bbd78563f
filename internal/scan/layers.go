package scan

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"

	"github.com/customs-scanner/customs/internal/audit/secrets"
	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// analyserVersion names the layout of the cache's records; it is part of
// every cache key. Code changes need no bump: the build's identity (buildID)
// is part of the key of everything code computed.
const analyserVersion = "layerfs/3"

// analyser reads an image's layers, through the layer cache when it can
// prove the cached result belongs to the same bytes.
type analyser struct {
	cache    *layerfs.Cache
	build    string // buildID, when cache is set
	sig      string
	wants    func(string, fs.FileMode) bool
	large    func(string, fs.FileMode, int64) bool
	exts     []extract.Extractor // the extractors, without the secret scanner
	sec      *secrets.Scanner    // nil: no secret scan
	progress func(Event)
	skip     []layerfs.SkipRule // --skip-dirs, --skip-files
	skipSig  string             // layerfs.SkipSignature(skip), when there are rules
	log      *slog.Logger
	mu       sync.Mutex // serialises progress events
	// writes are the layer cache writes load left running (storeLater);
	// flush waits for them.
	writes sync.WaitGroup
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

// newAnalyser returns the analyser of layers for exts and, unless sec is
// nil, the secret scanner.
func newAnalyser(exts []extract.Extractor, sec *secrets.Scanner) *analyser {
	walk := exts
	if sec != nil {
		walk = append(slices.Clone(exts), sec)
	}
	return &analyser{sig: extract.Signature(walk), wants: extract.Wants(walk), large: extract.WantsLarge(walk), exts: exts, sec: sec}
}

func (a *analyser) layerKey(diffID string) string {
	return layerfs.Key("layer", analyserVersion, a.build, a.sig, diffID)
}

// secretsKey names a layer's secret scan: its own result, apart from the
// extractors' analysis, by the rules' identity and the skip rules (a file
// passed over is not scanned).
func (a *analyser) secretsKey(diffID string) string {
	return layerfs.Key("secrets", analyserVersion, a.build, a.sec.ID(), a.skipSig, diffID)
}

// walk returns the options of one layer's walk, and the secret scan that
// the walk feeds (nil without secrets).
func (a *analyser) walk() (layerfs.Options, *secrets.LayerScan) {
	o := layerfs.Options{Wants: a.wants, WantsLarge: a.large, Skip: a.skip}
	if a.sec == nil {
		o.Prepare = extract.Prepare(a.exts)
		return o, nil
	}
	ls := a.sec.Layer()
	o.Prepare = extract.Prepare(append(slices.Clone(a.exts), ls))
	return o, ls
}

// scanned is one layer's analysis and its secret scan (nil without secrets).
type scanned struct {
	layer   *layerfs.Layer
	secrets *secrets.LayerResult
}

func (a *analyser) load(ctx context.Context, src image.Source) (*image.Metadata, []scanned, error) {
	if meta, layers, ok := a.fromIdentity(src.Identity()); ok {
		a.log.Debug("layer cache hit for source identity", "layers", len(layers))
		return meta, layers, nil
	}
	// Sources may call back for several layers at once.
	var mu sync.Mutex
	results := map[string]scanned{}
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
		opts, ls := a.walk()
		opts.SkipDigest = true
		l, err := layerfs.Analyze(ctx, rc, opts)
		if err != nil {
			return err // the source names the layer
		}
		if b.Digest != "" {
			l.Digest = b.Digest
		}
		sc := scanned{layer: l}
		if ls != nil {
			sc.secrets = ls.Result(l)
		}
		mu.Lock()
		results[b.Key] = sc
		mu.Unlock()
		a.storeLater(sc, b.Digest)
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
		opts, ls := a.walk()
		opts.Skip = rules
		opts.Walked = func(n int, dir string) { a.notify(Event{Files: n, Dir: dir}) }
		l, err := layerfs.AnalyzeDir(ctx, meta.RootDir, opts)
		if err != nil {
			return nil, nil, err
		}
		a.log.Debug("walked root filesystem", "root", meta.RootDir, "entries", len(l.Entries), "skipped", len(l.Skipped))
		sc := scanned{layer: l}
		if ls != nil {
			sc.secrets = ls.Result(l)
		}
		return meta, []scanned{sc}, nil
	}
	layers := make([]scanned, len(meta.Layers))
	diffIDs := make([]string, len(meta.Layers))
	for i, lm := range meta.Layers {
		sc, ok := results[lm.Key]
		if !ok {
			return nil, nil, fmt.Errorf("layer %d (%s): blob missing from the image", i+1, lm.Key)
		}
		l := sc.layer
		if lm.ClaimedDiffID != "" && l.DiffID != lm.ClaimedDiffID {
			return nil, nil, fmt.Errorf("layer %d (%s): %w: its content has DiffID %s but the config claims %s; the image is corrupt or was tampered with",
				i+1, lm.Key, ErrLayerMismatch, l.DiffID, lm.ClaimedDiffID)
		}
		layers[i], diffIDs[i] = sc, l.DiffID
	}
	if id := src.Identity(); id != "" && a.cache != nil {
		if err := a.cache.PutRecord(layerfs.Key("image", analyserVersion, a.build, a.sig, id), imageRecord{Meta: meta, DiffIDs: diffIDs}); err != nil {
			a.log.Debug("cache write", "err", err)
		}
	}
	return meta, layers, nil
}

func (a *analyser) fromIdentity(id string) (*image.Metadata, []scanned, bool) {
	if a.cache == nil || id == "" {
		return nil, nil, false
	}
	var rec imageRecord
	if !a.cache.GetRecord(layerfs.Key("image", analyserVersion, a.build, a.sig, id), &rec) || rec.Meta == nil || len(rec.DiffIDs) != len(rec.Meta.Layers) {
		return nil, nil, false
	}
	layers := make([]scanned, len(rec.DiffIDs))
	for i, d := range rec.DiffIDs {
		sc, ok := a.cached(d)
		if !ok {
			return nil, nil, false
		}
		layers[i] = sc
	}
	return rec.Meta, layers, true
}

func (a *analyser) fromDigest(digest string) (scanned, bool) {
	if a.cache == nil || digest == "" {
		return scanned{}, false
	}
	var rec blobRecord
	if !a.cache.GetRecord(layerfs.Key("blob", analyserVersion, digest), &rec) {
		return scanned{}, false
	}
	sc, ok := a.cached(rec.DiffID)
	if !ok || sc.layer.Digest != digest {
		return scanned{}, false
	}
	return sc, true
}

// cached returns the layer with DiffID d from the cache, and its secret
// scan when secrets are on: a layer without the one is read again.
func (a *analyser) cached(d string) (scanned, bool) {
	l, ok := a.cache.Get(a.layerKey(d))
	if !ok || l.DiffID != d {
		return scanned{}, false
	}
	sc := scanned{layer: l}
	if a.sec != nil {
		var r secrets.LayerResult
		if !a.cache.GetRecord(a.secretsKey(d), &r) || r.DiffID != d {
			return scanned{}, false
		}
		sc.secrets = &r
	}
	return sc, true
}

// store caches a layer analysed from bytes read in full, so its DiffID
// (and Digest) were computed here, not taken from the image's claims, and
// its secret scan. The secrets are written first: a layer is only taken
// from the cache with them.
func (a *analyser) store(sc scanned, digest string) {
	l := sc.layer
	if a.cache == nil || l.DiffID == "" {
		return
	}
	if sc.secrets != nil {
		if err := a.cache.PutRecord(a.secretsKey(l.DiffID), sc.secrets); err != nil {
			a.log.Debug("cache write", "err", err)
			return
		}
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

// storeLater stores sc on a goroutine of its own: encoding and writing
// the largest layer's record took some 0.1 s of the critical path between
// reading the layers and extracting from them. The scan waits for it
// (flush) before it returns.
func (a *analyser) storeLater(sc scanned, digest string) {
	if a.cache == nil {
		return
	}
	a.writes.Go(func() { a.store(sc, digest) })
}

// flush waits for the cache writes storeLater started.
func (a *analyser) flush() { a.writes.Wait() }

func (a *analyser) notify(e Event) {
	if a.progress != nil {
		a.mu.Lock()
		a.progress(e)
		a.mu.Unlock()
	}
}
