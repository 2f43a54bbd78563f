// Package layerfs turns image layers into one read-only view of the final
// filesystem. Analyze streams one layer once (never extracting it to disk)
// and keeps every entry's metadata plus the content of the files extractors
// want; Merge stacks analysed layers with OCI whiteout semantics into an
// fs.FS that also knows which layer last wrote each path.
package layerfs

import (
	"io/fs"

	"github.com/customs-scanner/customs/internal/inventory"
)

// Entry is one file system entry of a layer (metadata only).
type Entry struct {
	// Path is cleaned, relative to the image root, with no leading slash.
	Path string
	Mode fs.FileMode // type bits and permission bits (incl. setuid/setgid)
	Size int64
	// Linkname is the symlink target as written (may be absolute or
	// relative), or for a hard link the cleaned root-relative target path.
	Linkname string
	Hardlink bool
	UID, GID int
}

// Layer is the analysis of one layer.
type Layer struct {
	// DiffID is the sha256 of the uncompressed layer tar, computed while reading ("sha256:<hex>").
	DiffID string
	// Digest is the sha256 of the bytes as stored (compressed), computed while reading.
	Digest string
	// Entries in tar order, whiteout markers excluded.
	Entries []Entry
	// Whiteouts are paths this layer deletes from lower layers (".wh.NAME").
	Whiteouts []string
	// Opaque are directories whose lower-layer contents this layer hides (".wh..wh..opq").
	Opaque []string
	// Files holds the content of entries that Options.Wants selected.
	Files map[string][]byte
	// Errors are per-entry problems (unsafe paths, oversize wanted files, ...).
	Errors []inventory.FileError
	// Skipped are the directories and files Options.Skip passed over.
	Skipped []Skipped
}

// Options control Analyze.
type Options struct {
	// Wants selects the regular files whose content is kept. Pure and cheap.
	Wants func(path string, mode fs.FileMode) bool
	// MaxFileSize caps a kept file; larger wanted files are skipped with a FileError.
	MaxFileSize int64
	// WantsLarge, if set, is asked about each wanted file larger than
	// 1 MiB (or than MaxFileSize): false skips it unread and without a
	// FileError, because whatever wants it ignores files that large (the
	// secret scanner scans none over 1 MiB). Pure and cheap.
	WantsLarge func(path string, mode fs.FileMode, size int64) bool
	// MaxTotalSize caps all content kept from one layer (0: DefaultMaxTotalSize),
	// so a decompression bomb of many wanted files cannot exhaust memory;
	// wanted files past the budget are skipped with a FileError.
	MaxTotalSize int64
	// SkipDigest leaves Digest empty for compressed layers instead of
	// hashing the stored bytes a second time; for callers that need only
	// the DiffID or whose source verifies the stored bytes itself (a
	// registry read is checked against its digest). A plain tar's Digest is
	// its DiffID and is always set.
	SkipDigest bool
	// Prepare, if set, turns each wanted file's content into what is kept
	// (and cached) in its place, as the file is read: extractors of large
	// files (archives, binaries) keep a compact digest of them instead of
	// the bytes. Returning nil keeps nothing; an error becomes a FileError.
	// Only one file's content is held at a time for it: content is a
	// buffer reused for the next file and released (unmapped) after the
	// layer, so the result must not share it or keep it past the call.
	Prepare func(path string, mode fs.FileMode, content []byte) ([]byte, error)
	// Skip passes over matching directories and files: they are not
	// recorded, not read, and listed in Layer.Skipped.
	Skip []SkipRule
	// Walked, if set, is called by AnalyzeDir as it enters each
	// directory, with the number of entries recorded so far, so a
	// person can watch a long walk.
	Walked func(entries int, dir string)
}
