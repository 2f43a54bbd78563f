package layerfs

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestReadAhead checks that every byte arrives in order and that the
// source's error arrives after the bytes before it, unchanged.
func TestReadAhead(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), (3*readAheadBufSize+1234)/16)
	for _, tc := range []struct {
		name string
		src  io.Reader
		err  error
	}{
		{"whole", bytes.NewReader(data), nil},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data[:5000])), nil},
		{"error after data", io.MultiReader(bytes.NewReader(data), iotest.ErrReader(io.ErrUnexpectedEOF)), io.ErrUnexpectedEOF},
		{"error first", iotest.ErrReader(errBoom), errBoom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReadAhead(tc.src, 1)
			defer r.close()
			got, err := io.ReadAll(iotest.OneByteReader(r))
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			want := data
			switch tc.name {
			case "one byte at a time":
				want = data[:5000]
			case "error first":
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

var errBoom = errors.New("boom")

// TestReadAheadCloseEarly stops a reader that has not read everything; the
// goroutine must not stay blocked on full buffers.
func TestReadAheadCloseEarly(t *testing.T) {
	r := newReadAhead(bytes.NewReader(make([]byte, 10*readAheadBufSize)), 1)
	if _, err := io.ReadFull(r, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	r.close()
	r.close()
}
