package guard

import (
	"errors"
	"testing"
)

// TestControl: the dialer's last check refuses a socket to a non-public
// address whatever resolved it.
func TestControl(t *testing.T) {
	for addr, bad := range map[string]bool{"127.0.0.1:5000": true, "[::1]:443": true, "169.254.169.254:80": true, "93.184.216.34:443": false, "nonsense": true} {
		err := control("tcp", addr, nil)
		if got := errors.Is(err, ErrForbidden); got != bad {
			t.Errorf("control(%s) = %v, want refused %v", addr, err, bad)
		}
	}
}
