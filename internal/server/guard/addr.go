package guard

import "net/netip"

// metadataNames are the names cloud instances reach their metadata
// service by, refused whatever they resolve to.
var metadataNames = map[string]string{
	"metadata.google.internal":   "a cloud metadata service",
	"metadata.goog":              "a cloud metadata service",
	"metadata":                   "a cloud metadata service",
	"instance-data":              "a cloud metadata service",
	"instance-data.ec2.internal": "a cloud metadata service",
}

type block struct {
	prefix netip.Prefix
	reason string
}

// blocks are the non-public ranges, the more specific first.
var blocks = []block{
	{netip.MustParsePrefix("169.254.169.254/32"), "a cloud metadata address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "a cloud metadata address"},
	{netip.MustParsePrefix("100.100.100.200/32"), "a cloud metadata address"},
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared address (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "an unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("fc00::/7"), "a unique local address (ULA)"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4
// address in their last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Forbidden reports whether a is not a public address, and what it is.
// An IPv4-mapped or NAT64 IPv6 address is judged by its IPv4 address.
func Forbidden(a netip.Addr) (reason string, bad bool) {
	a = a.Unmap().WithZone("")
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, b := range blocks {
		if b.prefix.Contains(a) {
			return b.reason, true
		}
	}
	if !a.IsValid() {
		return "not an address", true
	}
	return "", false
}
