// Package feedio reads feed files with a size bound: feeds are downloaded
// input, and one oversized file must fail on its own instead of exhausting
// memory.
package feedio

import (
	"fmt"
	"io"
	"os"
)

// Read reads all of r, failing when it holds more than limit bytes.
func Read(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// ReadFile reads the file at path, failing when it is larger than limit
// bytes.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, limit)
}
