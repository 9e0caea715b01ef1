package report

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/store"
)

// ErrLevelTooLow is returned for a minimum level below L2: L0 and L1
// never go in a letter.
var ErrLevelTooLow = errors.New("evidence level too low for a letter: L0 (listed) and L1 (announced) prove nothing about a computer; use L2 or above")

// ErrNoPeers is returned when no peer reaches the minimum level; the
// bundle is still written (letters are not).
var ErrNoPeers = errors.New("no peer reaches the minimum evidence level")

// Summary describes a written report.
type Summary struct {
	Dir string
	// Zip is the archive's path, if one was written.
	Zip string
	// Records is the log size the signed checkpoint covers.
	Records int64
	// BundledRecords are the records with proofs in the bundle.
	BundledRecords int64
	// Peers named, and letters written (one per abuse contact).
	Peers   int
	Letters int
	// ContactsUnknown counts letters with no abuse contact.
	ContactsUnknown int
}

// group is the set of hosts one letter goes to.
type group struct {
	n       int
	key     string
	contact Contact
	special string
	asns    []uint32
	orgs    []string
	country string
	peers   []*peerOut
}

// peerOut is a peer selected for the report.
type peerOut struct {
	n       int
	agg     *peerAgg
	addr    netip.Addr
	attr    Attribution
	contact Contact
	group   *group
	torrent string
	files   []string
	docName string
	bundled int64
}

func (p *peerOut) id() string        { return fmt.Sprintf("peer-%05d", p.n) }
func (p *peerOut) annexPath() string { return "annex/" + p.id() + ".txt" }
func (p *peerOut) proofPath() string { return ProofsName }
func (g *group) letterPath() string  { return fmt.Sprintf("letters/isp-%03d.txt", g.n) }

// run holds one generation's state.
type run struct {
	s      *store.Store
	opt    Options
	log    *slog.Logger
	b      *bundle
	cp     evidence.Checkpoint
	signed []byte
	keys   *evidence.Keys
	coll   *collection
	peers  []*peerOut
	groups []*group
	loc    *time.Location
	now    time.Time
}

// Generate writes a report for the store into opt.OutDir: it signs a
// fresh checkpoint so that every record is covered, walks the log once,
// and writes letters, annexes, proofs, exports and the MANIFEST. Only
// peers at or above opt.MinLevel (never below L2) are named. It returns
// [ErrNoPeers] (with a complete, verifiable bundle) when none qualifies.
func Generate(ctx context.Context, s *store.Store, keys *evidence.Keys, opt Options) (*Summary, error) {
	if opt.MinLevel < store.L2Connected {
		return nil, ErrLevelTooLow
	}
	if opt.MinLevel > store.L5FullCopy {
		return nil, fmt.Errorf("evidence level L%d does not exist: want L2 to L5", opt.MinLevel)
	}
	if _, ok := levelTexts[opt.Lang]; !ok {
		return nil, fmt.Errorf("letter language %q: want en or ja", opt.Lang)
	}
	if keys == nil {
		return nil, errors.New("report: no signing keys")
	}
	r := &run{s: s, opt: opt, keys: keys, log: opt.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if r.loc, err = letterZone(opt.Lang, opt.Config.TimeZone); err != nil {
		return nil, err
	}
	r.now = time.Now()
	if opt.Now != nil {
		r.now = opt.Now()
	}
	tmpl, err := loadTemplates(opt.Templates, opt.Lang)
	if err != nil {
		return nil, err
	}
	if r.b, err = newBundle(opt.OutDir); err != nil {
		return nil, err
	}
	r.signed, r.cp, err = evidence.SignCheckpoint(s, keys)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	r.log.Info("checkpoint signed", "records", r.cp.Size)
	if r.coll, err = collect(s, r.cp.Size, opt.MinLevel, opt.OnProgress); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.selectPeers(ctx); err != nil {
		return nil, err
	}
	r.log.Info("peers selected", "peers", len(r.peers), "groups", len(r.groups))
	sum := &Summary{Dir: opt.OutDir, Records: r.cp.Size, Peers: len(r.peers)}
	if sum.BundledRecords, err = r.writeAnnexes(ctx); err != nil {
		return nil, err
	}
	r.log.Info("annexes and proofs written", "records", sum.BundledRecords)
	for _, g := range r.groups {
		if err := r.writeLetter(tmpl, g); err != nil {
			return nil, err
		}
		sum.Letters++
		if g.contact.Email == "" {
			sum.ContactsUnknown++
		}
	}
	r.log.Info("letters written", "letters", sum.Letters)
	if err := r.writeExports(); err != nil {
		return nil, err
	}
	r.log.Info("exports written")
	if err := r.writeBundleFiles(); err != nil {
		return nil, err
	}
	mb, err := r.b.writeManifest()
	if err != nil {
		return nil, err
	}
	sig, err := note.Sign(&note.Note{Text: manifestNoteText(sha256.Sum256(mb))}, keys.Signer)
	if err != nil {
		return nil, fmt.Errorf("sign MANIFEST: %w", err)
	}
	if err := writeSynced(filepath.Join(opt.OutDir, ManifestSigName), sig); err != nil {
		return nil, fmt.Errorf("write %s: %w", ManifestSigName, err)
	}
	if opt.Zip {
		sum.Zip = strings.TrimRight(opt.OutDir, `/\`) + ".zip"
		if err := r.b.writeZip(sum.Zip); err != nil {
			return nil, err
		}
	}
	if len(r.peers) == 0 {
		return sum, ErrNoPeers
	}
	return sum, nil
}

// letterZone is the local time zone of letters.
func letterZone(lang, tz string) (*time.Location, error) {
	if tz == "" {
		if lang != "ja" {
			return time.UTC, nil
		}
		tz = "Asia/Tokyo"
	}
	loc, err := time.LoadLocation(tz)
	if err == nil {
		return loc, nil
	}
	if tz == "Asia/Tokyo" { // no tzdata installed: Japan has had no DST since 1951
		return time.FixedZone("JST", 9*3600), nil
	}
	return nil, fmt.Errorf("time zone %q: %w", tz, err)
}

// selectPeers attributes the peers at or above the minimum level, finds
// their abuse contacts and groups them into letters.
func (r *run) selectPeers(ctx context.Context) error {
	for _, a := range r.coll.peers {
		if a.level < r.opt.MinLevel || a.level < store.L2Connected {
			continue
		}
		p := &peerOut{agg: a}
		addr, err := netip.ParseAddr(a.key.IP)
		if err == nil {
			p.addr = addr.Unmap()
		}
		p.attr = r.opt.ASN.Lookup(p.addr)
		r.peers = append(r.peers, p)
	}
	if err := r.resolveContacts(ctx); err != nil {
		return err
	}
	if err := r.describeTorrents(); err != nil {
		return err
	}
	groups := map[string]*group{}
	for _, p := range r.peers {
		var key string
		switch {
		case p.contact.Email != "":
			key = "contact " + strings.ToLower(p.contact.Email)
		case p.attr.Special != "":
			key = "special " + p.attr.Special
		case p.attr.ASN != 0:
			key = fmt.Sprintf("asn %010d", p.attr.ASN)
		default:
			key = "unknown"
		}
		g := groups[key]
		if g == nil {
			g = &group{key: key, contact: p.contact, special: p.attr.Special, country: p.attr.Country}
			groups[key] = g
			r.groups = append(r.groups, g)
		}
		if p.attr.ASN != 0 && !slices.Contains(g.asns, p.attr.ASN) {
			g.asns = append(g.asns, p.attr.ASN)
		}
		if p.attr.Org != "" && !slices.Contains(g.orgs, p.attr.Org) && len(g.orgs) < 8 {
			g.orgs = append(g.orgs, p.attr.Org)
		}
		if g.country != p.attr.Country {
			g.country = ""
		}
		g.peers = append(g.peers, p)
		p.group = g
	}
	slices.SortFunc(r.groups, func(a, b *group) int { return cmp.Compare(a.key, b.key) })
	n := 0
	for i, g := range r.groups {
		g.n = i + 1
		slices.Sort(g.asns)
		slices.SortFunc(g.peers, func(a, b *peerOut) int {
			return cmp.Or(a.addr.Compare(b.addr), cmp.Compare(a.agg.key.IP, b.agg.key.IP),
				cmp.Compare(a.agg.key.Port, b.agg.key.Port), cmp.Compare(a.agg.key.InfoHash, b.agg.key.InfoHash))
		})
		for _, p := range g.peers {
			n++
			p.n = n
		}
	}
	slices.SortFunc(r.peers, func(a, b *peerOut) int { return cmp.Compare(a.n, b.n) })
	return nil
}

// resolveContacts finds each peer's abuse contact: overrides per
// address, then one RDAP look-up per network, a few at a time.
func (r *run) resolveContacts(ctx context.Context) error {
	cr := r.opt.Contacts
	if cr == nil {
		return nil
	}
	byKey := map[string][]*peerOut{}
	var keys []string
	for _, p := range r.peers {
		if ct, ok := cr.Overrides.Lookup(p.addr, p.attr.ASN); ok {
			p.contact = ct
			continue
		}
		if p.attr.Special != "" || cr.RDAP == nil {
			continue
		}
		k := cacheKey(p.addr, p.attr.Network)
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], p)
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	results := make([]Contact, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cr.RDAP.cfg.Concurrency)
	for i, k := range keys {
		p := byKey[k][0]
		g.Go(func() error {
			results[i] = cr.Resolve(gctx, p.addr, p.attr)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, k := range keys {
		for _, p := range byKey[k] {
			p.contact = results[i]
		}
	}
	return nil
}

// describeTorrents fills torrent names, file names and document names
// from the store (one read per torrent).
func (r *run) describeTorrents() error {
	type info struct {
		name    string
		matches []store.Match
	}
	cache := map[string]*info{}
	for _, p := range r.peers {
		ih := p.agg.key.InfoHash
		in := cache[ih]
		if in == nil {
			in = &info{}
			t, err := r.s.Torrent(ih)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			in.name = t.Name
			if in.matches, err = r.s.MatchesFor(ih); err != nil {
				return err
			}
			cache[ih] = in
		}
		p.torrent = in.name
		for _, m := range in.matches {
			if !m.ProvesTorrent() || (p.agg.document != "" && m.Document != p.agg.document) {
				continue
			}
			if p.torrent == "" {
				p.torrent = m.TorrentName
			}
			if !slices.Contains(p.files, m.File) && len(p.files) < 16 {
				p.files = append(p.files, m.File)
			}
			if p.docName == "" {
				p.docName = m.DocumentName
			}
		}
	}
	return nil
}

// writeBundleFiles writes checkpoint, key.pub and README.txt.
func (r *run) writeBundleFiles() error {
	if err := r.b.writeFile("checkpoint", r.signed); err != nil {
		return err
	}
	if err := r.b.writeFile("key.pub", []byte(r.keys.VerifierKey+"\n")); err != nil {
		return err
	}
	return r.b.writeFile("README.txt", []byte(r.readme()))
}

func (r *run) rootHash() string { return base64.StdEncoding.EncodeToString(r.cp.Hash[:]) }
