package redhat

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// The Go fuzzer minimises each new interesting input, which stalls on
// seeds of tens of KB: the seeds are the testdata documents cut down (see
// fuzzSeed). Minimising still takes most of a short run: use
// -fuzzminimizetime=1s (and -parallel=1 on a loaded machine).
func FuzzParse(f *testing.F) {
	for _, p := range []string{"advisories/rhsa-2024_6163.json", "vex/cve-2099-0001.json", "advisories/rhsa-2025_23414.min.json"} {
		f.Add(fuzzSeed(f, readTestdata(f, p)))
	}
	f.Add([]byte(`{"document":{"csaf_version":"2.0","tracking":{"id":"RHSA-1"}},"product_tree":{"branches":[{"product":{"product_id":"P","product_identification_helper":{"cpe":"cpe:/o:redhat:enterprise_linux:9"}}}],"relationships":[{"full_product_name":{"product_id":"P:a-1:2-3.src"},"product_reference":"a-1:2-3.src","relates_to_product_reference":"P"}]},"vulnerabilities":[{"cve":"CVE-1-1","product_status":{"fixed":["P:a-1:2-3.src"],"known_not_affected":["P:a-1:2-3.src"]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		advs, err := Parse(data)
		if err != nil && advs != nil {
			t.Fatalf("Parse returned advisories and error %v", err)
		}
		for _, a := range advs {
			if !strings.HasPrefix(a.ID, "CVE-") || a.Source != Source || len(a.Affected) == 0 {
				t.Fatalf("bad advisory %+v", a)
			}
			for _, af := range a.Affected {
				if !strings.HasPrefix(af.Ecosystem, "redhat:") || af.Package == "" || af.Status == "" {
					t.Fatalf("%s: incomplete Affected %+v", a.ID, af)
				}
				if (af.Status == vulndb.StatusRanges) != (len(af.Ranges) == 1 && af.Ranges[0].Fixed != "") {
					t.Fatalf("%s: status %s with ranges %+v", a.ID, af.Status, af.Ranges)
				}
				if _, ok := vulndb.SeverityRank(af.Severity); af.Severity != "" && !ok {
					t.Fatalf("%s: severity %q is not a vulndb severity", a.ID, af.Severity)
				}
			}
		}
	})
}

func FuzzParseComponent(f *testing.F) {
	f.Add("curl-0:7.61.1-30.el8_8.2.src", "pkg:rpm/redhat/curl@7.61.1-30.el8_8.2?arch=src&epoch=0")
	f.Add("ruby-0:3.1.4-142.module+el8.9.0+21471+7d1e4a35.i686::ruby:3.1", "")
	f.Add("nodejs:18/nodejs", "")
	f.Add("x", "pkg:rpm/redhat/ruby@2.7.8-139?arch=aarch64&rpmmod=ruby:2.7:8080020230427102918:63b34585")
	f.Fuzz(func(t *testing.T, id, purl string) {
		c, ok := parseComponent(id, purl)
		if ok && c.Name == "" {
			t.Fatalf("parseComponent(%q, %q) = %+v without a name", id, purl, c)
		}
		if c.EVR != "" && !strings.Contains(c.EVR, ":") {
			t.Fatalf("parseComponent(%q, %q): EVR %q without epoch", id, purl, c.EVR)
		}
	})
}

// fuzzSeed cuts a document down to what Parse reads beyond text: no notes
// or references, the first vulnerability only, compact JSON.
func fuzzSeed(f *testing.F, data []byte) []byte {
	f.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		f.Fatal(err)
	}
	if d, ok := doc["document"].(map[string]any); ok {
		delete(d, "notes")
		delete(d, "distribution")
		delete(d, "publisher")
	}
	if vs, ok := doc["vulnerabilities"].([]any); ok && len(vs) > 0 {
		if v, ok := vs[0].(map[string]any); ok {
			delete(v, "notes")
			delete(v, "references")
		}
		doc["vulnerabilities"] = vs[:1]
	}
	b, err := json.Marshal(doc)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
