package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/store"
)

// ProofsName is the file of every bundled record with its proof.
const ProofsName = "proofs/records.jsonl"

// proofLine is one line of proofs/records.jsonl.
type proofLine struct {
	// Peer names the annex the record belongs to ("peer-00001").
	Peer  string   `json:"peer"`
	Index int64    `json:"index"`
	Leaf  string   `json:"leaf"`  // base64 of the exact stored bytes
	Proof []string `json:"proof"` // base64 hashes, leaf level first
}

// proofBatch bounds the records proven (and held) at once.
const proofBatch = 1024

// annexJob is one peer's annex, written by a worker; its proof lines are
// buffered until every earlier peer's are in the proofs file.
type annexJob struct {
	p      *peerOut
	buf    bytes.Buffer
	n      int64
	err    error
	inline bool // too many records to buffer: written by the committer
	done   chan struct{}
}

// inlineRecords is the history size above which a peer's proofs are not
// buffered (about 1.3 KB per record) but streamed by the committer.
const inlineRecords = 4096

// byteWriter is where proof lines go.
type byteWriter interface {
	io.Writer
	io.ByteWriter
}

// writeAnnexes writes, per selected peer, its annex and its lines of the
// proofs file: every record of the peer in the signed tree, fetched and
// proven in batches. Peers are handled by one worker per CPU; proof lines
// are committed in peer order. It returns the number of records written.
func (r *run) writeAnnexes(ctx context.Context) (int64, error) {
	pw, err := r.b.create(ProofsName)
	if err != nil {
		return 0, err
	}
	defer pw.abort()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	jobs := make(chan *annexJob, workers)
	order := make(chan *annexJob, 2*workers)
	g, gctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			pr := newProver(r.s, r.cp.Size)
			for j := range jobs {
				if err := gctx.Err(); err != nil {
					j.err = err
				} else {
					j.n, j.err = r.writeAnnex(pr, &j.buf, j.p)
				}
				close(j.done)
			}
			return nil
		})
	}
	g.Go(func() error { // feeder: every job sent to order was taken by a worker or is inline
		defer close(order)
		defer close(jobs)
		for _, p := range r.peers {
			j := &annexJob{p: p, done: make(chan struct{})}
			if p.agg.count > inlineRecords {
				j.inline = true
				close(j.done)
			} else {
				select {
				case jobs <- j:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			select {
			case order <- j:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	pr := newProver(r.s, r.cp.Size)
	var total int64
	var firstErr error
	for j := range order {
		<-j.done
		if firstErr != nil {
			continue
		}
		if j.inline {
			j.n, j.err = r.writeAnnex(pr, pw, j.p)
		} else if j.err == nil {
			_, j.err = pw.Write(j.buf.Bytes())
		}
		if j.err != nil {
			firstErr = fmt.Errorf("annex for %s: %w", j.p.id(), j.err)
			cancel()
			continue
		}
		total += j.n
	}
	if err := g.Wait(); err != nil && firstErr == nil {
		firstErr = err
	}
	if firstErr != nil {
		return total, firstErr
	}
	return total, pw.Close()
}

func (r *run) writeAnnex(pr *prover, pw byteWriter, p *peerOut) (int64, error) {
	k := p.agg.key
	all, err := r.s.PeerObservations(k.InfoHash, k.IP, k.Port)
	if err != nil {
		return 0, err
	}
	idx := all[:0]
	for _, n := range all {
		if n < r.cp.Size {
			idx = append(idx, n)
		}
	}
	if len(idx) != p.agg.count {
		return 0, fmt.Errorf("the store's peer index lists %d records, the log holds %d: %w (run 'leakhunt verify')", len(idx), p.agg.count, store.ErrCorrupt)
	}
	aw, err := r.b.create(p.annexPath())
	if err != nil {
		return 0, err
	}
	defer aw.abort()
	r.annexHeader(aw, p)
	var written int64
	leaves := make([][]byte, 0, proofBatch)
	for start := 0; start < len(idx); start += proofBatch {
		batch := idx[start:min(start+proofBatch, len(idx))]
		leaves = leaves[:0]
		for _, n := range batch {
			leaf, err := r.s.Leaf(n)
			if err != nil {
				return written, err
			}
			leaves = append(leaves, leaf)
		}
		proofs, err := pr.prove(batch)
		if err != nil {
			return written, err
		}
		for i, n := range batch {
			var o store.Observation
			if err := json.Unmarshal(leaves[i], &o); err != nil || o.InfoHash != k.InfoHash || o.IP != k.IP || o.Port != k.Port {
				return written, fmt.Errorf("log record %d does not belong to this peer: %w", n, store.ErrCorrupt)
			}
			line := proofLine{Peer: p.id(), Index: n, Leaf: base64.StdEncoding.EncodeToString(leaves[i]), Proof: make([]string, len(proofs[i]))}
			for j, h := range proofs[i] {
				line.Proof[j] = base64.StdEncoding.EncodeToString(h[:])
			}
			b, err := json.Marshal(line)
			if err != nil {
				return written, err
			}
			pw.Write(b)
			pw.WriteByte('\n')
			r.annexRecord(aw, n, leaves[i], &o, line.Proof)
			written++
		}
	}
	p.bundled = written
	return written, aw.Close()
}

func (r *run) fmtTime(t time.Time) (utc, local string) {
	utc = t.UTC().Format("2006-01-02 15:04:05.000 UTC")
	local = t.In(r.loc).Format("2006-01-02 15:04:05.000 MST (-07:00)")
	return
}

// annexHeader writes the peer's summary, the checkpoint and the method.
func (r *run) annexHeader(w io.Writer, p *peerOut) {
	a := p.agg
	fmt.Fprintf(w, "DISCLOSURE ANNEX %s\n%s\n\n", p.id(), strings.Repeat("=", 17+len(p.id())))
	fmt.Fprintf(w, "This annex lists every observation of one peer recorded in the evidence log, exactly as\nrecorded, with a proof that each is part of the signed log. Section METHOD says how they were\nmade; section CHECKING says how to confirm them without trusting the sender.\n\n")
	kv := func(k, v string) { fmt.Fprintf(w, "%-22s %s\n", k+":", v) }
	kv("Peer address", fmt.Sprintf("%s port %d", field(a.key.IP), a.key.Port))
	kv("Network", r.networkLine(p))
	kv("Torrent infohash", field(a.key.InfoHash))
	kv("Torrent name", quoteField(p.torrent))
	for _, f := range p.files {
		kv("File in torrent", quoteField(f))
	}
	kv("Leaked document", quoteField(p.docName)+docHash(a.document))
	kv("Highest level", levelName("en", a.level))
	kv("What it proves", levelMeaning("en", a.level))
	var lv []string
	for l, c := range a.levelCount {
		if c > 0 {
			lv = append(lv, fmt.Sprintf("L%d: %d", l, c))
		}
	}
	kv("Observations", fmt.Sprintf("%d (%s)", a.count, strings.Join(lv, ", ")))
	fu, fl := r.fmtTime(a.first)
	lu, ll := r.fmtTime(a.last)
	kv("First seen", fu+" = "+fl)
	kv("Last seen", lu+" = "+ll)
	kv("Pieces verified", intList(a.verified, 64))
	kv("Peer id (hex)", field(a.peerID))
	kv("Client", quoteField(a.client))
	kv("Clock", clockLine(a))
	fmt.Fprintf(w, "\nSIGNED CHECKPOINT\n-----------------\n")
	kv("Log", "leakhunt evidence log (RFC 6962 Merkle tree, SHA-256)")
	kv("Tree size", strconv.FormatInt(r.cp.Size, 10)+" records")
	kv("Root hash (base64)", r.rootHash())
	kv("Signer", r.keys.Verifier.Name()+" (public key in key.pub; signed note in checkpoint)")
	fmt.Fprintf(w, "\nMETHOD\n------\n%s\nCHECKING\n--------\n%s\nRECORDS\n-------\n", methodText(r.opt.Version), checkingText)
}

func (r *run) networkLine(p *peerOut) string {
	a := p.attr
	if a.Special != "" {
		return a.Special + ": no ISP; not looked up"
	}
	parts := []string{}
	if a.ASN != 0 {
		parts = append(parts, fmt.Sprintf("AS%d", a.ASN))
	}
	if a.Org != "" {
		parts = append(parts, quoteField(a.Org))
	}
	if a.Country != "" {
		parts = append(parts, field(a.Country))
	}
	if a.Network != "" {
		parts = append(parts, a.Network)
	}
	if len(parts) == 0 {
		return "not attributed (no ASN database, or the address is not in it)"
	}
	return strings.Join(parts, ", ")
}

// annexRecord writes one record: decoded fields, the leaf and its proof.
func (r *run) annexRecord(w io.Writer, n int64, leaf []byte, o *store.Observation, proof []string) {
	fmt.Fprintf(w, "\nRecord %d\n", n)
	kv := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-20s %s\n", k+":", v)
		}
	}
	u, l := r.fmtTime(o.Time)
	kv("time (UTC)", u)
	kv("time (local)", l)
	kv("clock offset", clockOffsetText(o.ClockOffset))
	kv("level", levelName("en", o.Level))
	kv("source", field(o.Source))
	kv("peer", fmt.Sprintf("%s port %d", field(o.IP), o.Port))
	kv("transport", field(o.Transport))
	if len(o.Tried) > 1 {
		kv("transports tried", field(strings.Join(o.Tried, ", ")))
	}
	kv("peer id (hex)", field(o.PeerID))
	kv("client", quoteIf(o.Client))
	kv("infohash", field(o.InfoHash))
	kv("document sha256", field(o.Document))
	if o.ClaimedCount > 0 || len(o.PiecesClaimed) > 0 {
		kv("pieces claimed", fmt.Sprintf("%d: %s", max(o.ClaimedCount, len(o.PiecesClaimed)), intList(o.PiecesClaimed, 32)))
	}
	if len(o.PiecesVerified) > 0 {
		kv("pieces verified", intList(o.PiecesVerified, 1024))
	}
	if len(o.PiecesFailed) > 0 {
		kv("pieces failed", intList(o.PiecesFailed, 1024))
	}
	kv("stopped because", field(o.Reason))
	if !o.Ended.IsZero() {
		u, _ := r.fmtTime(o.Ended)
		kv("ended (UTC)", u)
	}
	kv("error", quoteIf(o.Error))
	kv("detail", quoteIf(o.Detail))
	kv("our address", field(o.ListenAddr))
	kv("software", field(o.Version))
	kv("transcript sha256", field(o.TranscriptSHA256))
	sum := sha256.Sum256(leaf)
	rh := tlog.RecordHash(leaf)
	kv("leaf sha256 (hex)", hex.EncodeToString(sum[:]))
	kv("leaf hash (base64)", base64.StdEncoding.EncodeToString(rh[:]))
	fmt.Fprintf(w, "  leaf (%d bytes as recorded; characters that could hide text are shown as \\u escapes):\n    %s\n", len(leaf), escapeJSONUnsafe(leaf))
	fmt.Fprintf(w, "  inclusion proof (%d hashes, base64, from the leaf up):\n", len(proof))
	for _, h := range proof {
		fmt.Fprintf(w, "    %s\n", h)
	}
}

func quoteField(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return "\"" + field(s) + "\""
}

func docHash(sha string) string {
	if sha == "" {
		return ""
	}
	return " (sha256 " + field(sha) + ")"
}

func intList(v []int, max int) string {
	if len(v) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, x := range v {
		if i == max {
			fmt.Fprintf(&b, " (+%d more)", len(v)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

func clockOffsetText(s string) string {
	if _, err := time.ParseDuration(s); err == nil {
		return s + " (our clock against NTP at the time)"
	}
	if s == "" {
		return "not recorded"
	}
	return field(s) + " (no NTP measurement: the time is our clock's)"
}

func clockLine(a *peerAgg) string {
	s := fmt.Sprintf("%d observations with a measured NTP offset", a.offsetsKnown)
	if a.offsetsKnown > 0 {
		s += fmt.Sprintf(" (largest %s)", a.maxOffset)
	}
	if a.unsynced > 0 {
		s += fmt.Sprintf("; %d with the clock unsynchronized", a.unsynced)
	}
	return s
}

// methodText describes how observations are made, for a lawyer.
func methodText(version string) string {
	if version == "" {
		version = "(unknown version)"
	}
	return `Observations were made by leakhunt ` + version + `, which takes part in the BitTorrent network
only as a downloader: it never uploads piece data and never announces itself as a source.
  L1 announced: a DHT node, tracker or peer (PEX) listed the address. Anyone can forge a listing,
     so L1 never names a computer in a letter.
  L2 connected: we opened a connection to the address and port, and a BitTorrent handshake for this
     torrent's infohash completed; the peer id and client name it sent are recorded.
  L3 claims: the peer's own bitfield or HAVE messages said it holds pieces that overlap the leaked
     document.
  L4 served: we downloaded pieces overlapping the document from this one peer alone and each
     matched the SHA-1/SHA-256 piece hash in the torrent, which was itself matched against the
     catalogued original before any peer was contacted.
  L5 full copy: every piece of the document came from this peer alone and matched.
Each observation records the UTC time from our clock together with that clock's measured offset
against NTP servers (or "unsynchronized" when no measurement was possible), our own address, the
software version and the SHA-256 of the raw wire transcript, which is kept.
Every observation becomes, when it is made, one leaf of an append-only Merkle tree (RFC 6962,
SHA-256). A signed checkpoint (Ed25519, golang.org/x/mod/sumdb/note format) commits to the size
and root hash of the whole tree. Changing, removing or reordering any recorded observation
changes the root hash, so it cannot be done without the signature failing.
`
}

const checkingText = `1. MANIFEST lists the SHA-256 of every file in this bundle; "sha256sum -c" style tools check it.
2. "checkpoint" is a signed note: its text gives the tree size and root hash; key.pub is the public
   key. Compare key.pub with the key the sender published independently.
3. Each record's leaf hash is SHA-256(0x00 || leaf bytes). Combining it with the proof hashes as
   in RFC 6962 section 2.1.1 must give the checkpoint's root hash for the record's index.
4. "leakhunt verify DIR" does all of this offline and names any file that fails.
`

// readme is README.txt.
func (r *run) readme() string {
	return fmt.Sprintf(`leakhunt evidence bundle
========================

Log records covered: %d (signed checkpoint: tree size %d, root hash %s)
Signer: %s
Peers named: %d at level L%d or above; letters: %d

Contents
  letters/isp-NNN.txt   one takedown letter per abuse contact
  annex/peer-NNNNN.txt  per peer: complete observation history, inclusion proofs, method
  proofs/records.jsonl  per record: peer, log index, leaf (base64, exact bytes), proof hashes
  peers.csv, evidence.json, index.html, charts/*.svg  summaries
  checkpoint, key.pub   the signed checkpoint and the public key
  MANIFEST              sha256 of every other file

Method
%s
Checking
%s`, r.cp.Size, r.cp.Size, r.rootHash(), r.keys.Verifier.Name(), len(r.peers), r.opt.MinLevel, len(r.groups),
		methodText(r.opt.Version), checkingText)
}

// quoteIf is quoteField, or "" (the line is left out) for an empty value.
func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return quoteField(s)
}
