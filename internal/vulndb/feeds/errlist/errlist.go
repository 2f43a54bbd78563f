// Package errlist keeps the problems a feed import meets without stopping:
// the first Max are kept and the rest only counted, so a feed full of bad
// records costs bounded memory and still gives a readable error, joined
// beside the count of records that did import.
package errlist

import (
	"errors"
	"fmt"
)

// DefaultMax is how many errors a List keeps when Max is 0.
const DefaultMax = 100

// List collects errors. The zero value keeps DefaultMax of them.
type List struct {
	// Max is how many errors are kept; the rest are counted.
	Max int
	// Noun names what the counted rest are in the closing line
	// ("record errors" gives "12 more record errors not shown").
	Noun    string
	errs    []error
	dropped int
}

// Add records err.
func (l *List) Add(err error) {
	max := l.Max
	if max == 0 {
		max = DefaultMax
	}
	if len(l.errs) < max {
		l.errs = append(l.errs, err)
		return
	}
	l.dropped++
}

// Err joins the kept errors, closed by a line counting the others; nil when
// there were none.
func (l *List) Err() error {
	if l.dropped == 0 {
		return errors.Join(l.errs...)
	}
	noun := l.Noun
	if noun == "" {
		noun = "errors"
	}
	return errors.Join(append(l.errs[:len(l.errs):len(l.errs)], fmt.Errorf("%d more %s not shown", l.dropped, noun))...)
}

// FileError is a feed file that an import could not read or parse, or
// whose records it partly skipped; the import goes on with the next file.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }
