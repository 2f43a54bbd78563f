package errlist

import (
	"errors"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	var empty List
	if empty.Err() != nil {
		t.Errorf("empty list: %v", empty.Err())
	}
	l := List{Max: 2, Noun: "record errors"}
	for _, s := range []string{"a", "b", "c", "d"} {
		l.Add(errors.New(s))
	}
	if got, want := l.Err().Error(), "a\nb\n2 more record errors not shown"; got != want {
		t.Errorf("Err() = %q, want %q", got, want)
	}
	var d List
	for range DefaultMax + 1 {
		d.Add(errors.New("x"))
	}
	if !strings.HasSuffix(d.Err().Error(), "1 more errors not shown") {
		t.Errorf("default list: %q", d.Err().Error()[len(d.Err().Error())-30:])
	}
}
