package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
)

// pieceTranscript is a redacted transcript holding one received piece
// message: index, begin and the SHA-256 of data (as the prober keeps it).
func pieceTranscript(index, begin uint32, data []byte) []byte {
	hdr := binary.BigEndian.AppendUint32(nil, uint32(9+len(data)))
	hdr = append(hdr, 7)
	hdr = binary.BigEndian.AppendUint32(hdr, index)
	hdr = binary.BigEndian.AppendUint32(hdr, begin)
	sum := sha256.Sum256(data)
	rec := append(hdr, sum[:]...)
	out := append([]byte{evidence.TranscriptPiece}, binary.BigEndian.AppendUint32(nil, uint32(len(rec)))...)
	return append(out, rec...)
}

// TestVerifyDocuments: with copies of the documents, verify computes the
// torrent's pieces again and compares every received block of a verified
// piece that lies inside the document; a record whose verified block was
// other bytes fails, a block partly outside the document is counted but
// not compared, and a document without a copy is named.
func TestVerifyDocuments(t *testing.T) {
	const P = basisPiece
	bc := newBasisCase(t)
	s, tor, tg, docSHA, dir, docData := bc.s, bc.tor, bc.tg, bc.docSHA, bc.dir, bc.docData
	piece1 := docData[P-5000 : 2*P-5000]
	other := bytes.Repeat([]byte{9}, P)
	transcripts := [][]byte{
		pieceTranscript(1, 0, piece1),                                          // honest
		append(pieceTranscript(1, 0, other), pieceTranscript(1, 0, piece1)...), // a block of other bytes
		pieceTranscript(0, 0, make([]byte, P)),                                 // piece 0 is partly another file
	}
	blobs := [][]byte{bc.basisBytes}
	var obs []evidence.Observation
	for i, tr := range transcripts {
		ts := sha256.Sum256(tr)
		blobs = append(blobs, tr)
		verified := []int{1}
		if i == 2 {
			verified = []int{0, 1}
		}
		obs = append(obs, evidence.Observation{Time: time.Date(2026, 5, 1, 1, 2, 3, 0, time.UTC), ClockOffset: "unsynchronized",
			Level: evidence.L4Served, Source: "probe", IP: "85.10.1." + string(rune('5'+i)), Port: 6881,
			InfoHash: tor.InfoHash, Document: docSHA, PiecesVerified: verified, DocBytesVerified: P, Basis: tg.Basis,
			TranscriptSHA256: hex.EncodeToString(ts[:]), Version: "test", Transport: "tcp", PeerID: strings.Repeat("00", 20)})
	}
	if _, err := s.AppendEvidence(obs, blobs); err != nil {
		t.Fatal(err)
	}
	keys, err := evidence.OpenKeys(s, evidence.KeyOptions{Name: "leakhunt-test"})
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultOptions()
	opt.OutDir, opt.Version, opt.Contacts = filepath.Join(dir, "report"), "test", &ContactResolver{}
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	if probs, err := VerifyBundle(opt.OutDir, VerifyOptions{}); err != nil || len(probs) > 0 {
		t.Fatalf("VerifyBundle: %v %v", probs, err)
	}
	docs := t.TempDir()
	// A file of the document's size with other bytes is not the document.
	if err := os.WriteFile(filepath.Join(docs, "decoy.csv"), bytes.Repeat([]byte{'x'}, len(docData)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("no copy", func(t *testing.T) {
		c, probs, err := VerifyDocuments(opt.OutDir, docs)
		if err != nil || c.Given != 0 || c.Documents != 1 || len(probs) != 1 || !strings.Contains(probs[0].What, "is not among the copies") {
			t.Fatalf("%+v %v %v", c, probs, err)
		}
	})
	if err := os.MkdirAll(filepath.Join(docs, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(docs, "sub", "renamed.csv"), docData, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("copies", func(t *testing.T) {
		c, probs, err := VerifyDocuments(opt.OutDir, docs)
		if err != nil {
			t.Fatal(err)
		}
		want := DocumentCheck{Documents: 1, Given: 1, Pieces: 2, Blocks: 2, BlockBytes: 2 * P, Outside: 1}
		if c != want {
			t.Errorf("got %+v, want %+v", c, want)
		}
		if len(probs) != 1 || !strings.Contains(probs[0].String(), "block of verified piece 1 at byte 11384 (16384 bytes) was not the document's bytes") {
			t.Errorf("problems %v, want the block of other bytes only", probs)
		}
	})
}

// FuzzTranscriptBlocks: any transcript, however its piece headers lie
// (huge lengths, indexes and offsets), is compared or skipped without a
// panic or an allocation beyond a piece.
func FuzzTranscriptBlocks(f *testing.F) {
	doc := bytes.Repeat([]byte("leak;"), 2000)
	path := filepath.Join(f.TempDir(), "doc")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		f.Fatal(err)
	}
	b := evidence.MatchBasis{FileOffset: 100, FileLength: int64(len(doc)), DocumentSize: int64(len(doc)), PieceLength: 4096, NumPieces: 3}
	f.Add(pieceTranscript(1, 0, doc[4096-100:8192-100]))
	f.Add(pieceTranscript(0xFFFFFFFF, 0xFFFFFFF0, nil))
	f.Add(append(pieceTranscript(2, 4000, doc[:96]), 'O', 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1))
	f.Fuzz(func(t *testing.T, tr []byte) {
		var c DocumentCheck
		fails := 0
		err := checkTranscriptBlocks(tr, b, []int{0, 1, 2, 0x7FFFFFFF}, path, &c, func(string, ...any) { fails++ })
		if err == nil && (c.Blocks < 0 || c.BlockBytes > int64(c.Blocks)*b.PieceLength) {
			t.Errorf("counted %+v", c)
		}
	})
}
