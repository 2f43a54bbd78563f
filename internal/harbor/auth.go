package harbor

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// RegistryAuth turns ScanRequest.registry.authorization, a whole HTTP
// Authorization value, into registry credentials: "Basic <base64
// user:password>" (Harbor's robot account, which the registry's token
// service exchanges for a pull token) or "Bearer <token>" (a token sent as
// it is). "" means anonymous. The error never quotes the value.
func RegistryAuth(authorization string) (*authn.AuthConfig, error) {
	if strings.TrimSpace(authorization) == "" {
		return nil, nil
	}
	scheme, cred, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	cred = strings.TrimSpace(cred)
	if !ok || cred == "" {
		return nil, errors.New("registry.authorization: want \"Basic <credentials>\" or \"Bearer <token>\"")
	}
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return nil, errors.New("registry.authorization: Basic credentials are not base64")
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok || user == "" {
			return nil, errors.New("registry.authorization: Basic credentials are not user:password")
		}
		return &authn.AuthConfig{Username: user, Password: pass}, nil
	case "bearer":
		return &authn.AuthConfig{RegistryToken: cred}, nil
	}
	return nil, errors.New("registry.authorization: the scheme is neither Basic nor Bearer")
}
