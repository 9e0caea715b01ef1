package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/mail"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Contact is where a letter goes.
type Contact struct {
	// Email is the abuse mailbox; empty when unknown.
	Email string `json:"email,omitempty"`
	// Name is the contact's or network's name.
	Name string `json:"name,omitempty"`
	// Source says where it came from: "override", "rdap <server>", or "".
	Source string `json:"source,omitempty"`
	// Error is why no contact was found, if a look-up failed.
	Error string `json:"error,omitempty"`
}

// Contacts are the contractor's own abuse contacts, by CIDR prefix or by
// AS number. The zero value holds none. Safe for concurrent reads.
type Contacts struct {
	prefixes []prefixContact // longest prefix first
	asns     map[uint32]Contact
}

type prefixContact struct {
	p netip.Prefix
	c Contact
}

// maxContactsSize bounds the override file.
const maxContactsSize = 16 << 20

// LoadContacts reads an override file; see [ParseContacts].
func LoadContacts(path string) (*Contacts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("contacts %q: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxContactsSize+1))
	if err != nil {
		return nil, fmt.Errorf("contacts %q: %w", path, err)
	}
	if len(b) > maxContactsSize {
		return nil, fmt.Errorf("contacts %q: larger than %d bytes", path, maxContactsSize)
	}
	c, err := ParseContacts(b)
	if err != nil {
		return nil, fmt.Errorf("contacts %q: %w", path, err)
	}
	return c, nil
}

// ParseContacts reads an override file in either form:
//
//	{"AS64500": {"email": "abuse@example.net", "name": "Example Net"},
//	 "198.51.100.0/24": {"email": "noc@example.org"}}
//
// or tab-separated lines "KEY<TAB>EMAIL[<TAB>NAME]" with # comments. KEY
// is an AS number ("AS64500" or "64500"), a CIDR prefix or one address.
func ParseContacts(b []byte) (*Contacts, error) {
	c := &Contacts{asns: map[uint32]Contact{}}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var m map[string]struct {
			Email string `json:"email"`
			Name  string `json:"name"`
		}
		if err := json.Unmarshal(t, &m); err != nil {
			return nil, fmt.Errorf("JSON contacts: %w", err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := c.add(k, m[k].Email, m[k].Name); err != nil {
				return nil, err
			}
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		line := 0
		for sc.Scan() {
			line++
			s := strings.TrimSpace(sc.Text())
			if s == "" || s[0] == '#' {
				continue
			}
			parts := strings.Split(s, "\t")
			if len(parts) < 2 {
				return nil, fmt.Errorf("line %d: want KEY<TAB>EMAIL[<TAB>NAME]", line)
			}
			name := ""
			if len(parts) > 2 {
				name = strings.TrimSpace(parts[2])
			}
			if err := c.add(strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), name); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line+1, err)
		}
	}
	sort.SliceStable(c.prefixes, func(i, j int) bool { return c.prefixes[i].p.Bits() > c.prefixes[j].p.Bits() })
	return c, nil
}

func (c *Contacts) add(key, email, name string) error {
	if email != "" {
		a, err := mail.ParseAddress(email)
		if err != nil {
			return fmt.Errorf("contact %q: e-mail %q: %w", key, email, err)
		}
		email = a.Address
	}
	if email == "" && name == "" {
		return fmt.Errorf("contact %q: no e-mail or name", key)
	}
	ct := Contact{Email: email, Name: name, Source: "override"}
	if asn := strings.TrimPrefix(strings.ToUpper(key), "AS"); asn != "" && asn[0] >= '0' && asn[0] <= '9' && !strings.ContainsAny(asn, ".:/") {
		n, err := strconv.ParseUint(asn, 10, 32)
		if err != nil {
			return fmt.Errorf("contact %q: bad AS number", key)
		}
		c.asns[uint32(n)] = ct
		return nil
	}
	p, err := netip.ParsePrefix(key)
	if err != nil {
		a, err2 := netip.ParseAddr(key)
		if err2 != nil {
			return fmt.Errorf("contact %q: want an AS number, a CIDR prefix or an address", key)
		}
		p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
	}
	c.prefixes = append(c.prefixes, prefixContact{p.Masked(), ct})
	return nil
}

// Lookup finds an override for an address or its AS number.
func (c *Contacts) Lookup(ip netip.Addr, asn uint32) (Contact, bool) {
	if c == nil {
		return Contact{}, false
	}
	ip = ip.Unmap()
	for _, pc := range c.prefixes {
		if pc.p.Contains(ip) {
			return pc.c, true
		}
	}
	if asn != 0 {
		if ct, ok := c.asns[asn]; ok {
			return ct, true
		}
	}
	return Contact{}, false
}

// ContactResolver finds the abuse contact of an address: the override
// file first, then RDAP. Special-purpose addresses are never looked up.
// Safe for concurrent use.
type ContactResolver struct {
	// Overrides may be nil.
	Overrides *Contacts
	// RDAP may be nil: no look-ups.
	RDAP *RDAP
}

// Resolve returns the contact for ip, whose attribution is a. Failures
// are recorded in Contact.Error, never returned: a letter then says the
// abuse contact is unknown.
func (r *ContactResolver) Resolve(ctx context.Context, ip netip.Addr, a Attribution) Contact {
	if r == nil {
		return Contact{}
	}
	if ct, ok := r.Overrides.Lookup(ip, a.ASN); ok {
		return ct
	}
	if a.Special != "" || r.RDAP == nil {
		return Contact{}
	}
	ct, err := r.RDAP.Lookup(ctx, ip, a.Network)
	if err != nil {
		return Contact{Error: err.Error()}
	}
	return ct
}
