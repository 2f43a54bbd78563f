// Package feedio reads feed files with a size bound: feeds are downloaded
// input, and one oversized file must fail on its own instead of exhausting
// memory.
package feedio

import (
	"bufio"
	"bytes"
	"errors"
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

// FirstByte returns the first byte after white space and a UTF-8 BOM,
// without consuming it, so that a feed served as JSON object, JSON array
// or CSV can be told apart before it is decoded. A reader holding nothing
// else fails with "empty file".
func FirstByte(br *bufio.Reader) (byte, error) {
	for {
		p, err := br.Peek(len(bom))
		if len(p) == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				return 0, errors.New("empty file")
			}
			return 0, err
		}
		switch {
		case p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n':
			br.Discard(1)
		case bytes.HasPrefix(p, bom):
			br.Discard(len(bom))
		default:
			return p[0], nil
		}
	}
}

var bom = []byte{0xEF, 0xBB, 0xBF}
