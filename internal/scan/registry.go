package scan

import (
	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/apk"
	"github.com/customs-scanner/customs/internal/extract/dpkg"
	npmext "github.com/customs-scanner/customs/internal/extract/npm"
	"github.com/customs-scanner/customs/internal/version"
	apkver "github.com/customs-scanner/customs/internal/version/apk"
	dpkgver "github.com/customs-scanner/customs/internal/version/dpkg"
	npmver "github.com/customs-scanner/customs/internal/version/npm"
)

// Extractors is the default extractor list. Adding an ecosystem is one new
// folder under extract/ and one line here.
func Extractors() []extract.Extractor {
	return []extract.Extractor{
		dpkg.New(),
		apk.New(),
		npmext.New(),
	}
}

// Schemes maps package types to their version rules for matching.
func Schemes() map[string]version.Scheme {
	return map[string]version.Scheme{
		"deb": dpkgver.Scheme{},
		"apk": apkver.Scheme{},
		"npm": npmver.Scheme{},
	}
}
