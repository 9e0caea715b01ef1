package fingerprint

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/internal/interop"
)

func predictFixture(t *testing.T, size int) (doc []byte, fp Fingerprint) {
	t.Helper()
	doc = make([]byte, size)
	rng := mrand.New(mrand.NewPCG(42, uint64(size)))
	for i := range doc {
		doc[i] = byte(rng.Uint32())
	}
	fp, err := Reader(bytes.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	return doc, fp
}

func TestPredictTorrents(t *testing.T) {
	doc, fp := predictFixture(t, 300_000)
	ps, err := PredictTorrents(bytes.NewReader(doc), "給与一覧.csv", fp.Size, fp.BTv2Root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4*11 {
		t.Fatalf("%d predictions, want 4 creators × 11 piece lengths", len(ps))
	}
	seen := map[InfoHash]bool{}
	for _, p := range ps {
		if seen[p.InfoHash] || p.InfoHash.IsZero() {
			t.Errorf("%s %d: infohash %q repeated or malformed", p.Creator, p.PieceLength, p.InfoHash)
		}
		seen[p.InfoHash] = true
		// Each is a torrent we parse, prove against the document and
		// would probe (v2 only by its root).
		tor, err := ParseInfo(p.InfoBytes)
		if err != nil {
			t.Fatalf("%s %d: %v", p.Creator, p.PieceLength, err)
		}
		if tor.Name != "給与一覧.csv" || tor.TotalLength != fp.Size || tor.PieceLength != p.PieceLength {
			t.Errorf("%s %d: parsed %+v", p.Creator, p.PieceLength, tor)
		}
		ix := NewIndex([]Entry{{Name: "給与一覧.csv", Fingerprint: fp}}, func(string) (ReadAtCloser, error) {
			return nopCloser{bytes.NewReader(doc)}, nil
		})
		ms, err := ix.MatchTorrent(tor)
		if err != nil || len(ms) != 1 || ms[0].Verdict != VerdictProven {
			t.Errorf("%s %d: matches %+v %v", p.Creator, p.PieceLength, ms, err)
		}
		one, err := PredictTorrent(bytes.NewReader(doc), "給与一覧.csv", fp.Size, fp.BTv2Root, p.Creator, p.PieceLength)
		if err != nil || one.InfoHash != p.InfoHash || !bytes.Equal(one.InfoBytes, p.InfoBytes) {
			t.Errorf("%s %d: PredictTorrent differs (%v)", p.Creator, p.PieceLength, err)
		}
	}
	hashes, err := PredictInfoHashes(bytes.NewReader(doc), "給与一覧.csv", fp.Size, fp.BTv2Root)
	if err != nil || len(hashes) != len(ps) || hashes[5].InfoHash != ps[5].InfoHash || hashes[5].InfoBytes != nil {
		t.Errorf("PredictInfoHashes: %d, %v", len(hashes), err)
	}
	if _, err := PredictTorrents(bytes.NewReader(doc[:1000]), "x", fp.Size, fp.BTv2Root); err == nil {
		t.Error("a short read was not reported")
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// TestPredictionsMatchClients creates torrents of a file with the clients
// themselves and checks the predicted infohashes: libtorrent v1, v2 and
// hybrid (what qBittorrent creates with each format), Transmission's
// transmission-create and mktorrent.
func TestPredictionsMatchClients(t *testing.T) {
	doc, fp := predictFixture(t, 200_000)
	dir := t.TempDir()
	path := filepath.Join(dir, "leak file.bin")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := PredictTorrents(bytes.NewReader(doc), "leak file.bin", fp.Size, fp.BTv2Root)
	if err != nil {
		t.Fatal(err)
	}
	predicted := map[string]InfoHash{}
	for _, p := range ps {
		predicted[fmt.Sprintf("%s/%d", p.Creator, p.PieceLength)] = p.InfoHash
	}
	check := func(tool, creator string, pl int64, got InfoHash) {
		t.Helper()
		if want := predicted[fmt.Sprintf("%s/%d", creator, pl)]; got != want {
			t.Errorf("%s at %d: infohash %s, predicted %s (%s)", tool, pl, got, want, creator)
		}
	}
	infohashOf := func(t *testing.T, torrent string) InfoHash {
		b, err := os.ReadFile(torrent)
		if err != nil {
			t.Fatal(err)
		}
		tor, err := ParseTorrentFile(b)
		if err != nil {
			t.Fatal(err)
		}
		return tor.InfoHash
	}
	t.Run("libtorrent", func(t *testing.T) {
		var jobs []interop.CreateJob
		for _, mode := range []string{"v1", "v2", "hybrid"} {
			for _, pl := range []int{16384, 65536, 1048576} {
				jobs = append(jobs, interop.CreateJob{Path: path, Out: filepath.Join(t.TempDir(), "lt.torrent"), PieceSize: pl, Mode: mode})
			}
		}
		for i, c := range interop.CreateTorrents(t, jobs) {
			h := c.V1
			if jobs[i].Mode == "v2" {
				h = c.V2[:min(len(c.V2), 40)] // a v2 infohash truncated, as BEP 52 tells v1 clients
			}
			check("libtorrent "+jobs[i].Mode, jobs[i].Mode, int64(jobs[i].PieceSize), mustIH(h))
		}
	})
	t.Run("transmission-create", func(t *testing.T) {
		interop.Need(t, "transmission-create")
		out := filepath.Join(dir, "tr.torrent")
		if b, err := exec.Command("transmission-create", "-o", out, "-s", "64", path).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		b, _ := exec.Command("transmission-create", "--version").CombinedOutput()
		creator := CreatorV1
		if bytes.Contains(b, []byte(" 3.")) || bytes.Contains(b, []byte(" 2.")) {
			creator = CreatorV1Private0 // Transmission before 4 writes private=0
		}
		check("transmission-create "+strings.TrimSpace(string(b)), creator, 64<<10, infohashOf(t, out))
	})
	t.Run("mktorrent", func(t *testing.T) {
		interop.Need(t, "mktorrent")
		out := filepath.Join(dir, "mk.torrent")
		if b, err := exec.Command("mktorrent", "-l", "15", "-o", out, path).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		check("mktorrent", CreatorV1, 32<<10, infohashOf(t, out))
	})
}
