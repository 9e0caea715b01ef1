package report

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/oschwald/maxminddb-golang"

	"github.com/leakhunt/leakhunt/internal/netpolicy"
)

// Attribution says who holds an address.
type Attribution struct {
	// ASN is the autonomous system number, 0 if unknown.
	ASN uint32 `json:"asn,omitempty"`
	// Org is the AS organisation (the ISP or hosting company).
	Org string `json:"isp,omitempty"`
	// Country is an ISO 3166 code when the database has one.
	Country string `json:"country,omitempty"`
	// Network is the database's prefix for the address.
	Network string `json:"network,omitempty"`
	// Special is set for loopback, private and other special-purpose
	// addresses: they have no ISP and are never looked up anywhere.
	Special string `json:"special,omitempty"`
}

// SpecialPrivate labels loopback, private (RFC 1918, carrier-grade NAT,
// unique-local), link-local, multicast and unspecified addresses.
const SpecialPrivate = "private/loopback"

// SpecialReserved labels documentation, benchmarking and other reserved
// ranges, and IPv6 addresses embedding a non-public IPv4 address.
const SpecialReserved = "reserved (special-purpose range)"

// Classify returns the special-purpose label of an address, or "" for an
// ordinary public one. Unparseable addresses are reserved. The ranges are
// those every leakhunt dialler refuses (internal/netpolicy).
func Classify(ip netip.Addr) string {
	switch netpolicy.Classify(ip) {
	case netpolicy.Public:
		return ""
	case netpolicy.Loopback, netpolicy.Private, netpolicy.LinkLocal, netpolicy.Unspecified, netpolicy.Multicast:
		return SpecialPrivate
	}
	return SpecialReserved
}

// ASNDB attributes addresses from one or more MaxMind-format databases
// (an ASN database and optionally a country database). It is safe for
// concurrent use; results are cached per address.
type ASNDB struct {
	readers []*maxminddb.Reader
	mu      sync.Mutex
	cache   map[netip.Addr]Attribution
}

// OpenASNDB opens MaxMind-format database files. Fields understood:
// autonomous_system_number / autonomous_system_organization (GeoLite2-ASN,
// DB-IP), asn / as_name / country (IPinfo), country.iso_code and
// registered_country.iso_code (GeoLite2-Country). Later files fill only
// what earlier ones left empty.
func OpenASNDB(paths ...string) (*ASNDB, error) {
	d := &ASNDB{cache: map[netip.Addr]Attribution{}}
	for _, p := range paths {
		if p == "" {
			continue
		}
		r, err := maxminddb.Open(p)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("open ASN database %q: %w", p, err)
		}
		d.readers = append(d.readers, r)
	}
	if len(d.readers) == 0 {
		return nil, errors.New("open ASN database: no file given")
	}
	return d, nil
}

// Close releases the databases.
func (d *ASNDB) Close() error {
	var errs []error
	for _, r := range d.readers {
		errs = append(errs, r.Close())
	}
	d.readers = nil
	return errors.Join(errs...)
}

// mmdbRecord decodes the fields of the common free ASN and country
// databases; fields whose type differs between vendors are decoded as any.
type mmdbRecord struct {
	ASNumber  uint32 `maxminddb:"autonomous_system_number"`
	ASOrg     string `maxminddb:"autonomous_system_organization"`
	ASN       any    `maxminddb:"asn"`
	ASName    string `maxminddb:"as_name"`
	Country   any    `maxminddb:"country"`
	RegCounty struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

// Lookup attributes one address. A nil ASNDB labels only special-purpose
// addresses.
func (d *ASNDB) Lookup(ip netip.Addr) Attribution {
	ip = ip.Unmap()
	if s := Classify(ip); s != "" {
		return Attribution{Special: s}
	}
	if d == nil {
		return Attribution{}
	}
	d.mu.Lock()
	a, ok := d.cache[ip]
	d.mu.Unlock()
	if ok {
		return a
	}
	for _, r := range d.readers {
		var rec mmdbRecord
		network, found, err := r.LookupNetwork(net.IP(ip.AsSlice()), &rec)
		if err != nil || !found {
			continue
		}
		if a.Network == "" && network != nil {
			a.Network = network.String()
		}
		if a.ASN == 0 {
			a.ASN = rec.ASNumber
			if a.ASN == 0 {
				a.ASN = parseASN(rec.ASN)
			}
		}
		if a.Org == "" {
			a.Org = rec.ASOrg
			if a.Org == "" {
				a.Org = rec.ASName
			}
		}
		if a.Country == "" {
			a.Country = countryCode(rec.Country)
			if a.Country == "" {
				a.Country = rec.RegCounty.ISOCode
			}
		}
	}
	d.mu.Lock()
	if len(d.cache) < 1<<20 {
		d.cache[ip] = a
	}
	d.mu.Unlock()
	return a
}

// parseASN accepts 64500, "64500" and "AS64500".
func parseASN(v any) uint32 {
	switch x := v.(type) {
	case uint64:
		return uint32(x)
	case uint32:
		return x
	case int:
		return uint32(x)
	case string:
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(x)), "AS"), 10, 32)
		if err == nil {
			return uint32(n)
		}
	}
	return 0
}

// countryCode accepts "JP" (IPinfo) and {"iso_code": "JP"} (MaxMind).
func countryCode(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if s, ok := x["iso_code"].(string); ok {
			return s
		}
	}
	return ""
}
