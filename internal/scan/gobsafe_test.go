package scan

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"testing"

	"github.com/customs-scanner/customs/internal/inventory"
)

// TestGobSafe holds gobSafe to what gob does: a value it calls safe comes
// back deeply equal.
func TestGobSafe(t *testing.T) {
	type inner struct{ A []string }
	type rec struct {
		S   []string
		M   map[string]int
		P   *inventory.Owner
		I   []inner
		B   []byte
		Any any
	}
	tests := []struct {
		name string
		v    rec
		safe bool
	}{
		{"zero", rec{}, true},
		{"values", rec{S: []string{"a"}, M: map[string]int{"a": 1}, P: &inventory.Owner{ID: "x"}, I: []inner{{A: []string{"b"}}}, B: []byte{1}}, true},
		{"empty slice", rec{S: []string{}}, false},
		{"empty map", rec{M: map[string]int{}}, false},
		{"pointer to zero", rec{P: &inventory.Owner{}}, false},
		{"nested empty slice", rec{I: []inner{{A: []string{}}}}, false},
		{"interface", rec{Any: 1}, false},
		{"empty bytes", rec{B: []byte{}}, false},
	}
	gob.Register(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gobSafe(reflect.ValueOf(tt.v)); got != tt.safe {
				t.Fatalf("gobSafe = %v, want %v", got, tt.safe)
			}
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(tt.v); err != nil {
				t.Fatal(err)
			}
			var back rec
			if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
				t.Fatal(err)
			}
			if equal := reflect.DeepEqual(back, tt.v); tt.safe && !equal {
				t.Errorf("safe, but came back as %+v", back)
			}
		})
	}
}
