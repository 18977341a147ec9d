package store

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Trino's IPADDRESS and IPPREFIX types cannot be added to DuckDB, so here
// they are strings in canonical form: an IPv4 address (also one written
// IPv4-mapped, ::ffff:a.b.c.d) as a dotted quad, an IPv6 address as RFC
// 5952 text, a prefix as network/length with the host bits cleared. These
// are the texts Trino gives when it casts the types to VARCHAR, so equality
// and CAST(... AS VARCHAR) behave the same; ordering (<, >) is textual, not
// numeric. RewriteAthena turns CAST(x AS IPADDRESS) into ipaddress(x).

// parseIP parses an address as Guava's InetAddresses.forString does (no
// zone, no leading zeros in IPv4 parts); IPv4-mapped addresses become IPv4.
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("Cannot cast value to IPADDRESS: %s", s)
	}
	return a.Unmap(), nil
}

// parsePrefix parses network/length as Trino's IPPREFIX cast does.
func parsePrefix(s string) (netip.Prefix, error) {
	addr, bits, ok := strings.Cut(s, "/")
	if !ok {
		return netip.Prefix{}, fmt.Errorf("Cannot cast value to IPPREFIX: %s", s)
	}
	a, err := parseIP(addr)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("Cannot cast value to IPPREFIX: %s", s)
	}
	n, err := strconv.Atoi(bits)
	if err != nil || n < 0 || n > a.BitLen() {
		return netip.Prefix{}, fmt.Errorf("Cannot cast value to IPPREFIX: %s", s)
	}
	return netip.PrefixFrom(a, n).Masked(), nil
}

// cidrContains implements Trino's contains(network, address)
// (IpAddressFunctions.contains): the network must be address/length with
// no host bits set (IPv4); an address of the other family is not
// contained.
func cidrContains(network, address string) (bool, error) {
	base, bits, ok := strings.Cut(network, "/")
	if !ok {
		return false, fmt.Errorf("Invalid CIDR")
	}
	b, err := parseIP(base)
	if err != nil {
		return false, fmt.Errorf("Invalid network IP address")
	}
	n, err := strconv.ParseInt(bits, 10, 32)
	if err != nil {
		return false, fmt.Errorf("For input string: %q", bits)
	}
	if n < 0 {
		return false, fmt.Errorf("Invalid prefix length")
	}
	if int(n) > b.BitLen() {
		return false, fmt.Errorf("Prefix length exceeds address length")
	}
	prefix := netip.PrefixFrom(b, int(n))
	if b.Is4() && prefix.Masked().Addr() != b {
		return false, fmt.Errorf("Invalid CIDR")
	}
	a, err := parseIP(address)
	if err != nil {
		return false, err
	}
	if a.Is4() != b.Is4() {
		return false, nil
	}
	return prefix.Contains(a), nil
}

// isSubnetOf implements is_subnet_of(prefix, address or prefix).
func isSubnetOf(prefix, x string) (bool, error) {
	p, err := parsePrefix(prefix)
	if err != nil {
		return false, err
	}
	if strings.Contains(x, "/") {
		q, err := parsePrefix(x)
		if err != nil {
			return false, err
		}
		return q.Addr().Is4() == p.Addr().Is4() && q.Bits() >= p.Bits() && p.Contains(q.Addr()), nil
	}
	a, err := parseIP(x)
	if err != nil {
		return false, err
	}
	return a.Is4() == p.Addr().Is4() && p.Contains(a), nil
}

// ipPrefix implements ip_prefix(address, length).
func ipPrefix(address string, bits int64) (string, error) {
	a, err := parseIP(address)
	if err != nil {
		return "", err
	}
	if bits < 0 || bits > int64(a.BitLen()) {
		return "", fmt.Errorf("IPv%d subnet size must be in range [0, %d]", map[bool]int{true: 4, false: 6}[a.Is4()], a.BitLen())
	}
	return netip.PrefixFrom(a, int(bits)).Masked().String(), nil
}

// subnetMax is the last address of a prefix.
func subnetMax(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
