package dist

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
)

// Signature is the signature blob (media type SignatureMediaType) and the
// bundle's signature entry. Payload holds the exact signed bytes, the JSON
// encoding of a Payload, so verifying never depends on re-encoding.
type Signature struct {
	KeyID     string `json:"keyId"`
	Payload   []byte `json:"payload"`
	Signature []byte `json:"signature"`
}

// sign signs p with key.
func sign(key ed25519.PrivateKey, p Payload) (Signature, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return Signature{}, fmt.Errorf("encode payload: %w", err)
	}
	return Signature{
		KeyID:     KeyID(key.Public().(ed25519.PublicKey)),
		Payload:   b,
		Signature: ed25519.Sign(key, b),
	}, nil
}

// verify checks s against pub and returns the checked payload.
func (s Signature) verify(pub ed25519.PublicKey) (Payload, error) {
	if len(s.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, s.Payload, s.Signature) {
		return Payload{}, fmt.Errorf("%w: bad signature (signed by key %s, verifying with key %s)", ErrVerify, s.KeyID, KeyID(pub))
	}
	var p Payload
	if err := json.Unmarshal(s.Payload, &p); err != nil {
		return Payload{}, fmt.Errorf("%w: signed payload: %v", ErrVerify, err)
	}
	if err := p.check(); err != nil {
		return Payload{}, err
	}
	return p, nil
}

// parseSignature decodes a signature blob.
func parseSignature(b []byte) (Signature, error) {
	var s Signature
	if err := json.Unmarshal(b, &s); err != nil {
		return Signature{}, fmt.Errorf("%w: parse signature: %v", ErrVerify, err)
	}
	return s, nil
}

// readSmall reads at most max bytes from r, failing beyond.
func readSmall(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return b, nil
}

// readFull reads until buf is full or EOF, returning how much it read.
func readFull(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return n, err
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
