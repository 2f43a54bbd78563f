package update

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/atomicfile"
)

// stateFile is the sidecar in each feed's directory. Its name starts with a
// dot so that importers walking the directory skip it.
const stateFile = ".feed.json"

// buildFile records, in the feeds directory, which feed contents the DB
// update last built holds.
const buildFile = ".build.json"

// maxStateSize bounds a sidecar read back from disk.
const maxStateSize = 1 << 20

// fileState is what update remembers about one downloaded file.
type fileState struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"lastModified,omitempty"`
	Fetched      time.Time `json:"fetched"` // when the current content was downloaded
	Checked      time.Time `json:"checked"` // when upstream was last asked
	Size         int64     `json:"size"`
	ModTime      time.Time `json:"modTime"` // of the local file, to notice outside changes
	SHA256       string    `json:"sha256"`
}

// feedState is the sidecar's content.
type feedState struct {
	Feed  string                `json:"feed"`
	Kind  string                `json:"kind"`
	Path  string                `json:"path"`
	Files map[string]*fileState `json:"files"`
	// NVD is the sync cursor of an NVDAPI feed.
	NVD *nvdState `json:"nvd,omitempty"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) > maxStateSize {
		return fmt.Errorf("%s: larger than %d bytes", path, maxStateSize)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeJSON writes v to path through a temporary file and a rename.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// loadState reads a feed's sidecar and keeps only the entries that still
// describe the file on disk (same size and modification time); anything
// else is forgotten, so the file is downloaded again unconditionally.
func loadState(dir string) (*feedState, error) {
	var st feedState
	err := readJSON(filepath.Join(dir, stateFile), &st)
	if errors.Is(err, fs.ErrNotExist) {
		return &feedState{Files: map[string]*fileState{}}, nil
	}
	if err != nil {
		// A damaged sidecar costs one full download, not an error.
		return &feedState{Files: map[string]*fileState{}}, fmt.Errorf("read feed state: %w", err)
	}
	if st.Files == nil {
		st.Files = map[string]*fileState{}
	}
	for name, fst := range st.Files {
		fi, err := os.Stat(filepath.Join(dir, name))
		if fst == nil || checkName(name) != nil || err != nil || !fi.Mode().IsRegular() ||
			fi.Size() != fst.Size || !fi.ModTime().Equal(fst.ModTime) {
			delete(st.Files, name)
		}
	}
	return &st, nil
}

// digest identifies a feed's content: the hashes of its files.
func (s *feedState) digest() string {
	if s.NVD != nil {
		return fmt.Sprintf("nvd %s %d", s.NVD.Changed.UTC().Format(time.RFC3339Nano), s.NVD.Records)
	}
	names := make([]string, 0, len(s.Files))
	for n := range s.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s %s\n", n, s.Files[n].SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// buildRecord says which feed contents went into the DB built last.
type buildRecord struct {
	DB    string            `json:"db"`
	Built time.Time         `json:"built"`
	Feeds map[string]string `json:"feeds"` // feed name -> digest
}

// FileStatus is what update knows about one downloaded file of a feed.
type FileStatus struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// LastModified and ETag are the upstream's validators of the content
	// held (LastModified as the server sent it, an HTTP date).
	LastModified string `json:"lastModified,omitempty"`
	ETag         string `json:"etag,omitempty"`
	// Fetched is when the content held was downloaded.
	Fetched time.Time `json:"fetched"`
	// Checked is when upstream was last asked for a newer copy.
	Checked time.Time `json:"checked"`
	Size    int64     `json:"size"`
	SHA256  string    `json:"sha256"`
}

// FeedStatus is one feed's local copy, as `customs db status` can show it.
// Path is the build source path, equal to the DB's SourceInfo.Path of the
// source imported from this copy.
type FeedStatus struct {
	Name  string       `json:"name"`
	Kind  string       `json:"kind"`
	Path  string       `json:"path"`
	Files []FileStatus `json:"files"`
}

// LastModified returns the newest upstream Last-Modified of the feed's
// files, zero if the server sent none.
func (s FeedStatus) LastModified() time.Time {
	var t time.Time
	for _, f := range s.Files {
		if lm, err := time.Parse(time.RFC1123, f.LastModified); err == nil && lm.After(t) {
			t = lm
		}
	}
	return t
}

// Checked returns when upstream was last asked for any of the feed's files.
func (s FeedStatus) Checked() time.Time {
	var t time.Time
	for _, f := range s.Files {
		if f.Checked.After(t) {
			t = f.Checked
		}
	}
	return t
}

// FeedsDir returns the directory that holds the feeds' local copies.
func FeedsDir(cacheDir string) string { return filepath.Join(cacheDir, "feeds") }

// Status returns the local copy of every feed update has downloaded into
// cacheDir, sorted by name. It reads only the small sidecar files.
func Status(cacheDir string) ([]FeedStatus, error) {
	root := FeedsDir(cacheDir)
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read feed status: %w", err)
	}
	var out []FeedStatus
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		st, err := loadState(filepath.Join(root, e.Name()))
		if err != nil || st.Feed == "" || (len(st.Files) == 0 && st.NVD == nil) {
			continue
		}
		fs := FeedStatus{Name: st.Feed, Kind: st.Kind, Path: st.Path}
		if n := st.NVD; n != nil {
			fs.Files = append(fs.Files, FileStatus{Name: treeDir, Fetched: n.Changed, Checked: n.Checked, Size: int64(n.Records)})
		}
		for name, f := range st.Files {
			fs.Files = append(fs.Files, FileStatus{
				Name: name, URL: f.URL, LastModified: f.LastModified, ETag: f.ETag,
				Fetched: f.Fetched, Checked: f.Checked, Size: f.Size, SHA256: f.SHA256,
			})
		}
		slices.SortFunc(fs.Files, func(a, b FileStatus) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, fs)
	}
	slices.SortFunc(out, func(a, b FeedStatus) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
