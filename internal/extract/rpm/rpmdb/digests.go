package rpmdb

import "fmt"

// Header tags of the files' digests (rpm lib/rpmtag.h).
const (
	tagFileDigests    = 1035 // RPMTAG_FILEDIGESTS (FILEMD5S before rpm 4.6), hex
	tagFileDigestAlgo = 5011 // RPMTAG_FILEDIGESTALGO, a PGPHASHALGO_ value; absent means MD5
)

// Digest algorithms a header names (rpm include/rpm/rpmpgp.h PGPHASHALGO_).
var digestAlgos = map[int32]string{1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}

// FileDigests is the record a package header keeps of its files' content:
// what drift compares a container's files with.
type FileDigests struct {
	Name string
	// Files are root-relative; Digests[i] is the hex digest of Files[i],
	// "" for what has no content (directories, symlinks, ghost files).
	Files   []string
	Digests []string
	// Algorithm is "md5", "sha1", "sha256", "sha384", "sha512" or
	// "sha224".
	Algorithm string
}

// ParseFileDigests reads a package's name, file list and file digests
// from a header blob as the rpmdb stores it.
func ParseFileDigests(b []byte) (FileDigests, error) {
	h, err := parseHeader(b)
	if err != nil {
		return FileDigests{}, err
	}
	var d FileDigests
	if d.Name, err = h.string(tagName); err != nil {
		return d, err
	}
	if d.Files, err = fileList(h); err != nil {
		return d, err
	}
	if d.Digests, err = h.strings(tagFileDigests); err != nil {
		return d, err
	}
	if len(d.Digests) != len(d.Files) {
		return d, fmt.Errorf("rpm header: %d files but %d digests", len(d.Files), len(d.Digests))
	}
	algo, err := h.int32s(tagFileDigestAlgo)
	if err != nil {
		return d, err
	}
	d.Algorithm = "md5"
	if len(algo) > 0 {
		a, ok := digestAlgos[algo[0]]
		if !ok {
			return d, fmt.Errorf("rpm header: unknown file digest algorithm %d", algo[0])
		}
		d.Algorithm = a
	}
	return d, nil
}
