package inventory

// OS describes the distribution an image is built on.
type OS struct {
	// Family is the os-release ID in lower case: "debian", "ubuntu", "alpine".
	Family string `json:"family"`
	// Version is the release version: "12", "3.10.4", "22.04".
	Version string `json:"version,omitempty"`
	// Codename is the release codename where known: "bookworm", "jammy".
	Codename string `json:"codename,omitempty"`
	// Name is the human-readable PRETTY_NAME.
	Name string `json:"name,omitempty"`
}

// FileError records a file that could not be read or parsed. A bad file never
// aborts a scan; it is reported beside the partial results.
type FileError struct {
	Path  string `json:"path"`
	Layer string `json:"layer,omitempty"`
	Err   string `json:"error"`
}
