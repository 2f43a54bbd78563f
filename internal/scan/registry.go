package scan

import (
	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/apk"
	"github.com/customs-scanner/customs/internal/extract/binary"
	"github.com/customs-scanner/customs/internal/extract/cargo"
	"github.com/customs-scanner/customs/internal/extract/dotnet"
	"github.com/customs-scanner/customs/internal/extract/dpkg"
	"github.com/customs-scanner/customs/internal/extract/gobinary"
	"github.com/customs-scanner/customs/internal/extract/java"
	npmext "github.com/customs-scanner/customs/internal/extract/npm"
	"github.com/customs-scanner/customs/internal/extract/php"
	"github.com/customs-scanner/customs/internal/extract/python"
	"github.com/customs-scanner/customs/internal/extract/rpm"
	"github.com/customs-scanner/customs/internal/extract/ruby"
	"github.com/customs-scanner/customs/internal/version"
	apkver "github.com/customs-scanner/customs/internal/version/apk"
	cargover "github.com/customs-scanner/customs/internal/version/cargo"
	composerver "github.com/customs-scanner/customs/internal/version/composer"
	dpkgver "github.com/customs-scanner/customs/internal/version/dpkg"
	genericver "github.com/customs-scanner/customs/internal/version/generic"
	"github.com/customs-scanner/customs/internal/version/gosemver"
	mavenver "github.com/customs-scanner/customs/internal/version/maven"
	npmver "github.com/customs-scanner/customs/internal/version/npm"
	nugetver "github.com/customs-scanner/customs/internal/version/nuget"
	pep440ver "github.com/customs-scanner/customs/internal/version/pep440"
	rpmver "github.com/customs-scanner/customs/internal/version/rpm"
	rubygemsver "github.com/customs-scanner/customs/internal/version/rubygems"
)

// Extractors is the default extractor list. Adding an ecosystem is one new
// folder under extract/ and one line here.
func Extractors() []extract.Extractor {
	return []extract.Extractor{
		dpkg.New(),
		apk.New(),
		rpm.New(),
		npmext.New(),
		python.New(),
		ruby.New(),
		php.New(),
		dotnet.New(),
		java.New(),
		cargo.New(),
		gobinary.New(),
		binary.New(),
	}
}

// Schemes maps package types to their version rules for matching.
func Schemes() map[string]version.Scheme {
	return map[string]version.Scheme{
		"deb":      dpkgver.Scheme{},
		"apk":      apkver.Scheme{},
		"npm":      npmver.Scheme{},
		"pypi":     pep440ver.Scheme{},
		"gem":      rubygemsver.Scheme{},
		"composer": composerver.Scheme{},
		"nuget":    nugetver.Scheme{},
		"generic":  genericver.Scheme{},
		"maven":    mavenver.Scheme{},
		"rpm":      rpmver.Scheme{},
		"golang":   gosemver.Scheme{},
		"cargo":    cargover.Scheme{},
	}
}
