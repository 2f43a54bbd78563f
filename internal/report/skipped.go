package report

// Skipped is a directory (with all it holds) or a file that the scan passed
// over without reading: by default for a root filesystem (runtime storage,
// caches, pseudo-filesystems), or as --skip-dirs and --skip-files asked.
type Skipped struct {
	// Path is relative to the image or directory root.
	Path      string `json:"path"`
	Directory bool   `json:"directory,omitempty"`
	Reason    string `json:"reason"`
	// Layer is the DiffID of the layer where it was met; empty for a
	// root filesystem.
	Layer string `json:"layer,omitempty"`
}
