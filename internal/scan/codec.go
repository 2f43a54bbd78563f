package scan

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
)

// The cached records a second scan decodes (the packages, the owned
// packages and relationships, the findings) are in a binary form of their
// own, which gives back exactly what was encoded: nil and empty slices and
// maps stay apart, a pointer to a zero value stays a pointer, and every
// exported field is written, so no check of the value (gob's losses) is
// needed before it is cached. Strings are written once, in a table at the
// front, and referred to by index: a package's layer, type and owner, a
// finding's status and feed, recur thousands of times in a report, and
// the decoder makes all of them with one allocation, as substrings of
// one string. Decoding the records of the large bench image's second scan
// (3,700 packages, 3,400 findings) takes 4 ms of CPU, against 19 ms in gob
// with the packages' metadata in JSON.
//
// A record is recordMagic, the string table (uvarint count, then each
// string's uvarint length, then their bytes, one after another) and the
// value. Values: a string is the uvarint index of its entry in the table,
// 0 being ""; bool one byte; signed integers zigzag varints, unsigned ones
// uvarints; floats 8 bytes (IEEE 754, little-endian); a slice or map its
// uvarint length + 1 (0 for nil) and its elements (a map's as key, value);
// a pointer 0 (nil) or 1 and the value; an array its elements; a struct its
// exported fields in order; a type that implements encoding.BinaryMarshaler
// (time.Time) a byte slice; an empty interface 0 (nil) or the index of its
// dynamic type's name in metadataTypes and the value. Anything else (an
// unexported field, a func, a channel, an interface with methods or of a
// type metadataTypes does not list) cannot be encoded.

// recordMagic starts every record; a change of the encoding changes it
// (and analyserVersion, so the records are looked up under other keys).
const recordMagic = "customs-record/1\n"

var (
	errCorrupt    = errors.New("decode record: corrupt")
	marshalerType = reflect.TypeFor[encoding.BinaryMarshaler]()
	unmarshalType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

// encodeRecord returns v as a record.
func encodeRecord(v any) (b []byte, err error) {
	rv := reflect.ValueOf(v)
	c, err := codecFor(rv.Type())
	if err != nil {
		return nil, err
	}
	e := &encoder{strs: map[string]uint64{}}
	defer func() {
		if p := recover(); p != nil {
			uerr, ok := p.(unsupportedError)
			if !ok {
				panic(p)
			}
			b, err = nil, uerr
		}
	}()
	c.enc(e, rv)
	out := make([]byte, 0, len(recordMagic)+len(e.table)*8+e.tableBytes+len(e.buf))
	out = append(out, recordMagic...)
	out = binary.AppendUvarint(out, uint64(len(e.table)))
	for _, s := range e.table {
		out = binary.AppendUvarint(out, uint64(len(s)))
	}
	for _, s := range e.table {
		out = append(out, s...)
	}
	return append(out, e.buf...), nil
}

// decodeRecord decodes the record b into the value ptr points to. A record
// that is not one of ptr's type (corrupt, truncated, of another version)
// is an error, never a panic.
func decodeRecord(b []byte, ptr any) (err error) {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("decode record: want a non-nil pointer")
	}
	c, err := codecFor(rv.Type().Elem())
	if err != nil {
		return err
	}
	if len(b) < len(recordMagic) || string(b[:len(recordMagic)]) != recordMagic {
		return errCorrupt
	}
	d := &decoder{b: b[len(recordMagic):]}
	defer func() {
		if p := recover(); p != nil {
			if p != errCorrupt {
				panic(p)
			}
			err = errCorrupt
		}
	}()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return errCorrupt
	}
	lens := make([]int, n)
	total := 0
	for i := range lens {
		l := d.uvarint()
		if l > uint64(len(d.b)) {
			return errCorrupt
		}
		lens[i] = int(l)
		total += int(l)
	}
	if total > len(d.b) {
		return errCorrupt
	}
	all := string(d.b[:total])
	d.b = d.b[total:]
	d.strs = make([]string, n+1)
	off := 0
	for i, l := range lens {
		d.strs[i+1] = all[off : off+l]
		off += l
	}
	c.dec(d, rv.Elem())
	if len(d.b) != 0 {
		return errCorrupt
	}
	return nil
}

type encoder struct {
	buf        []byte
	strs       map[string]uint64 // table index + 1
	table      []string
	tableBytes int
}

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

func (e *encoder) str(s string) {
	if s == "" {
		e.uvarint(0)
		return
	}
	i, ok := e.strs[s]
	if !ok {
		e.table = append(e.table, s)
		e.tableBytes += len(s)
		i = uint64(len(e.table))
		e.strs[s] = i
	}
	e.uvarint(i)
}

type decoder struct {
	b    []byte
	strs []string // strs[0] is ""
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		panic(errCorrupt)
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		panic(errCorrupt)
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		panic(errCorrupt)
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) str() string {
	i := d.uvarint()
	if i >= uint64(len(d.strs)) {
		panic(errCorrupt)
	}
	return d.strs[i]
}

// length reads a slice's or map's length + 1 (0: nil), of elements of at
// least min bytes each.
func (d *decoder) length(min int) (n int, isNil bool) {
	v := d.uvarint()
	if v == 0 {
		return 0, true
	}
	if v-1 > uint64(len(d.b)/min) {
		panic(errCorrupt)
	}
	return int(v - 1), false
}

func (d *decoder) bytes() []byte {
	n, isNil := d.length(1)
	if isNil {
		return nil
	}
	b := make([]byte, n)
	copy(b, d.b)
	d.b = d.b[n:]
	return b
}

// codec encodes and decodes values of one type; dec sets an addressable v.
type codec struct {
	enc func(*encoder, reflect.Value)
	dec func(*decoder, reflect.Value)
	// min is the fewest bytes a value takes (at least 1): a slice of n
	// values needs n*min bytes, so a corrupt length allocates no more
	// than a few times the record's size.
	min int
}

type unsupportedError struct{ msg string }

func (e unsupportedError) Error() string { return "encode record: " + e.msg }

var codecs sync.Map // reflect.Type -> *codec

func codecFor(t reflect.Type) (*codec, error) {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec), nil
	}
	c, err := compile(t, map[reflect.Type]bool{})
	if err != nil {
		return nil, err
	}
	codecs.Store(t, c)
	return c, nil
}

// mustCodec is codecFor of a dynamic type met while encoding or decoding.
func mustCodec(t reflect.Type, corrupt bool) *codec {
	c, err := codecFor(t)
	if err != nil {
		if corrupt {
			panic(errCorrupt)
		}
		panic(unsupportedError{err.Error()})
	}
	return c
}

func compile(t reflect.Type, building map[reflect.Type]bool) (*codec, error) {
	c, err := compileKind(t, building)
	if err != nil {
		return nil, err
	}
	c.min = max(minSize(t), 1)
	return c, nil
}

// minSize is the fewest bytes a value of type t takes.
func minSize(t reflect.Type) int {
	if t.Implements(marshalerType) {
		return 1
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return 8
	case reflect.Array:
		return t.Len() * minSize(t.Elem())
	case reflect.Struct:
		n := 0
		for i := range t.NumField() {
			n += minSize(t.Field(i).Type)
		}
		return n
	}
	return 1
}

func compileKind(t reflect.Type, building map[reflect.Type]bool) (*codec, error) {
	if building[t] {
		return nil, unsupportedError{"recursive type " + t.String()}
	}
	building[t] = true
	defer delete(building, t)
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && t.Implements(marshalerType) && reflect.PointerTo(t).Implements(unmarshalType) {
		return &codec{
			enc: func(e *encoder, v reflect.Value) {
				b, err := v.Interface().(encoding.BinaryMarshaler).MarshalBinary()
				if err != nil {
					panic(unsupportedError{fmt.Sprintf("%s: %v", t, err)})
				}
				e.uvarint(uint64(len(b)) + 1)
				e.buf = append(e.buf, b...)
			},
			dec: func(d *decoder, v reflect.Value) {
				if err := v.Addr().Interface().(encoding.BinaryUnmarshaler).UnmarshalBinary(d.bytes()); err != nil {
					panic(errCorrupt)
				}
			},
		}, nil
	}
	switch t.Kind() {
	case reflect.String:
		return &codec{
			enc: func(e *encoder, v reflect.Value) { e.str(v.String()) },
			dec: func(d *decoder, v reflect.Value) { v.SetString(d.str()) },
		}, nil
	case reflect.Bool:
		return &codec{
			enc: func(e *encoder, v reflect.Value) {
				b := byte(0)
				if v.Bool() {
					b = 1
				}
				e.buf = append(e.buf, b)
			},
			dec: func(d *decoder, v reflect.Value) {
				switch d.byte() {
				case 0:
					v.SetBool(false)
				case 1:
					v.SetBool(true)
				default:
					panic(errCorrupt)
				}
			},
		}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &codec{
			enc: func(e *encoder, v reflect.Value) { e.buf = binary.AppendVarint(e.buf, v.Int()) },
			dec: func(d *decoder, v reflect.Value) {
				x := d.varint()
				if v.OverflowInt(x) {
					panic(errCorrupt)
				}
				v.SetInt(x)
			},
		}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &codec{
			enc: func(e *encoder, v reflect.Value) { e.uvarint(v.Uint()) },
			dec: func(d *decoder, v reflect.Value) {
				x := d.uvarint()
				if v.OverflowUint(x) {
					panic(errCorrupt)
				}
				v.SetUint(x)
			},
		}, nil
	case reflect.Float32, reflect.Float64:
		return &codec{
			enc: func(e *encoder, v reflect.Value) {
				e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v.Float()))
			},
			dec: func(d *decoder, v reflect.Value) {
				if len(d.b) < 8 {
					panic(errCorrupt)
				}
				v.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(d.b)))
				d.b = d.b[8:]
			},
		}, nil
	case reflect.Slice:
		return compileSlice(t, building)
	case reflect.Array:
		el, err := compile(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		return &codec{
			enc: func(e *encoder, v reflect.Value) {
				for i := range v.Len() {
					el.enc(e, v.Index(i))
				}
			},
			dec: func(d *decoder, v reflect.Value) {
				for i := range v.Len() {
					el.dec(d, v.Index(i))
				}
			},
		}, nil
	case reflect.Pointer:
		el, err := compile(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		return &codec{
			enc: func(e *encoder, v reflect.Value) {
				if v.IsNil() {
					e.buf = append(e.buf, 0)
					return
				}
				e.buf = append(e.buf, 1)
				el.enc(e, v.Elem())
			},
			dec: func(d *decoder, v reflect.Value) {
				switch d.byte() {
				case 0:
					v.SetZero()
				case 1:
					p := reflect.New(t.Elem())
					el.dec(d, p.Elem())
					v.Set(p)
				default:
					panic(errCorrupt)
				}
			},
		}, nil
	case reflect.Map:
		return compileMap(t, building)
	case reflect.Struct:
		return compileStruct(t, building)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return nil, unsupportedError{"interface with methods " + t.String()}
		}
		return &codec{
			enc: func(e *encoder, v reflect.Value) {
				if v.IsNil() {
					e.uvarint(0)
					return
				}
				dt := v.Elem().Type()
				name := typeName(dt)
				if metadataTypes[name] != dt {
					panic(unsupportedError{"interface holds unlisted type " + dt.String()})
				}
				e.str(name) // never "", so never index 0
				mustCodec(dt, false).enc(e, v.Elem())
			},
			dec: func(d *decoder, v reflect.Value) {
				name := d.str()
				if name == "" {
					v.SetZero()
					return
				}
				dt, ok := metadataTypes[name]
				if !ok {
					panic(errCorrupt)
				}
				x := reflect.New(dt).Elem()
				mustCodec(dt, true).dec(d, x)
				v.Set(x)
			},
		}, nil
	}
	return nil, unsupportedError{"type " + t.String()}
}

var stringsType = reflect.TypeFor[[]string]()

func compileSlice(t reflect.Type, building map[reflect.Type]bool) (*codec, error) {
	if t.Elem().Kind() == reflect.Uint8 && !t.Elem().Implements(marshalerType) {
		return &codec{
			enc: func(e *encoder, v reflect.Value) {
				if v.IsNil() {
					e.uvarint(0)
					return
				}
				e.uvarint(uint64(v.Len()) + 1)
				e.buf = append(e.buf, v.Bytes()...)
			},
			dec: func(d *decoder, v reflect.Value) { v.SetBytes(d.bytes()) },
		}, nil
	}
	el, err := compile(t.Elem(), building)
	if err != nil {
		return nil, err
	}
	c := &codec{
		enc: func(e *encoder, v reflect.Value) {
			if v.IsNil() {
				e.uvarint(0)
				return
			}
			e.uvarint(uint64(v.Len()) + 1)
			for i := range v.Len() {
				el.enc(e, v.Index(i))
			}
		},
		dec: func(d *decoder, v reflect.Value) {
			n, isNil := d.length(el.min)
			if isNil {
				v.SetZero()
				return
			}
			s := reflect.MakeSlice(t, n, n)
			for i := range n {
				el.dec(d, s.Index(i))
			}
			v.Set(s)
		},
	}
	if t == stringsType {
		c.dec = func(d *decoder, v reflect.Value) {
			n, isNil := d.length(1)
			if isNil {
				v.SetZero()
				return
			}
			s := make([]string, n)
			for i := range s {
				s[i] = d.str()
			}
			v.Set(reflect.ValueOf(s))
		}
	}
	return c, nil
}

func compileMap(t reflect.Type, building map[reflect.Type]bool) (*codec, error) {
	kc, err := compile(t.Key(), building)
	if err != nil {
		return nil, err
	}
	vc, err := compile(t.Elem(), building)
	if err != nil {
		return nil, err
	}
	return &codec{
		enc: func(e *encoder, v reflect.Value) {
			if v.IsNil() {
				e.uvarint(0)
				return
			}
			e.uvarint(uint64(v.Len()) + 1)
			for it := v.MapRange(); it.Next(); {
				kc.enc(e, it.Key())
				vc.enc(e, it.Value())
			}
		},
		dec: func(d *decoder, v reflect.Value) {
			n, isNil := d.length(kc.min + vc.min)
			if isNil {
				v.SetZero()
				return
			}
			m := reflect.MakeMapWithSize(t, n)
			k, x := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
			for range n {
				k.SetZero()
				x.SetZero()
				kc.dec(d, k)
				vc.dec(d, x)
				m.SetMapIndex(k, x)
			}
			if m.Len() != n {
				panic(errCorrupt) // a key twice
			}
			v.Set(m)
		},
	}, nil
}

func compileStruct(t reflect.Type, building map[reflect.Type]bool) (*codec, error) {
	type field struct {
		i int
		c *codec
	}
	var fields []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			return nil, unsupportedError{fmt.Sprintf("unexported field %s.%s", t, f.Name)}
		}
		c, err := compile(f.Type, building)
		if err != nil {
			return nil, err
		}
		fields = append(fields, field{i, c})
	}
	if len(fields) == 0 {
		// Every value takes a byte (decoder.length relies on it).
		return nil, unsupportedError{"struct without fields " + t.String()}
	}
	return &codec{
		enc: func(e *encoder, v reflect.Value) {
			for _, f := range fields {
				f.c.enc(e, v.Field(f.i))
			}
		},
		dec: func(d *decoder, v reflect.Value) {
			for _, f := range fields {
				f.c.dec(d, v.Field(f.i))
			}
		},
	}, nil
}
