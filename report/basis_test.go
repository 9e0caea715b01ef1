package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/store"
)

// basisCase is a matched torrent of three files, the document second
// (48,000 bytes at offset 5,000 of 56,000, pieces of 16 KiB), recorded in
// a new store with its match basis.
type basisCase struct {
	docData    []byte
	docSHA     string
	tor        *fingerprint.Torrent
	tg         evidence.Target
	basisBytes []byte
	s          *store.Store
	dir        string
}

const basisPiece = 16 << 10

func newBasisCase(t *testing.T) *basisCase {
	t.Helper()
	const P = basisPiece
	docData := bytes.Repeat([]byte("synthetic leaked record;"), 2000) // 48,000 bytes at offset 5,000
	info, _, err := localswarm.BuildV1("leak", P, [][]string{{"a.bin"}, {"doc.csv"}, {"z.bin"}},
		[][]byte{bytes.Repeat([]byte{1}, 5000), docData, bytes.Repeat([]byte{2}, 3000)})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := fingerprint.ParseInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(docData)
	docSHA := hex.EncodeToString(sum[:])
	m := fingerprint.Match{InfoHash: tor.InfoHash, File: "doc.csv", FileIndex: 1, FileOffset: 5000, FileLength: int64(len(docData)),
		Document: docSHA, Method: fingerprint.MethodV1Pieces, Verdict: fingerprint.VerdictProven, PiecesChecked: 2, PiecesMatched: 2}
	tg, basis, err := evidence.NewTarget(tor, m, bytes.NewReader(docData))
	if err != nil {
		t.Fatal(err)
	}
	basisBytes, _ := basis.Encode()
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "b.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.PutTorrent(store.Torrent{InfoHash: tor.InfoHash, Name: tor.Name, InfoBytes: info}); err != nil {
		t.Fatal(err)
	}
	return &basisCase{docData, docSHA, tor, tg, basisBytes, s, dir}
}

// TestBundleMatchBasis: a bundle carries the match basis, the info
// dictionary and the redacted transcripts its records name; verify checks
// that verified pieces lie in the document's byte range and hold the
// document bytes a record counts, whoever signed it.
func TestBundleMatchBasis(t *testing.T) {
	const P = basisPiece
	bc := newBasisCase(t)
	s, tor, tg, docSHA, dir, basisBytes := bc.s, bc.tor, bc.tg, bc.docSHA, bc.dir, bc.basisBytes
	transcript := []byte("W\x00\x00\x00\x04\x00\x00\x00\x00R\x00\x00\x00\x05\x00\x00\x00\x01\x01")
	ts := sha256.Sum256(transcript)
	t0 := time.Date(2026, 5, 1, 1, 2, 3, 0, time.UTC)
	probe := func(ip string, verified []int, docBytes int64) evidence.Observation {
		return evidence.Observation{Time: t0, ClockOffset: "unsynchronized", Level: evidence.L4Served, Source: "probe", IP: ip, Port: 6881,
			InfoHash: tor.InfoHash, Document: docSHA, PiecesVerified: verified, DocBytesVerified: docBytes, Basis: tg.Basis,
			TranscriptSHA256: hex.EncodeToString(ts[:]), Version: "test", Transport: "tcp", PeerID: strings.Repeat("00", 20)}
	}
	obs := []evidence.Observation{
		probe("85.10.1.5", []int{1}, P),     // an interior piece: 16,384 document bytes
		probe("85.10.1.6", []int{0}, P),     // piece 0 holds 11,384 document bytes: overclaimed
		probe("85.10.1.7", []int{0}, 11384), // the edge piece alone: too few for L4
	}
	if _, err := s.AppendEvidence(obs, [][]byte{basisBytes, transcript}); err != nil {
		t.Fatal(err)
	}
	keys, err := evidence.OpenKeys(s, evidence.KeyOptions{Name: "leakhunt-test"})
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultOptions()
	opt.OutDir = filepath.Join(dir, "report")
	opt.Version = "test"
	opt.Contacts = &ContactResolver{}
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{basisDir + tg.Basis + ".json", infoDir + tor.InfoHash.String() + ".bencode", transcriptsDir + "peer-00001.jsonl"} {
		if _, err := os.Stat(filepath.Join(opt.OutDir, rel)); err != nil {
			t.Errorf("bundle lacks %s: %v", rel, err)
		}
	}
	annex, err := os.ReadFile(filepath.Join(opt.OutDir, "annex", "peer-00001.txt"))
	if err != nil || !strings.Contains(string(annex), "-> keep-alive") {
		t.Errorf("annex lacks the rendered transcript (%v)", err)
	}
	probs, err := VerifyBundle(opt.OutDir, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	text := strings.Join(got, "\n")
	if len(probs) != 2 || !strings.Contains(text, "record 1: 16384 document bytes counted in verified pieces that hold 11384") ||
		!strings.Contains(text, "record 2: L4 with 11384 document bytes verified, fewer than") {
		t.Errorf("verify found:\n%s\nwant the overclaimed record and the edge-piece L4, and nothing else", text)
	}
}
