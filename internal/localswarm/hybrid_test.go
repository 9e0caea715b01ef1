package localswarm

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/interop"
)

func randData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var hybridCases = []struct {
	name        string
	pieceLength int64
	files       []File
}{
	{"single-small", 16 << 10, []File{{Data: []byte("hello, hybrid world\n")}}},
	{"single-multi-piece", 16 << 10, []File{{Data: randData(1, 100_000)}}},
	{"single-exact-pieces", 32 << 10, []File{{Data: randData(2, 64<<10)}}},
	{"multi-unaligned", 32 << 10, []File{
		{Path: "z_last.bin", Data: randData(3, 70_001)},
		{Path: "notes.txt", Data: []byte(strings.Repeat("synthetic notes\n", 30))},
		{Path: "dir/sub/a.bin", Data: randData(4, 32<<10)},
		{Path: "dir/b.bin", Data: randData(5, 50_000)},
		{Path: "empty.txt", Data: nil},
		{Path: "dir.txt", Data: []byte("sorted after the directory dir")},
	}},
	{"multi-big-pieces", 64 << 10, []File{
		{Path: "a", Data: randData(6, 200_000)},
		{Path: "b", Data: randData(7, 1)},
	}},
}

// TestBuildHybrid cross-checks the built torrents with our own parser and
// fingerprinter: version, v1 layout with pad files, pieces roots and piece
// layers (ParseTorrentFile checks those against the roots).
func TestBuildHybrid(t *testing.T) {
	for _, tc := range hybridCases {
		t.Run(tc.name, func(t *testing.T) {
			ht, err := BuildHybrid("tor", tc.files, tc.pieceLength)
			if err != nil {
				t.Fatal(err)
			}
			if ht.InfoHash != sha1.Sum(ht.InfoBytes) || ht.InfoHashV2 != sha256.Sum256(ht.InfoBytes) {
				t.Error("infohashes are not the hashes of InfoBytes")
			}
			if ht.MetaInfo.HashInfoBytes() != ht.InfoHash {
				t.Error("MetaInfo infohash differs")
			}
			raw, err := bencode.Marshal(ht.MetaInfo)
			if err != nil {
				t.Fatal(err)
			}
			tor, err := fingerprint.ParseTorrentFile(raw)
			if err != nil {
				t.Fatalf("ParseTorrentFile: %v", err)
			}
			if tor.Version != fingerprint.Hybrid {
				t.Fatalf("Version = %v, want hybrid", tor.Version)
			}
			if tor.InfoHash.String() != hex.EncodeToString(ht.InfoHash[:]) || tor.InfoHashV2 != fingerprint.InfoHashV2(ht.InfoHashV2) {
				t.Errorf("parsed infohashes %s/%s differ", tor.InfoHash, tor.InfoHashV2)
			}
			wantLayers := 0
			for _, f := range tc.files {
				if int64(len(f.Data)) > tc.pieceLength {
					wantLayers++
				}
			}
			if len(ht.MetaInfo.PieceLayers) != wantLayers {
				t.Errorf("%d piece layers, want %d", len(ht.MetaInfo.PieceLayers), wantLayers)
			}
			dir := t.TempDir()
			var got []File
			for i, f := range tor.Files {
				if f.Pad {
					if i == len(tor.Files)-1 || tor.Files[i+1].Offset%tc.pieceLength != 0 {
						t.Errorf("pad file %d does not align the next file", i)
					}
					continue
				}
				if f.Offset%tc.pieceLength != 0 {
					t.Errorf("file %s at unaligned offset %d", f.Path, f.Offset)
				}
				want := ht.Files[len(got)]
				if len(tc.files) > 1 && f.Path != want.Path {
					t.Errorf("file %d is %s, want %s", len(got), f.Path, want.Path)
				}
				got = append(got, want)
				if f.Length == 0 {
					if f.PiecesRoot != nil {
						t.Errorf("empty file %s has a pieces root", f.Path)
					}
					continue
				}
				p := filepath.Join(dir, "f")
				if err := os.WriteFile(p, want.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				fp, err := fingerprint.File(p, nil)
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(f.PiecesRoot) != fp.BTv2Root {
					t.Errorf("file %s: pieces root %x, fingerprint %s", f.Path, f.PiecesRoot, fp.BTv2Root)
				}
			}
			if len(got) != len(tc.files) {
				t.Errorf("%d files parsed, want %d", len(got), len(tc.files))
			}
			// The v1 pieces hash the padded stream.
			var stream []byte
			for _, f := range tor.Files {
				if f.Pad {
					stream = append(stream, make([]byte, f.Length)...)
					continue
				}
				for _, hf := range ht.Files {
					if len(tc.files) == 1 || hf.Path == f.Path {
						stream = append(stream, hf.Data...)
					}
				}
			}
			if int64(len(stream)) != tor.TotalLength {
				t.Fatalf("stream %d bytes, TotalLength %d", len(stream), tor.TotalLength)
			}
			for i, h := range tor.Pieces {
				end := min(int64(i+1)*tc.pieceLength, int64(len(stream)))
				if sha1.Sum(stream[int64(i)*tc.pieceLength:end]) != h {
					t.Errorf("piece %d hash differs", i)
				}
			}
		})
	}
}

func TestBuildHybridRejects(t *testing.T) {
	ok := []File{{Path: "a", Data: []byte("x")}, {Path: "b", Data: []byte("y")}}
	tests := []struct {
		name        string
		tname       string
		pieceLength int64
		files       []File
		want        string
	}{
		{"small pieces", "t", 8 << 10, ok, "piece length"},
		{"odd pieces", "t", 48 << 10, ok, "piece length"},
		{"no files", "t", 16 << 10, nil, "no files"},
		{"bad name", "a/b", 16 << 10, ok, "invalid name"},
		{"dot name", "..", 16 << 10, ok, "invalid name"},
		{"all empty", "t", 16 << 10, []File{{Path: "a"}, {Path: "b"}}, "empty"},
		{"dotdot path", "t", 16 << 10, []File{{Path: "../a"}, {Path: "b"}}, "invalid file path"},
		{"empty component", "t", 16 << 10, []File{{Path: "a//b"}, {Path: "b"}}, "invalid file path"},
		{"duplicate", "t", 16 << 10, []File{{Path: "a"}, {Path: "a"}}, "duplicate"},
		{"file and dir", "t", 16 << 10, []File{{Path: "a"}, {Path: "a/b"}}, "both a file and a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildHybrid(tt.tname, tt.files, tt.pieceLength)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestHybridLibtorrent has libtorrent load every built torrent and agree on
// both infohashes and the file layout.
func TestHybridLibtorrent(t *testing.T) {
	interop.NeedLibtorrent(t)
	for _, tc := range hybridCases {
		t.Run(tc.name, func(t *testing.T) {
			ht, err := BuildHybrid("tor", tc.files, tc.pieceLength)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := bencode.Marshal(ht.MetaInfo)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "t.torrent")
			if err := os.WriteFile(p, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			lt := interop.ReadTorrent(t, p)
			if lt.V1 != hex.EncodeToString(ht.InfoHash[:]) || lt.V2 != hex.EncodeToString(ht.InfoHashV2[:]) {
				t.Errorf("libtorrent infohashes %s %s, want %x %x", lt.V1, lt.V2, ht.InfoHash, ht.InfoHashV2)
			}
			tor, err := fingerprint.ParseTorrentFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(lt.Files) != len(tor.Files) {
				t.Fatalf("libtorrent lists %d files, we %d: %+v", len(lt.Files), len(tor.Files), lt.Files)
			}
			for i, f := range tor.Files {
				if l := lt.Files[i]; l.Offset != f.Offset || l.Size != f.Length || l.Pad != f.Pad {
					t.Errorf("file %d (%s): libtorrent says offset/size/pad %d/%d/%v, we %d/%d/%v", i, l.Path, l.Offset, l.Size, l.Pad, f.Offset, f.Length, f.Pad)
				}
			}
		})
	}
}

// TestHybridSeederProbe seeds a hybrid torrent and probes it the way the
// hunt does, with a target built from our parse of its metadata: the
// seeder must serve a verified piece (L4).
func TestHybridSeederProbe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sw, err := Start(ctx, Config{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	// a/doc.bin spans pieces 0-2 (the probe takes interior piece 1);
	// z_last.bin is the torrent's short last piece. notes.txt is padded: its
	// piece cannot be served to v1 peers (see SeederConfig.Hybrid).
	files := []File{
		{Path: "notes.txt", Data: []byte(strings.Repeat("synthetic notes\n", 20))},
		{Path: "a/doc.bin", Data: randData(8, 90_000)},
		{Path: "z_last.bin", Data: randData(9, 10_000)},
	}
	s, err := sw.AddSeeder(ctx, SeederConfig{Name: "hybrid_share", Files: files, PieceLength: 32 << 10, Hybrid: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.InfoHash != sha1.Sum(s.InfoBytes) || !bytes.Equal(s.MetaInfo.InfoBytes, s.InfoBytes) {
		t.Error("seeder infohash/info bytes/metainfo disagree")
	}
	tt, ok := s.client.Torrent(s.InfoHash)
	if !ok {
		t.Fatal("seeder does not hold its torrent")
	}
	if !tt.Complete().Bool() || tt.BytesMissing() != 0 {
		t.Fatalf("seeder incomplete: %d bytes missing", tt.BytesMissing())
	}
	for i := range tt.NumPieces() {
		if !tt.PieceState(i).Complete {
			t.Errorf("piece %d not complete", i)
		}
	}
	single, err := sw.AddSeeder(ctx, SeederConfig{Name: "single.bin", Files: []File{{Data: randData(10, 70_000)}},
		PieceLength: 16 << 10, Hybrid: true})
	if err != nil {
		t.Fatalf("single-file hybrid seeder: %v", err)
	}
	tests := []struct {
		s    *Seeder
		file string
		data []byte
	}{{s, "a/doc.bin", files[1].Data}, {s, "z_last.bin", files[2].Data}, {single, "single.bin", randData(10, 70_000)}}
	for _, tc := range tests {
		name := tc.file
		t.Run(name, func(t *testing.T) {
			s := tc.s
			tor, err := fingerprint.ParseInfo(s.InfoBytes)
			if err != nil {
				t.Fatal(err)
			}
			ih := s.InfoHash
			if tor.Version != fingerprint.Hybrid {
				t.Fatalf("Version = %v", tor.Version)
			}
			// The hunt's way: the catalogue matched against the parsed
			// metadata, and the target built from the proven match.
			fp, err := fingerprint.Reader(bytes.NewReader(tc.data), nil)
			if err != nil {
				t.Fatal(err)
			}
			ix := fingerprint.NewIndex([]fingerprint.Entry{{Fingerprint: fp, Name: name}},
				func(string) (fingerprint.ReadAtCloser, error) { return nopReadCloser{bytes.NewReader(tc.data)}, nil })
			ms, err := ix.MatchTorrent(tor)
			if err != nil || len(ms) != 1 || ms[0].Method != fingerprint.MethodHybrid || tor.Files[ms[0].FileIndex].Path != name {
				t.Fatalf("matches %+v, %v", ms, err)
			}
			target, _, err := evidence.NewTarget(tor, ms[0], bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if target.InfoHash != ih {
				t.Fatalf("target infohash %x, seeder %x", target.InfoHash, ih)
			}
			cfg := evidence.DefaultConfig()
			cfg.Timeout, cfg.DialTimeout, cfg.ClaimWait = 20*time.Second, 5*time.Second, 5*time.Second
			cfg.Version = "test"
			cfg.AllowLoopback = true
			res, err := evidence.NewProber(cfg).Probe(ctx, target, s.Addr, evidence.TransportTCP)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if res.Observation.Level != evidence.L4Served {
				t.Errorf("level %s, want L4 (%s)", res.Observation.Level, res.Observation.Error)
			}
		})
	}
}

type nopReadCloser struct{ *bytes.Reader }

func (nopReadCloser) Close() error { return nil }
