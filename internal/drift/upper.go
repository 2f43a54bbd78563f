package drift

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/extract/rpm"
	"github.com/customs-scanner/customs/internal/extract/rpm/rpmdb"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// maxDBFile bounds one package-manager record read from the export (a
// dpkg .md5sums file, apk's installed database).
const maxDBFile = 64 << 20

// exported is what the export stream said about one changed path.
type exported struct {
	Mode     fs.FileMode
	Size     int64
	Linkname string
	Hardlink bool
	// SHA256 is the content's digest ("sha256:<hex>"); md5 and sha1 are
	// for the package managers' records (dpkg, apk).
	SHA256    string
	md5, sha1 string
	// Exec says why the file is an executable: "elf", "script" (a
	// shebang) or "mode" (an executable bit); "" when it is none.
	Exec string
}

// owned is a package manager's record of one file.
type owned struct {
	Package   string `json:"package"`
	Manager   string `json:"manager"`   // "dpkg", "apk", "rpm"
	Algorithm string `json:"algorithm"` // "md5", "sha1", "sha256"
	Digest    string `json:"digest"`    // hex
}

// upper filters a container's export into the layer of its changes: the
// changed paths' entries, then a whiteout for each deleted path. It hashes
// the changed files and keeps the package managers' records of them.
type upper struct {
	changes map[string]string // path -> Added, Changed, Deleted; ignored paths removed
	files   map[string]*exported
	owners  map[string]owned
	// aliases are the top-level directories that are symlinks (a merged
	// /usr's bin -> usr/bin), seen before the package records in the
	// export's order.
	aliases map[string]string
	entries int // entries of the export
	// skipped are package-manager records too large to read; unread
	// those that could not be read.
	skipped []string
	unread  []inventory.FileError

	// base, when set, is the image's filesystem: the changes are told
	// from the export itself (changes starts empty), by comparing each
	// entry with the image's, as the engine's GET /changes does on a
	// storage driver that keeps no record of them, but without the
	// engine's second walk of the whole filesystem. An entry whose type,
	// permissions, owner, size or link target differ changed; so did a
	// regular file written after created (its content may differ at the
	// same size). A path of the image the export lacks was deleted.
	base    *layerfs.FS
	created time.Time
	// seen are the export's paths; regs its regular files' sizes and
	// whether they changed, for the hard links to them.
	seen map[string]struct{}
	regs map[string]regular
	// byTime are the files told changed by their time alone: the
	// package manager's record may show their content is the image's.
	byTime map[string]bool

	// whole makes the layer the whole filesystem of the export, not only
	// its changes: for a container whose image is gone.
	whole bool

	// sums are the digests (in algos, "md5", "sha1", "md5 sha256") of
	// the regular files whose metadata are the image's; unlayered the
	// files verify found changed, whose content is not in the layer.
	sums  map[string]*exported
	algos string
	// verifyExec and verifyAll say which of them: those with an
	// executable bit (binaries, scripts), or all (Options.Verify).
	verifyExec, verifyAll bool
	vs                    verifyHashers
	unlayered             []string
}

// verifyHashers hash the files whose metadata are the image's, in the
// algorithms the package records hold.
type verifyHashers struct {
	md5, sha1, sha256 hash.Hash
	all               []hash.Hash
	head              [4]byte
	n                 int
}

func (h *verifyHashers) reset(algos string) {
	h.all = h.all[:0]
	for name, hp := range map[string]*hash.Hash{"md5": &h.md5, "sha1": &h.sha1, "sha256": &h.sha256} {
		if !strings.Contains(algos, name) {
			*hp = nil
			continue
		}
		if *hp == nil {
			switch name {
			case "md5":
				*hp = md5.New()
			case "sha1":
				*hp = sha1.New()
			default:
				*hp = sha256.New()
			}
		}
		(*hp).Reset()
		h.all = append(h.all, *hp)
	}
	h.n = 0
}

func (h *verifyHashers) Write(p []byte) (int, error) {
	if h.n < len(h.head) {
		h.n += copy(h.head[h.n:], p)
	}
	for _, x := range h.all {
		x.Write(p)
	}
	return len(p), nil
}

// regular is what a hard link to a regular file of the export needs.
type regular struct {
	size    int64
	changed bool
}

func newUpper(changes map[string]string) *upper {
	return &upper{changes: changes, files: map[string]*exported{}, owners: map[string]owned{}, aliases: map[string]string{}}
}

// newExportUpper is an upper that tells the changes from the export and
// the image's filesystem base (see upper.base).
func newExportUpper(base *layerfs.FS, created time.Time, verify string) *upper {
	u := newUpper(map[string]string{})
	u.base, u.created = base, created
	u.verifyAll = verify == VerifyAll
	u.verifyExec = u.verifyAll || verify == VerifyExec || verify == ""
	u.seen, u.regs, u.byTime = map[string]struct{}{}, map[string]regular{}, map[string]bool{}
	u.sums = map[string]*exported{}
	return u
}

// mtimeSlack allows for a file written as the container was created (its
// init layer) with a clock coarser than the engine's.
const mtimeSlack = 2 * time.Second

// classify tells whether the export's entry hdr at p changed from the
// image: the change and true, or "" and false.
func (u *upper) classify(p string, hdr *tar.Header) (string, bool) {
	u.seen[p] = struct{}{}
	for q := path.Dir(p); q != "."; q = path.Dir(q) {
		if _, ok := u.seen[q]; ok {
			break
		}
		u.seen[q] = struct{}{} // a parent the export implies
	}
	fi, err := u.base.Lstat(p)
	if err != nil {
		if hdr.Typeflag == tar.TypeReg {
			u.regs[p] = regular{size: hdr.Size, changed: true}
		}
		return Added, true
	}
	e, _ := fi.Sys().(layerfs.Entry)
	mode := hdr.FileInfo().Mode()
	meta := mode.Perm()|mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != fi.Mode().Perm()|fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) ||
		hdr.Uid != e.UID || hdr.Gid != e.GID
	late := !u.created.IsZero() && hdr.ModTime.After(u.created.Add(-mtimeSlack))
	switch hdr.Typeflag {
	case tar.TypeDir:
		if !fi.IsDir() || meta {
			return Changed, true
		}
		return "", false // a directory's time changes with its entries
	case tar.TypeSymlink:
		if fi.Mode()&fs.ModeSymlink == 0 || hdr.Linkname != e.Linkname || meta {
			return Changed, true
		}
		return "", false
	case tar.TypeReg:
		changed := !fi.Mode().IsRegular() || hdr.Size != fi.Size() || meta
		if !changed && late {
			changed = true
			u.byTime[p] = true
		}
		u.regs[p] = regular{size: hdr.Size, changed: changed}
		if changed {
			return Changed, true
		}
		return "", false
	case tar.TypeLink:
		lp, _ := cleanPath(hdr.Linkname)
		t, ok := u.regs[lp]
		if !ok || t.changed || !fi.Mode().IsRegular() || t.size != fi.Size() || meta {
			return Changed, true
		}
		return "", false
	}
	if fi.Mode()&fs.ModeType != mode&fs.ModeType || meta {
		return Changed, true
	}
	return "", false
}

// hint tells, from the paths before the package records in the export's
// (lexical) order, which digest their records hold: dpkg's MD5 (etc/dpkg),
// apk's SHA-1 (etc/apk), else rpm's SHA-256 (and MD5 for old rpm).
func (u *upper) hint(p string) {
	switch {
	case u.algos != "":
	case p == "etc/dpkg" || strings.HasPrefix(p, "etc/dpkg/"):
		u.algos = "md5"
	case p == "etc/apk" || strings.HasPrefix(p, "etc/apk/"):
		u.algos = "sha1"
	case strings.HasPrefix(p, "usr/") || strings.HasPrefix(p, "var/"):
		u.algos = "md5 sha256" // no hint by now
	}
}

// sum keeps the digest of a file whose metadata are the image's, in the
// algorithm its package manager records (hint), so that a rewrite at the
// same size, permissions and owner, its time set back, is still found by
// its package's record (verify).
func (u *upper) sum(p string, hdr *tar.Header, body io.Reader) error {
	algos := u.algos
	if algos == "" {
		algos = "md5 sha256" // before any hint (a /bin of its own)
	}
	u.vs.reset(algos)
	src := &readErr{r: body}
	if _, err := io.Copy(&u.vs, src); err != nil {
		return fmt.Errorf("the export ended early in %s: %w", p, unexpected(src.err))
	}
	e := &exported{Mode: hdr.FileInfo().Mode(), Size: hdr.Size}
	if u.vs.md5 != nil {
		e.md5 = hex.EncodeToString(u.vs.md5.Sum(nil))
	}
	if u.vs.sha1 != nil {
		e.sha1 = hex.EncodeToString(u.vs.sha1.Sum(nil))
	}
	if u.vs.sha256 != nil {
		e.SHA256 = "sha256:" + hex.EncodeToString(u.vs.sha256.Sum(nil))
	}
	e.Exec = execKind(u.vs.head[:u.vs.n], e.Mode)
	u.sums[p] = e
	return nil
}

// verify marks as changed the files whose metadata are the image's but
// whose content is not what their package recorded.
func (u *upper) verify() {
	for p, own := range u.owners {
		e, ok := u.sums[p]
		if !ok || u.changes[p] != "" || own.digestOf(e) == "" || own.matches(e) {
			continue
		}
		u.changes[p] = Changed
		u.files[p] = e
		u.unlayered = append(u.unlayered, p)
	}
	u.sums = nil
}

// deletions adds the image's paths the export lacks as deleted.
func (u *upper) deletions() {
	u.base.Entries(func(p string, _ layerfs.Entry, _ int) bool {
		if _, ok := u.seen[p]; !ok {
			u.changes[p] = Deleted
		}
		return true
	})
}

// relevant reports whether a package record of p matters: p changed, or a
// directory above it was deleted.
func (u *upper) relevant(p string) bool {
	if u.base != nil {
		return true // the changes are known at the end (prune)
	}
	if _, ok := u.changes[p]; ok {
		return true
	}
	for q := path.Dir(p); q != "." && q != "/"; q = path.Dir(q) {
		if u.changes[q] == Deleted {
			return true
		}
	}
	return false
}

// run reads the export from r and writes the upper layer to w.
func (u *upper) run(ctx context.Context, r io.Reader, w io.Writer) error {
	tr := tar.NewReader(bufio.NewReaderSize(r, 256<<10))
	tw := tar.NewWriter(w)
	hs := newHashers()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, tar.ErrInsecurePath) && hdr != nil {
			err = nil
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("the export ended early after %d entries (was the container removed?): %w", u.entries, err)
		}
		u.entries++
		p, ok := cleanPath(hdr.Name)
		if !ok || p == "." {
			continue
		}
		if hdr.Typeflag == tar.TypeSymlink && !strings.Contains(p, "/") {
			// A merged /usr: /bin -> usr/bin. Package records name
			// files by the path the package ships them at (bin/ls).
			if t, ok := cleanPath(hdr.Linkname); ok && t != "." && t != p {
				u.aliases[p] = t
			}
		}
		var kind string
		var changed bool
		if u.base != nil {
			u.hint(p)
			kind, changed = u.classify(p, hdr)
			if changed {
				u.changes[p] = kind
			}
		} else {
			kind, changed = u.changes[p]
			if changed && kind == Deleted {
				changed = false // present again: the changes were read before the export
			}
		}
		var body io.Reader = tr
		if hdr.Typeflag == tar.TypeReg && isPackageDB(p) {
			data, err := io.ReadAll(io.LimitReader(tr, maxDBFile+1))
			if err != nil {
				return fmt.Errorf("the export ended early in %s: %w", p, unexpected(err))
			}
			if len(data) > maxDBFile {
				u.skipped = append(u.skipped, p)
			} else {
				u.readPackageDB(ctx, p, data)
			}
			body = io.MultiReader(bytes.NewReader(data), tr)
		}
		if !changed && !u.whole {
			if u.base != nil && hdr.Typeflag == tar.TypeReg && hdr.Size > 0 &&
				(u.verifyAll || (u.verifyExec && hdr.Mode&0o111 != 0)) {
				// Unchanged by its metadata: its digest, for the
				// package records read later in the stream.
				if err := u.sum(p, hdr, body); err != nil {
					return err
				}
			}
			continue // the tar reader skips the rest
		}
		h := *hdr
		h.Name = p
		if h.Typeflag == tar.TypeDir {
			h.Name += "/"
		}
		e := &exported{Mode: hdr.FileInfo().Mode(), Size: hdr.Size, Linkname: hdr.Linkname}
		switch hdr.Typeflag {
		case tar.TypeLink:
			lp, ok := cleanPath(hdr.Linkname)
			if !ok {
				continue
			}
			h.Linkname, e.Linkname, e.Hardlink = lp, lp, true
		case tar.TypeReg, tar.TypeDir, tar.TypeSymlink:
		default:
			if changed {
				u.files[p] = e
			}
			continue // devices and fifos: recorded, not layered
		}
		if err := tw.WriteHeader(&h); err != nil {
			return fmt.Errorf("write the changes' layer: %w", err)
		}
		if !changed {
			// The whole filesystem: an unchanged entry, as it is.
			if hdr.Typeflag == tar.TypeReg {
				src := &readErr{r: body}
				if _, err := io.Copy(tw, src); err != nil {
					if src.err != nil {
						return fmt.Errorf("the export ended early in %s: %w", p, unexpected(src.err))
					}
					return fmt.Errorf("write the changes' layer: %w", err)
				}
			}
			continue
		}
		if hdr.Typeflag == tar.TypeReg {
			hs.reset()
			src := &readErr{r: body}
			if _, err := io.Copy(io.MultiWriter(tw, hs), src); err != nil {
				if src.err != nil {
					return fmt.Errorf("the export ended early in %s: %w", p, unexpected(src.err))
				}
				return fmt.Errorf("write the changes' layer: %w", err)
			}
			e.SHA256, e.md5, e.sha1 = "sha256:"+hex.EncodeToString(hs.sha256.Sum(nil)), hex.EncodeToString(hs.md5.Sum(nil)), hex.EncodeToString(hs.sha1.Sum(nil))
			e.Exec = execKind(hs.head[:hs.n], e.Mode)
		}
		u.files[p] = e
	}
	// Deletions as OCI whiteouts, so the layer over the image is the
	// container's filesystem (one for a deleted directory, not for each
	// path under it).
	if u.base != nil {
		u.deletions()
		u.verify()
		for p := range u.owners {
			if _, ok := u.changes[p]; !ok {
				delete(u.owners, p)
			}
		}
	}
	var deleted []string
	for p, k := range u.changes {
		if u.whole {
			break // nothing under the layer to delete
		}
		if k == Deleted && (u.base == nil || u.changes[path.Dir(p)] != Deleted) {
			deleted = append(deleted, p)
		}
	}
	sort.Strings(deleted)
	for _, p := range deleted {
		dir, base := path.Split(p)
		if err := tw.WriteHeader(&tar.Header{Name: dir + ".wh." + base, Typeflag: tar.TypeReg, Mode: 0o644}); err != nil {
			return fmt.Errorf("write the changes' layer: %w", err)
		}
	}
	return tw.Close()
}

// execKind says why content with mode is an executable, or "".
func execKind(head []byte, mode fs.FileMode) string {
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return "elf"
	case bytes.HasPrefix(head, []byte("#!")):
		return "script"
	case mode&0o111 != 0:
		return "mode"
	}
	return ""
}

// hashers hash one file for the report and the package managers, and keep
// its first bytes.
type hashers struct {
	sha256, md5, sha1 hash.Hash
	head              [4]byte
	n                 int
}

func newHashers() *hashers {
	return &hashers{sha256: sha256.New(), md5: md5.New(), sha1: sha1.New()}
}

func (h *hashers) reset() {
	h.sha256.Reset()
	h.md5.Reset()
	h.sha1.Reset()
	h.n = 0
}

func (h *hashers) Write(p []byte) (int, error) {
	if h.n < len(h.head) {
		h.n += copy(h.head[h.n:], p)
	}
	h.sha256.Write(p)
	h.md5.Write(p)
	h.sha1.Write(p)
	return len(p), nil
}

// Package-manager records of file digests.
const (
	dpkgInfo     = "var/lib/dpkg/info/"
	dpkgStatusD  = "var/lib/dpkg/status.d/"
	apkInstalled = "lib/apk/db/installed"
)

func isPackageDB(p string) bool {
	if p == apkInstalled || slices.Contains(rpmDBs, p) {
		return true
	}
	return strings.HasSuffix(p, ".md5sums") && (strings.HasPrefix(p, dpkgInfo) || strings.HasPrefix(p, dpkgStatusD))
}

// rpmDBs are the rpm databases, whose package headers hold their files'
// digests (rpm.ReadFileDigests reads each format).
var rpmDBs = []string{rpm.BerkeleyDB, rpm.NDB, rpm.SQLiteDB, rpm.NDBUsr, rpm.SQLiteDBUsr}

// readPackageDB keeps the records of relevant paths from a dpkg .md5sums
// file, apk's installed database or an rpm database.
func (u *upper) readPackageDB(ctx context.Context, p string, data []byte) {
	if p == apkInstalled {
		u.readAPK(data)
		return
	}
	if slices.Contains(rpmDBs, p) {
		u.readRPM(ctx, p, data)
		return
	}
	pkg := strings.TrimSuffix(path.Base(p), ".md5sums")
	pkg, _, _ = strings.Cut(pkg, ":") // NAME:ARCH.md5sums
	for line := range bytes.Lines(data) {
		sum, file, ok := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte("  "))
		if !ok || len(sum) != 32 {
			continue
		}
		fp, ok := cleanPath(string(file))
		if !ok {
			continue
		}
		if fp = u.resolve(fp); u.relevant(fp) {
			u.owners[fp] = owned{Package: pkg, Manager: "dpkg", Algorithm: "md5", Digest: string(sum)}
		}
	}
}

// readAPK reads apk's installed database: P: package, F: directory, R:
// file, Z: the file's checksum, "Q1" and the base64 of its SHA-1.
func (u *upper) readAPK(data []byte) {
	var pkg, dir, file string
	for line := range bytes.Lines(data) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) < 2 || line[1] != ':' {
			if len(line) == 0 {
				pkg, dir, file = "", "", ""
			}
			continue
		}
		v := string(line[2:])
		switch line[0] {
		case 'P':
			pkg = v
		case 'F':
			dir, file = v, ""
		case 'R':
			file = path.Join(dir, v)
		case 'Z':
			if file == "" || !strings.HasPrefix(v, "Q1") {
				continue
			}
			sum, err := base64.StdEncoding.DecodeString(v[2:])
			if err != nil || len(sum) != sha1.Size {
				continue
			}
			if fp, ok := cleanPath(file); ok && u.relevant(u.resolve(fp)) {
				u.owners[u.resolve(fp)] = owned{Package: pkg, Manager: "apk", Algorithm: "sha1", Digest: hex.EncodeToString(sum)}
			}
		}
	}
}

// readRPM keeps the file digests of an rpm database whose algorithm the
// export's hashes cover (md5, sha1, sha256).
func (u *upper) readRPM(ctx context.Context, p string, data []byte) {
	err := rpm.ReadFileDigests(ctx, data, func(d rpmdb.FileDigests) {
		if d.Algorithm != "md5" && d.Algorithm != "sha1" && d.Algorithm != "sha256" {
			return
		}
		for i, f := range d.Files {
			if d.Digests[i] == "" {
				continue
			}
			if fp := u.resolve(f); u.relevant(fp) {
				u.owners[fp] = owned{Package: d.Name, Manager: "rpm", Algorithm: d.Algorithm, Digest: strings.ToLower(d.Digests[i])}
			}
		}
	})
	if err != nil && ctx.Err() == nil {
		u.unread = append(u.unread, inventory.FileError{Path: abs(p), Err: "read the rpm database's file digests: " + err.Error()})
	}
}

// resolve follows a top-level directory symlink at the start of p.
func (u *upper) resolve(p string) string {
	top, rest, ok := strings.Cut(p, "/")
	if !ok {
		return p
	}
	if t, ok := u.aliases[top]; ok {
		return t + "/" + rest
	}
	return p
}

// digestOf is e's digest in the record's algorithm, "" when not computed.
func (o owned) digestOf(e *exported) string {
	switch o.Algorithm {
	case "md5":
		return e.md5
	case "sha1":
		return e.sha1
	case "sha256":
		return strings.TrimPrefix(e.SHA256, "sha256:")
	}
	return ""
}

// matches reports whether e's content is what the record says.
func (o owned) matches(e *exported) bool {
	switch o.Algorithm {
	case "md5":
		return e.md5 == o.Digest
	case "sha1":
		return e.sha1 == o.Digest
	case "sha256":
		return strings.TrimPrefix(e.SHA256, "sha256:") == o.Digest
	}
	return false
}

// cleanPath turns a tar name into a root-relative clean path; ok is false
// when it escapes the root.
func cleanPath(name string) (string, bool) {
	p := path.Clean("/" + strings.TrimPrefix(name, "./"))
	if strings.Contains(name, "..") {
		// "/.." cleans to "/": refuse names that try to climb out.
		for _, part := range strings.Split(name, "/") {
			if part == ".." {
				return "", false
			}
		}
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		p = "."
	}
	return p, true
}

// readErr remembers the error of its reader, to tell a short export from
// a closed layer.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
