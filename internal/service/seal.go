package service

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// sealer seals registry credentials for the queue with AES-256-GCM, so
// the job rows never hold them in clear.
type sealer struct{ aead cipher.AEAD }

// KeySize is the size of the deployment key.
const KeySize = 32

func newSealer(key []byte) (*sealer, error) {
	if key == nil {
		key = make([]byte, KeySize)
		rand.Read(key)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("service key: %d bytes; want %d (32 random bytes, e.g. head -c 32 /dev/urandom | base64)", len(key), KeySize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &sealer{a}, nil
}

func (s *sealer) seal(plain string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), nil)), nil
}

// errUnseal is the error of credentials sealed with another key: a job
// enqueued by a process with another (or a random) key.
var errUnseal = errors.New("the job's registry credentials were sealed with another key: give every process the same --key-file, and submit the scan again")

func (s *sealer) open(sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errUnseal
	}
	p, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], nil)
	if err != nil {
		return "", errUnseal
	}
	return string(p), nil
}
