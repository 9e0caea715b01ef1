package report

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// ErrLevelTooLow is returned for a minimum level below L2: L0 and L1
// never go in a letter.
var ErrLevelTooLow = errors.New("evidence level too low for a letter: L0 (listed) and L1 (announced) prove nothing about a computer; use L2 or above")

// ErrNoPeers is returned when no peer reaches the minimum level; the
// bundle is still written (letters are not).
var ErrNoPeers = errors.New("no peer reaches the minimum evidence level")

// ErrStoreTampered is wrapped by the error [Generate] returns when the
// store's log or its earlier checkpoints fail verification: no checkpoint
// is signed over them and nothing is written. The error is a
// *[StoreProblems] listing what failed.
var ErrStoreTampered = errors.New("the store's evidence log fails verification")

// StoreProblems is what failed when the store was verified before a report.
type StoreProblems struct {
	Problems []evidence.VerifyProblem
}

func (e *StoreProblems) Error() string {
	var b strings.Builder
	b.WriteString(ErrStoreTampered.Error())
	for i, p := range e.Problems {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-3)
			break
		}
		b.WriteString("; " + p.String())
	}
	b.WriteString(": no checkpoint was signed and no report written; run 'leakhunt verify' for the whole list")
	return b.String()
}

func (e *StoreProblems) Unwrap() error { return ErrStoreTampered }

// Summary describes a written report.
type Summary struct {
	Dir string
	// Zip is the archive's path, if one was written.
	Zip string
	// Records is the log size the signed checkpoint covers.
	Records int64
	// BundledRecords are the records with proofs in the bundle.
	BundledRecords int64
	// Sensors are the other sensors of a shared store whose logs the
	// bundle carries, up to each one's latest signed checkpoint.
	Sensors []SensorSection
	// Peers named, and letters written (one per abuse contact).
	Peers   int
	Letters int
	// Rows are the communications the letters list; ClockMarked those
	// marked because their time is not bounded within MaxClockError.
	Rows        int
	ClockMarked int
	// ContactsUnknown counts letters with no abuse contact.
	ContactsUnknown int
	// Unconfigured names the configuration fields the letters print as
	// "[… not configured]".
	Unconfigured []string
	// KeyFingerprint is the signing key's fingerprint.
	KeyFingerprint string
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
	methods []string // how the torrent was matched to the document
	bundled int64
	// The peer's letter rows in the rows spool.
	rowsOff, rowsLen int64
	rowCount         int
}

func (p *peerOut) id() string        { return fmt.Sprintf("peer-%05d", p.n) }
func (p *peerOut) annexPath() string { return "annex/" + p.id() + ".txt" }
func (p *peerOut) proofPath() string { return ProofsName }
func (g *group) letterPath() string  { return fmt.Sprintf("letters/isp-%03d.txt", g.n) }

// run holds one generation's state.
type run struct {
	s        *store.Store
	opt      Options
	log      *slog.Logger
	b        *bundle
	cp       evidence.Checkpoint
	signed   []byte
	prev     *previousCheckpoint
	keys     *evidence.Keys
	coll     *collection
	sensors  []*sensorLog // the other sensors' logs the report covers
	peers    []*peerOut
	groups   []*group
	loc      *time.Location
	now      time.Time
	rows     *os.File // the letter rows spool
	rowErr   error    // a failure reading it back while a letter renders
	unconfig map[string]bool
	basisMu  sync.Mutex
	bases    map[string]fingerprint.InfoHash // match basis sha256 → infohash, named by bundled records
}

// previousCheckpoint is the checkpoint signed before this report's, with
// the consistency proof from it.
type previousCheckpoint struct {
	size   int64
	signed []byte
	key    string // its signer's public key, when not this report's
	proof  tlog.TreeProof
}

// Generate writes a report for the store into opt.OutDir. It first checks
// the store's whole evidence log and every earlier checkpoint (in the same
// single walk that builds the per-peer aggregates) and refuses, with a
// *[StoreProblems], when anything fails; then it signs a fresh checkpoint
// and writes letters, annexes, proofs (with a consistency proof from the
// previous checkpoint), exports and the MANIFEST into a temporary
// directory that becomes opt.OutDir only once complete. Only peers at or
// above opt.MinLevel (never below L2) are named. It returns [ErrNoPeers]
// (with a complete, verifiable bundle) when none qualifies.
func Generate(ctx context.Context, s *store.Store, keys *evidence.Keys, opt Options) (sum *Summary, err error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, errors.New("report: no signing keys")
	}
	r, tmpl, err := newRun(s, keys, opt)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.b.discard()
		}
	}()
	if err := r.verifyAndCollect(); err != nil {
		return nil, err
	}
	if err := r.signCheckpoint(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.selectPeers(ctx); err != nil {
		return nil, err
	}
	r.log.Info("peers selected", "peers", len(r.peers), "groups", len(r.groups))
	sum = &Summary{Dir: r.opt.OutDir, Records: r.cp.Size, Peers: len(r.peers), KeyFingerprint: keys.Fingerprint}
	if r.rows, err = os.CreateTemp(r.b.tmp, ".rows-*"); err != nil {
		return nil, err
	}
	defer func() {
		r.rows.Close()
		os.Remove(r.rows.Name())
	}()
	// The proofs (one walk of the log in order) and the annexes (the
	// selected peers' records) are written at the same time.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		sum.BundledRecords, err = r.writeProofs()
		return err
	})
	g.Go(func() error { return r.writeAnnexes(gctx) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r.log.Info("proofs and annexes written", "records", sum.BundledRecords)
	if sum.Sensors, err = r.writeSensors(); err != nil {
		return nil, err
	}
	if err := r.writeBases(); err != nil {
		return nil, err
	}
	if err := r.writeLetters(tmpl, sum); err != nil {
		return nil, err
	}
	if err := r.writeExports(); err != nil {
		return nil, err
	}
	r.log.Info("exports written")
	if err := r.writeBundleFiles(); err != nil {
		return nil, err
	}
	r.rows.Close()
	os.Remove(r.rows.Name())
	if err := r.seal(sum); err != nil {
		return nil, err
	}
	if len(r.peers) == 0 {
		return sum, ErrNoPeers
	}
	return sum, nil
}

// check validates the options and fills in the defaults.
func (opt *Options) check() error {
	if opt.MinLevel < evidence.L2Connected {
		return ErrLevelTooLow
	}
	if opt.MinLevel > evidence.L5FullCopy {
		return fmt.Errorf("evidence level %d does not exist: want L2 to L5", int(opt.MinLevel))
	}
	if _, ok := levelTexts[opt.Lang]; !ok {
		return fmt.Errorf("letter language %q: want en or ja", opt.Lang)
	}
	if opt.Kind == "" {
		opt.Kind = KindTakedown
	}
	if opt.Kind != KindTakedown && opt.Kind != KindDisclosure {
		return fmt.Errorf("letter kind %q: want takedown or disclosure", opt.Kind)
	}
	if opt.MaxClockError <= 0 {
		opt.MaxClockError = DefaultOptions().MaxClockError
	}
	return nil
}

// newRun prepares a report run: its clock, letter zone, templates and the
// bundle directory being written.
func newRun(s *store.Store, keys *evidence.Keys, opt Options) (*run, *template.Template, error) {
	r := &run{s: s, opt: opt, keys: keys, log: opt.Logger, unconfig: map[string]bool{}}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if r.loc, err = letterZone(opt.Lang, opt.Config.TimeZone); err != nil {
		return nil, nil, err
	}
	r.now = time.Now()
	if opt.Now != nil {
		r.now = opt.Now()
	}
	tmpl, err := loadTemplates(opt.Templates, opt.Lang, opt.Kind)
	if err != nil {
		return nil, nil, err
	}
	if r.b, err = newBundle(opt.OutDir, opt.createFile); err != nil {
		return nil, nil, err
	}
	return r, tmpl, nil
}

// writeLetters writes one letter per group that has rows, counting them
// in sum.
func (r *run) writeLetters(tmpl *template.Template, sum *Summary) error {
	for _, g := range r.groups {
		rows, marked, err := r.writeLetter(tmpl, g)
		if err != nil {
			return err
		}
		if rows == 0 {
			continue
		}
		sum.Letters++
		sum.Rows += rows
		sum.ClockMarked += marked
		if g.contact.Email == "" {
			sum.ContactsUnknown++
		}
	}
	for k := range r.unconfig {
		sum.Unconfigured = append(sum.Unconfigured, k)
	}
	slices.Sort(sum.Unconfigured)
	r.log.Info("letters written", "letters", sum.Letters)
	return nil
}

// seal writes and signs the MANIFEST, writes the zip when asked, and
// moves the bundle into place.
func (r *run) seal(sum *Summary) error {
	mb, err := r.b.writeManifest()
	if err != nil {
		return err
	}
	sig, err := note.Sign(&note.Note{Text: manifestNoteText(sha256.Sum256(mb))}, r.keys.Signer)
	if err != nil {
		return fmt.Errorf("sign MANIFEST: %w", err)
	}
	if err := r.b.writeRaw(ManifestSigName, sig); err != nil {
		return fmt.Errorf("write %s: %w", ManifestSigName, err)
	}
	if r.opt.Zip {
		sum.Zip = strings.TrimRight(r.opt.OutDir, `/\`) + ".zip"
		if err := r.b.writeZip(sum.Zip); err != nil {
			return err
		}
	}
	if err := r.b.commit(); err != nil {
		if sum.Zip != "" {
			os.Remove(sum.Zip)
		}
		return err
	}
	return nil
}

// verifyAndCollect walks the log once: it verifies every record, stored
// hash, key record and checkpoint, and builds the per-peer aggregates;
// then it does the same with the log of every other sensor of a shared
// store (see sensors.go).
func (r *run) verifyAndCollect() error {
	// The verifier's size: a running hunt may append meanwhile, and the
	// report covers (and signs) the tree it verified.
	v, err := evidence.NewLogVerifier(r.s, r.keys.VerifierKey)
	if err != nil {
		return err
	}
	size := v.Size()
	r.coll = newCollection(&r.opt)
	if err := r.coll.collect(r.s, ownLog, size, size, v, r.opt.OnProgress); err != nil {
		return err
	}
	problems, root := v.Finish()
	if len(problems) > 0 {
		return &StoreProblems{problems}
	}
	r.cp = evidence.Checkpoint{Size: size, Hash: root}
	r.log.Info("evidence log verified", "records", size)
	return r.collectSensors()
}

// signCheckpoint signs the verified tree, keeping the previous checkpoint
// and a consistency proof from it.
func (r *run) signCheckpoint() error {
	var prev *previousCheckpoint
	err := r.s.Checkpoints(func(size int64, signed []byte) error {
		if size <= r.cp.Size {
			prev = &previousCheckpoint{size: size, signed: signed}
		}
		return nil
	})
	if err != nil {
		return err
	}
	signed, cp, err := evidence.SignCheckpointAt(r.s, r.keys, r.cp.Size)
	if err != nil {
		return fmt.Errorf("sign checkpoint: %w", err)
	}
	if cp != r.cp {
		return fmt.Errorf("sign checkpoint: the first %d records changed while they were verified: %w", r.cp.Size, store.ErrCorrupt)
	}
	r.signed = signed
	if prev != nil {
		if _, err := evidence.OpenCheckpoint(prev.signed, r.keys.VerifierKey); err != nil {
			// Signed by an earlier key of the store: ship that key too.
			keys, err := r.s.SigningKeys()
			if err != nil {
				return err
			}
			for _, k := range keys {
				if _, err := evidence.OpenCheckpoint(prev.signed, k.VerifierKey); err == nil {
					prev.key = k.VerifierKey
				}
			}
		}
		if prev.proof, err = tlog.ProveTree(r.cp.Size, prev.size, r.s); err != nil {
			return fmt.Errorf("consistency proof from the checkpoint at %d: %w", prev.size, err)
		}
		r.prev = prev
	}
	r.log.Info("checkpoint signed", "records", r.cp.Size)
	return nil
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
	for _, a := range r.coll.order {
		if a.rowLevel < r.opt.MinLevel || a.rowLevel < evidence.L2Connected {
			continue
		}
		p := &peerOut{agg: a}
		a.out = p
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
				cmp.Compare(a.agg.key.Port, b.agg.key.Port), bytes.Compare(a.agg.key.InfoHash[:], b.agg.key.InfoHash[:]))
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
	cache := map[fingerprint.InfoHash]*info{}
	for _, p := range r.peers {
		if p.agg.key.Network == evidence.NetworkED2K {
			if d, err := r.s.DocumentBySHA256(p.agg.Document); err == nil {
				p.docName = d.Name
			}
			p.methods = []string{ed2kMatchedBy(r.opt.Lang)}
			continue
		}
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
			if !m.ProvesTorrent() || (p.agg.Document != "" && m.Document != p.agg.Document) {
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
			if len(p.methods) < 4 {
				p.methods = append(p.methods, matchMethod(r.opt.Lang, m))
			}
		}
	}
	return nil
}

// writeBundleFiles writes checkpoint, key.pub, the previous checkpoint
// with its consistency proof, and README.txt.
func (r *run) writeBundleFiles() error {
	if err := r.b.writeFile("checkpoint", r.signed); err != nil {
		return err
	}
	if err := r.b.writeFile("key.pub", []byte(r.keys.VerifierKey+"\n")); err != nil {
		return err
	}
	if p := r.prev; p != nil {
		if err := r.b.writeFile(PreviousCheckpointName, p.signed); err != nil {
			return err
		}
		if p.key != "" {
			if err := r.b.writeFile(PreviousKeyName, []byte(p.key+"\n")); err != nil {
				return err
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "leakhunt consistency proof\nold %d\nnew %d\n", p.size, r.cp.Size)
		for _, h := range p.proof {
			b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
		}
		if err := r.b.writeFile(ConsistencyProofName, []byte(b.String())); err != nil {
			return err
		}
	}
	return r.b.writeFile("README.txt", []byte(r.readme()))
}

// Files of the previous checkpoint in a bundle.
const (
	PreviousCheckpointName = "previous-checkpoint"
	PreviousKeyName        = "previous-key.pub"
	ConsistencyProofName   = "consistency-proof"
)

func (r *run) rootHash() string { return base64.StdEncoding.EncodeToString(r.cp.Hash[:]) }
