package scan

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
)

// filler sets every field of a value, so a round trip shows a field the
// codec drops. With empty, slices and maps are empty (not nil) and
// pointers point to zero values: what gob gave back changed.
type filler struct {
	n     int
	empty bool
}

func (f *filler) fill(v reflect.Value) {
	f.n++
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 12, 7, 1, 2, 3, f.n, time.UTC)))
		return
	case v.Type() == reflect.TypeFor[any]():
		// Metadata: one of the listed types, in name order.
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range metadataTypes {
				if !yield(n) {
					return
				}
			}
		})
		x := reflect.New(metadataTypes[names[f.n%len(names)]]).Elem()
		if !f.empty {
			f.fill(x)
		}
		v.Set(x)
		return
	}
	switch v.Kind() {
	case reflect.String:
		// Every third string repeats: the table holds it once.
		if f.n%3 == 0 {
			v.SetString("debian:12")
		} else {
			v.SetString(fmt.Sprintf("s%d", f.n))
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(-f.n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.n) + 0.25)
	case reflect.Slice:
		n := 2
		if f.empty {
			n = 0
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.fill(s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		if !f.empty {
			for range 2 {
				k, x := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				f.fill(k)
				f.fill(x)
				m.SetMapIndex(k, x)
			}
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if !f.empty {
			f.fill(p.Elem())
		}
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			f.fill(v.Field(i))
		}
	}
}

// TestRecordRoundTrip: every record a second scan reads comes back as it
// was written, field for field, with nil and empty kept apart, whatever
// metadata type its packages carry.
func TestRecordRoundTrip(t *testing.T) {
	for _, empty := range []bool{false, true} {
		t.Run(fmt.Sprintf("empty=%v", empty), func(t *testing.T) {
			f := &filler{empty: empty}
			var pkgs []inventory.Package
			for range len(metadataTypes) + 1 {
				var p inventory.Package
				f.fill(reflect.ValueOf(&p).Elem())
				pkgs = append(pkgs, p)
			}
			var in inspectedRecord
			f.fill(reflect.ValueOf(&in).Elem())
			in.Packages = pkgs
			var own ownedRecord
			f.fill(reflect.ValueOf(&own).Elem())
			own.Owned = pkgs
			var m matchedRecord
			f.fill(reflect.ValueOf(&m).Elem())
			roundTrip(t, in)
			roundTrip(t, own)
			roundTrip(t, m)
			roundTrip(t, inspectedRecord{}) // nil slices
		})
	}
}

func roundTrip[T any](t *testing.T, want T) {
	t.Helper()
	b, err := encodeRecord(want)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	if err := decodeRecord(b, &got); err != nil {
		t.Fatalf("decode %T: %v", want, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%T (-want +got):\n%s", want, diff)
	}
	// Truncated, it is an error, never a panic or a partial value taken
	// for the whole.
	for _, n := range []int{0, len(recordMagic), len(b) / 2, len(b) - 1} {
		var cut T
		if err := decodeRecord(b[:n], &cut); err == nil {
			t.Errorf("%T cut to %d of %d bytes: no error", want, n, len(b))
		}
	}
}

// TestRecordRefuses: what the codec could not give back as it was is an
// error when encoding, so the report is not cached.
func TestRecordRefuses(t *testing.T) {
	type unexported struct {
		A string
		b int
	}
	type unlisted struct{ A string }
	for _, v := range []any{
		unexported{A: "x"},
		inventory.Package{Metadata: unlisted{A: "x"}},
		inventory.Package{Metadata: &unlisted{A: "x"}},
		struct{ F func() }{},
		struct{ E error }{},
	} {
		if _, err := encodeRecord(v); err == nil {
			t.Errorf("encodeRecord(%#v): no error", v)
		}
	}
}

// TestRecordStringsOnce: a string repeated across packages is written once.
func TestRecordStringsOnce(t *testing.T) {
	layer := "sha256:" + strings.Repeat("ab", 32)
	pkgs := make([]inventory.Package, 100)
	for i := range pkgs {
		pkgs[i] = inventory.Package{Name: fmt.Sprint(i), Layer: layer, Locations: []inventory.Location{{Path: "var/lib/dpkg/status", Layer: layer}}}
	}
	b, err := encodeRecord(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), layer); n != 1 {
		t.Errorf("layer written %d times, want 1", n)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	var m matchedRecord
	(&filler{}).fill(reflect.ValueOf(&m).Elem())
	var own ownedRecord
	(&filler{empty: true}).fill(reflect.ValueOf(&own).Elem())
	var in inspectedRecord
	(&filler{}).fill(reflect.ValueOf(&in).Elem())
	for _, v := range []any{m, own, in} {
		if b, err := encodeRecord(v); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m matchedRecord
		_ = decodeRecord(b, &m)
		var in inspectedRecord
		_ = decodeRecord(b, &in)
		var own ownedRecord
		if decodeRecord(b, &own) == nil {
			// What decodes encodes again to a record that decodes the same.
			b2, err := encodeRecord(own)
			if err != nil {
				t.Fatal(err)
			}
			var again ownedRecord
			if err := decodeRecord(b2, &again); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(own, again); diff != "" {
				t.Fatalf("(-first +second):\n%s", diff)
			}
		}
	})
}
