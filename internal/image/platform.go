package image

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// configPlatform is the platform an image config says the image is for;
// ok is false when the config names no OS or architecture.
func configPlatform(cfg *v1.ConfigFile) (v1.Platform, bool) {
	if cfg == nil || cfg.OS == "" || cfg.Architecture == "" {
		return v1.Platform{}, false
	}
	return v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant, OSVersion: cfg.OSVersion}, true
}

// checkPlatform refuses an image whose config names another platform than
// the one asked for (Options.Platform): a single-platform image, or an
// image picked by tag or digest, must not be scanned silently in place of
// the platform the user named. An empty platform, or a config that does
// not say, passes.
func checkPlatform(cfg *v1.ConfigFile, platform string) error {
	if platform == "" {
		return nil
	}
	want, err := parsePlatform(platform)
	if err != nil {
		return err
	}
	have, ok := configPlatform(cfg)
	if !ok || platformMatches(have, *want) {
		return nil
	}
	return noPlatform(*want, []string{have.String()}, "image")
}

// configCheck returns the platform the image's config must be checked
// against (for newMetadata), given the platform the index's descriptor
// gives the image, if any: none when the descriptor says it is the platform
// asked for (the index is trusted over a config that disagrees with it), an
// error when the descriptor says it is another.
func configCheck(platform string, desc *v1.Platform) (string, error) {
	if platform == "" || desc == nil {
		return platform, nil
	}
	want, err := parsePlatform(platform)
	if err != nil {
		return "", err
	}
	if !platformMatches(*desc, *want) {
		return "", noPlatform(*want, []string{desc.String()}, "image")
	}
	return "", nil
}

func parsePlatform(platform string) (*v1.Platform, error) {
	p, err := v1.ParsePlatform(platform)
	if err == nil && (p.OS == "" || p.Architecture == "") {
		err = errors.New("no OS or architecture")
	}
	if err != nil {
		return nil, fmt.Errorf("bad platform %q: %w; use os/arch[/variant] such as linux/amd64", platform, err)
	}
	return p, nil
}

// noPlatform is the error for a platform the image does not have, listing
// the ones it has; what is "image", "index" or "archive".
func noPlatform(want v1.Platform, have []string, what string) error {
	have = slices.Clone(have)
	slices.Sort(have)
	have = slices.Compact(have)
	if len(have) == 1 {
		return fmt.Errorf("no image for platform %s; the %s has only %s; choose it as the platform, or drop --platform", want, what, have[0])
	}
	return fmt.Errorf("no image for platform %s; the %s has %s; choose one of them as the platform", want, what, strings.Join(have, ", "))
}
