package evidence

import (
	"bytes"
	"context"
	"crypto/sha1"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/internal/localswarm"
)

// Crafted but valid peers: each serves or claims something real, and none
// may be graded L4 for a document it did not serve.
func TestProbeCraftedPeers(t *testing.T) {
	const P = 64 << 10
	// a.bin ends 10 bytes into the document's first piece: piece 0 holds
	// 10 of its 100,000 bytes; pieces 1 and 2 hold the rest with z.bin.
	fx := newFixture(t, P, P-10, 100_000, 50_000)
	data := fx.data(t)
	last := fx.target.lastPiece()
	tests := []struct {
		name      string
		cfg       localswarm.LiarConfig
		full      bool
		wantLevel Level
		verified  []int
		docBytes  int64
		failed    bool
	}{
		{"edge piece with 10 bytes of the document", localswarm.LiarConfig{Claims: []int{0}, Serve: localswarm.ServeHonest}, false,
			L3Claims, []int{0}, 10, false},
		{"interior piece", localswarm.LiarConfig{Claims: []int{0, 1}, Serve: localswarm.ServeHonest}, false,
			L4Served, []int{1}, P, false},
		{"both edge pieces, fewer bytes than a piece", localswarm.LiarConfig{Claims: []int{0, last}, Serve: localswarm.ServeHonest}, false,
			L3Claims, []int{0, last}, 10 + (100_000 - 10 - P), false},
		{"right bytes for the wrong piece index", localswarm.LiarConfig{Serve: localswarm.ServeWrongIndex}, false,
			L3Claims, nil, 0, true},
		{"content switching between requests", localswarm.LiarConfig{Serve: localswarm.ServeSwitching}, false,
			L3Claims, nil, 0, true},
		{"honest, every piece", localswarm.LiarConfig{Serve: localswarm.ServeHonest}, true,
			L5FullCopy, []int{0, 1, 2}, 100_000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			tt.cfg.Data = data
			addr, stop, err := localswarm.StartLiar(ctx, fx.infoBytes, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			cfg := testConfig()
			cfg.FullCopy = tt.full
			res, _ := NewProber(cfg).Probe(ctx, fx.target, addr, TransportTCP)
			o := res.Observation
			if o.Level != tt.wantLevel || !equalInts(o.PiecesVerified, tt.verified) || o.DocBytesVerified != tt.docBytes ||
				(len(o.PiecesFailed) > 0) != tt.failed {
				t.Errorf("L%d verified %v (%d document bytes) failed %v (%s); want L%d verified %v (%d bytes), failed %v",
					o.Level, o.PiecesVerified, o.DocBytesVerified, o.PiecesFailed, o.Error, tt.wantLevel, tt.verified, tt.docBytes, tt.failed)
			}
			if o.Basis != fx.target.Basis || o.Basis == "" {
				t.Errorf("basis %q, want %q", o.Basis, fx.target.Basis)
			}
		})
	}
}

// TestProbeTorrentDiffersFromDocument: a torrent whose file equals the
// document in every piece the matcher could check, but whose last piece
// (shared with the next file, so never checked) holds other bytes where the
// document ends. A peer serving that piece honestly serves the torrent, not
// the document: it stays below L4.
func TestProbeTorrentDiffersFromDocument(t *testing.T) {
	const P = 16 << 10
	doc := bytes.Repeat([]byte("leaked record;"), 4000) // 56,000 bytes
	file := bytes.Clone(doc)
	copy(file[len(file)-5:], "XXXXX")
	next := bytes.Repeat([]byte{7}, 3000)
	stream := append(append([]byte(nil), file...), next...)
	var pieces []byte
	for off := 0; off < len(stream); off += P {
		h := sha1Sum(stream[off:min(off+P, len(stream))])
		pieces = append(pieces, h[:]...)
	}
	info := metainfo.Info{Name: "leak", PieceLength: P, Pieces: pieces, Files: []metainfo.FileInfo{
		{Path: []string{"doc.bin"}, Length: int64(len(file))}, {Path: []string{"z.bin"}, Length: int64(len(next))}}}
	infoBytes := bencode.MustMarshal(info)
	tg := targetOf(t, infoBytes, "doc.bin", doc)
	last := tg.lastPiece()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	addr, stop, err := localswarm.StartLiar(ctx, infoBytes, localswarm.LiarConfig{Claims: []int{last}, Serve: localswarm.ServeHonest, Data: stream})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, _ := NewProber(testConfig()).Probe(ctx, tg, addr, TransportTCP)
	o := res.Observation
	if o.Level != L3Claims || !equalInts(o.PiecesVerified, []int{last}) || o.DocBytesVerified != 0 || o.Error == "" {
		t.Errorf("L%d verified %v (%d document bytes) error %q; want L3, piece %d verified against the torrent, 0 document bytes",
			o.Level, o.PiecesVerified, o.DocBytesVerified, o.Error, last)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sha1Sum(b []byte) [20]byte { return sha1.Sum(b) }
