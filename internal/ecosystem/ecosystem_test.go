package ecosystem

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/version/dpkg"
	"github.com/customs-scanner/customs/internal/version/pep440"
)

func debianOS(o inventory.OS) string { return o.Family + ":" + o.Version }

var (
	pypi = Descriptor{Type: "pypi", Ecosystems: []string{"PyPI"}, Scheme: pep440.Scheme{}, Feeds: []string{"PyPI"}}
	deb  = Descriptor{Type: "deb", Ecosystems: []string{"debian:", "ubuntu:"}, OS: debianOS, Scheme: dpkg.Scheme{}, Feeds: []string{"Ubuntu"}}
)

func TestList(t *testing.T) {
	l := List{deb, pypi}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if d, ok := l.Lookup("pypi"); !ok || d.Type != "pypi" {
		t.Errorf("Lookup(pypi) = %v, %v", d.Type, ok)
	}
	if _, ok := l.Lookup("swift"); ok {
		t.Error("Lookup(swift) found a descriptor")
	}
	if diff := cmp.Diff([]string{"Ubuntu", "PyPI"}, l.Feeds()); diff != "" {
		t.Errorf("Feeds (-want +got):\n%s", diff)
	}
	if s := l.Schemes(); len(s) != 2 || s["deb"].Name() != "dpkg" || s["pypi"].Name() != "pep440" {
		t.Errorf("Schemes = %v", s)
	}
	golang := Descriptor{Type: "golang", Ecosystems: []string{"Go"}, Scheme: pep440.Scheme{}, Apart: []string{"stdlib"}}
	if diff := cmp.Diff(map[string][]string{"Go": {"stdlib"}}, append(l, golang).Apart()); diff != "" {
		t.Errorf("Apart (-want +got):\n%s", diff)
	}
	bookworm := inventory.OS{Family: "debian", Version: "12"}
	if got := deb.Ecosystem(bookworm); got != "debian:12" {
		t.Errorf("deb namespace = %q, want debian:12", got)
	}
	if got := pypi.Ecosystem(bookworm); got != "PyPI" {
		t.Errorf("pypi namespace = %q, want PyPI", got)
	}
	owners := map[string]string{"debian:12": "deb", "ubuntu:22.04": "deb", "PyPI": "pypi", "debian:": "", "pypi": "", "alpine:3.19": ""}
	for eco, want := range owners {
		d, _ := l.Owner(eco)
		if d.Type != want {
			t.Errorf("Owner(%q) = %q, want %q", eco, d.Type, want)
		}
	}
}

func TestCheck(t *testing.T) {
	noScheme := pypi
	noScheme.Type, noScheme.Scheme, noScheme.Ecosystems = "hex", nil, []string{"Hex"}
	twoLangs := pypi
	twoLangs.Type, twoLangs.Ecosystems = "npm", []string{"npm", "yarn"}
	tests := []struct {
		name string
		l    List
		want []string
	}{
		{"type twice", List{pypi, pypi}, []string{"type pypi declared twice", `ecosystem "PyPI" declared by pypi and pypi`}},
		{"no scheme", List{noScheme}, []string{"type hex: no version scheme"}},
		{"no type", List{{Ecosystems: []string{"X"}, Scheme: pep440.Scheme{}}}, []string{`descriptor type "": want a lower-case PURL type`}},
		{"upper-case type", List{{Type: "PyPI", Ecosystems: []string{"X"}, Scheme: pep440.Scheme{}}}, []string{`descriptor type "PyPI": want a lower-case PURL type`}},
		{"no namespace", List{{Type: "x", Scheme: pep440.Scheme{}}}, []string{"type x: no advisory ecosystem"}},
		{"two languages", List{twoLangs}, []string{`type npm: several ecosystems ["npm" "yarn"] but no OS to choose among them`}},
		{"distribution without OS", List{{Type: "deb", Ecosystems: []string{"debian:"}, Scheme: dpkg.Scheme{}}}, []string{`type deb: ecosystem "debian:": a distribution's namespace ends in ":" and needs OS, a language ecosystem neither`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.l.Check()
			if err == nil {
				t.Fatal("Check() = nil")
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("Check() (-want +got):\n%s", diff)
			}
		})
	}
}
