package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// checkObservation checks the fields every probe observation must carry.
func checkObservation(t *testing.T, o Observation, fx fixture, addr netip.AddrPort, transport string) {
	t.Helper()
	if o.Time.Location() != time.UTC || o.Time.IsZero() {
		t.Errorf("Time = %v, want a UTC time", o.Time)
	}
	if o.ClockOffset != Unsynchronized {
		t.Errorf("ClockOffset = %q, want %q (no clock configured)", o.ClockOffset, Unsynchronized)
	}
	if o.IP != addr.Addr().String() || o.Port != int(addr.Port()) || o.Transport != transport {
		t.Errorf("peer = %s:%d/%s, want %v/%s", o.IP, o.Port, o.Transport, addr, transport)
	}
	if o.InfoHash != fingerprint.InfoHash(fx.ih) || o.Document != fx.target.Document {
		t.Errorf("infohash/document = %s/%s", o.InfoHash, o.Document)
	}
	if o.Source != SourceProbe || o.Version != "test" {
		t.Errorf("source/version = %q/%q", o.Source, o.Version)
	}
}

func TestProbeHonestSeeder(t *testing.T) {
	// 16 KiB pieces; doc.bin spans pieces 1..7 and shares its first and last
	// piece with its neighbours.
	fx := newFixture(t, 16<<10, 20<<10, 100<<10, 10<<10)
	if fx.target.firstPiece() != 1 || fx.target.lastPiece() != 7 {
		t.Fatalf("document pieces %d-%d, want 1-7", fx.target.firstPiece(), fx.target.lastPiece())
	}
	cl := startSeeder(t, fx)
	for _, tc := range []struct {
		transport string
		v6        bool
		fullCopy  bool
	}{
		{TransportTCP, false, false},
		{TransportTCP, true, false},
		{TransportUTP, false, false},
		{TransportUTP, true, false},
		{TransportTCP, false, true},
	} {
		name := tc.transport
		if tc.v6 {
			name += "6"
		}
		if tc.fullCopy {
			name += "-full"
		}
		t.Run(name, func(t *testing.T) {
			addr := seederAddr(t, cl, tc.transport, tc.v6)
			cfg := testConfig()
			cfg.FullCopy = tc.fullCopy
			p := NewProber(cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			res, err := p.Probe(ctx, fx.target, addr, tc.transport)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			o := res.Observation
			checkObservation(t, o, fx, addr, tc.transport)
			want := L4Served
			if tc.fullCopy {
				want = L5FullCopy
			}
			if o.Level != want {
				t.Fatalf("Level = %d, want %d (%+v)", o.Level, want, o)
			}
			if o.Error != "" || len(o.PiecesFailed) != 0 {
				t.Errorf("Error=%q PiecesFailed=%v", o.Error, o.PiecesFailed)
			}
			if tc.fullCopy {
				if len(o.PiecesVerified) != 7 || o.PiecesVerified[0] != 1 || o.PiecesVerified[6] != 7 {
					t.Errorf("PiecesVerified = %v, want 1..7", o.PiecesVerified)
				}
			} else if len(o.PiecesVerified) != 1 || o.PiecesVerified[0] <= 1 || o.PiecesVerified[0] >= 7 {
				t.Errorf("PiecesVerified = %v, want one interior piece of 1..7", o.PiecesVerified)
			}
			if o.ClaimedCount != 7 || len(o.PiecesClaimed) != 7 {
				t.Errorf("claimed %v (count %d), want 1..7", o.PiecesClaimed, o.ClaimedCount)
			}
			if !strings.HasPrefix(o.PeerID, hex.EncodeToString([]byte("-GT0003-"))) {
				t.Errorf("PeerID = %s", o.PeerID)
			}
			if o.Client != "seeder-test/1.0" {
				t.Errorf("Client = %q, want the extended handshake v", o.Client)
			}
			if _, err := netip.ParseAddrPort(o.ListenAddr); err != nil {
				t.Errorf("ListenAddr = %q: %v", o.ListenAddr, err)
			}
			if got := transcriptHash(res.Transcript); got != o.TranscriptSHA256 {
				t.Errorf("transcript hash %s, recorded %s", got, o.TranscriptSHA256)
			}
			checkRedacted(t, res.Transcript, fx, o.PiecesVerified)
		})
	}
}

func TestProbeClosedPortStaysL1(t *testing.T) {
	fx := newFixture(t, 16<<10, 0, 40<<10, 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	cfg := testConfig()
	cfg.DialTimeout = time.Second // uTP gets no ICMP: the dial times out
	p := NewProber(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, transport := range []string{TransportTCP, TransportUTP} {
		res, err := p.Probe(ctx, fx.target, addr, transport)
		if err == nil {
			t.Fatalf("%s: Probe of a closed port succeeded", transport)
		}
		o := res.Observation
		if o.Level != L1Announced || o.PeerID != "" || o.Error == "" {
			t.Errorf("%s: Level=%d PeerID=%q Error=%q, want L1 with an error", transport, o.Level, o.PeerID, o.Error)
		}
	}
}

func TestProbeBadTarget(t *testing.T) {
	fx := newFixture(t, 16<<10, 0, 40<<10, 0)
	p := NewProber(testConfig())
	addr := netip.MustParseAddrPort("127.0.0.1:1")
	for name, mutate := range map[string]func(*Target){
		"zero piece length": func(t *Target) { t.PieceLength = 0 },
		"hash count":        func(t *Target) { t.PieceHashes = t.PieceHashes[1:] },
		"range":             func(t *Target) { t.DocLength = t.TotalLength - t.DocOffset + 1 },
		"negative offset":   func(t *Target) { t.DocOffset = -1 },
		"no document copy":  func(t *Target) { t.Doc = nil },
		"num pieces":        func(t *Target) { t.NumPieces++ },
	} {
		tg := fx.target
		tg.PieceHashes = append([][20]byte(nil), tg.PieceHashes...)
		mutate(&tg)
		if _, err := p.Probe(context.Background(), tg, addr, TransportTCP); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := p.Probe(context.Background(), fx.target, addr, "udp"); err == nil {
		t.Error("unknown transport accepted")
	}
}

// TestProbeMaxLevel stops at the level asked for: L2 after the handshake,
// L3 on the claim, and in neither case is a piece requested.
func TestProbeMaxLevel(t *testing.T) {
	fx := newFixture(t, 16<<10, 20<<10, 100<<10, 10<<10)
	cl := startSeeder(t, fx)
	addr := seederAddr(t, cl, TransportTCP, false)
	for _, max := range []Level{0, L2Connected, L3Claims} {
		cfg := testConfig()
		cfg.MaxLevel = max
		probe := func() (ProbeResult, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			return NewProber(cfg).Probe(ctx, fx.target, addr, TransportTCP)
		}
		res, err := probe()
		if err != nil && errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "downloading piece") {
			// Seen twice in about fifteen full CI runs: the in-process
			// seeder never answered a block request it had claimed, cause
			// not found. A hunt probes such a peer again next round; so
			// does the test, once, saying so.
			t.Logf("MaxLevel %d: %v; probing once more", max, err)
			res, err = probe()
		}
		if err != nil {
			t.Fatalf("MaxLevel %d: %v", max, err)
		}
		o := res.Observation
		want := max
		if max == 0 {
			want = L4Served // no limit: the default probe, for contrast
		}
		if o.Level != want || (max != 0 && len(o.PiecesVerified) != 0) {
			t.Fatalf("MaxLevel %d: observation %+v", max, o)
		}
		// Scan our side of the transcript (records: direction, 4-byte
		// length, bytes) for a Request (message id 6).
		requested := false
		for b := res.Transcript; len(b) >= 5; {
			n := int(binary.BigEndian.Uint32(b[1:5]))
			rec := b[5 : 5+n]
			if b[0] == TranscriptWrite && len(rec) >= 5 && rec[4] == 6 {
				requested = true
			}
			b = b[5+n:]
		}
		if requested != (max == 0) {
			t.Fatalf("MaxLevel %d: piece requested = %v", max, requested)
		}
	}
}

// checkRedacted checks that a transcript holds no downloaded content: the
// verified pieces' blocks appear only as 'P' records carrying their
// SHA-256, and no block of the document appears anywhere in it.
func checkRedacted(t *testing.T, tr []byte, fx fixture, verified []int) {
	t.Helper()
	data := fx.data(t)
	blocks := map[[32]byte]bool{}
	for _, i := range verified {
		for b := int64(0); b < fx.target.pieceLen(i); b += BlockSize {
			off := int64(i)*fx.target.PieceLength + b
			blk := data[off:min(off+BlockSize, off+fx.target.pieceLen(i)-b)]
			blocks[sha256.Sum256(blk)] = true
			if bytes.Contains(tr, blk[:min(len(blk), 64)]) {
				t.Errorf("transcript holds bytes of piece %d", i)
			}
		}
	}
	seen := 0
	for b := tr; len(b) >= 5; {
		n := int(binary.BigEndian.Uint32(b[1:5]))
		rec := b[5 : 5+n]
		if b[0] == TranscriptPiece {
			if len(rec) != 13+32 || !blocks[[32]byte(rec[13:])] {
				t.Errorf("piece record %x does not carry the hash of a served block", rec)
			}
			seen++
		}
		b = b[5+n:]
	}
	if seen == 0 && len(verified) > 0 {
		t.Error("no redacted piece records")
	}
}
