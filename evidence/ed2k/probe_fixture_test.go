package ed2k_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/ed2kwire"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// userHash is the one user hash of this test binary, as a real deployment
// keeps one per store.
var userHash = ed2k.NewUserHash()

// doc is a catalogued document held in memory.
type doc struct {
	name string
	data []byte
	hash [16]byte
}

func (d doc) target() ed2k.Target {
	return ed2k.Target{Hash: d.hash, Size: int64(len(d.data)), Doc: bytes.NewReader(d.data)}
}

func loadDoc(t testing.TB, name string, data []byte) doc {
	t.Helper()
	fp, err := fingerprint.Reader(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hex.DecodeString(fp.ED2K)
	if err != nil {
		t.Fatal(err)
	}
	return doc{name: name, data: data, hash: [16]byte(h)}
}

func leak(t testing.TB, name string) doc {
	t.Helper()
	b, err := os.ReadFile("../../testdata/leaks/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return loadDoc(t, name, b)
}

// synthetic returns a pseudo-random document of n bytes.
func synthetic(t testing.TB, n int) doc {
	b := make([]byte, n+8)
	r := rand.New(rand.NewPCG(uint64(n), 1))
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return loadDoc(t, "synthetic.bin", b[:n])
}

// pattern is a document too large to hold: byte i is a function of i.
type pattern struct{ size int64 }

func (p pattern) ReadAt(b []byte, off int64) (int, error) {
	if off >= p.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.size-off))
	for i := range n {
		x := uint64(off + int64(i))
		b[i] = byte(x*2654435761>>13) ^ byte(x>>17)
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func fastConfig() ed2k.Config {
	cfg := ed2k.DefaultConfig()
	cfg.UserHash = userHash
	cfg.Timeout = 15 * time.Second
	cfg.HelloTimeout = 2 * time.Second
	cfg.FileTimeout = 2 * time.Second
	cfg.UploadTimeout = 2 * time.Second
	// Long enough for a block inflated under -race on a loaded machine;
	// no hostile peer of these tests is expected to stall in this phase.
	cfg.BlockTimeout = 8 * time.Second
	return cfg
}

func startPeer(t *testing.T, o emulefixture.PeerOptions) *emulefixture.Peer {
	t.Helper()
	p, err := emulefixture.StartPeer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// checkTranscript recomputes the transcript hash and checks every hashed
// payload of a plain data packet against the document.
func checkTranscript(t *testing.T, res ed2k.Result, d io.ReaderAt) {
	t.Helper()
	if got := ed2k.TranscriptSHA256(res.Transcript); got != res.TranscriptSHA256 || len(got) != 64 {
		t.Errorf("transcript hash %s, recorded %s", got, res.TranscriptSHA256)
	}
	for _, r := range res.Transcript {
		b := r.Bytes
		if r.Kind != ed2k.KindHashed || b[0] != ed2kwire.ProtoED2K || b[5] != ed2kwire.OpSendingPart {
			continue
		}
		start, end := binary.LittleEndian.Uint32(b[22:26]), binary.LittleEndian.Uint32(b[26:30])
		want := make([]byte, end-start)
		d.ReadAt(want, int64(start))
		if sum := sha256.Sum256(want); !bytes.Equal(b[30:], sum[:]) {
			t.Errorf("hashed payload %d-%d does not match the document", start, end)
		}
	}
}

func TestProbeHonestFixture(t *testing.T) {
	small := leak(t, "tuition_fees_2026.csv")
	big := synthetic(t, 3*ed2k.PartSize+12345)
	huge := pattern{size: 600 * ed2k.PartSize}
	cases := []struct {
		name       string
		d          doc
		reader     io.ReaderAt
		size       int64
		parts      []int
		compress   bool
		wantBlock  ed2k.Range
		wantParts  int
		compressed bool
	}{
		{name: "compressed", d: small, compress: true, wantBlock: ed2k.Range{0, ed2k.BlockSize}, wantParts: 1, compressed: true},
		{name: "plain", d: small, wantBlock: ed2k.Range{0, ed2k.BlockSize}, wantParts: 1},
		{name: "second part only", d: big, parts: []int{2}, compress: true, compressed: true,
			wantBlock: ed2k.Range{2 * ed2k.PartSize, 2*ed2k.PartSize + ed2k.BlockSize}, wantParts: 1},
		{name: "64-bit offsets", reader: huge, size: huge.size, parts: []int{1, 500}, wantParts: 2,
			wantBlock: ed2k.Range{ed2k.PartSize, ed2k.PartSize + ed2k.BlockSize}},
		{name: "64-bit offsets compressed", reader: huge, size: huge.size, parts: []int{500}, wantParts: 1, compress: true, compressed: true,
			wantBlock: ed2k.Range{500 * ed2k.PartSize, 500*ed2k.PartSize + ed2k.BlockSize}},
	}
	prober, err := ed2k.NewProber(fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			target := c.d.target()
			if c.reader != nil {
				target = ed2k.Target{Hash: [16]byte{0xEE, 1}, Size: c.size, Doc: c.reader}
			}
			peer := startPeer(t, emulefixture.PeerOptions{Hash: target.Hash, Size: target.Size, Data: target.Doc,
				Name: "leak.csv", Parts: c.parts, Compress: c.compress})
			res, err := prober.Probe(context.Background(), target, peer.Addr())
			if err != nil {
				t.Fatalf("probe: %v (reason %q)", err, res.Reason)
			}
			if res.Level != ed2k.L4Served || res.Verified != c.wantBlock || res.Requested != c.wantBlock ||
				res.Compressed != c.compressed || len(res.PartsClaimed) != c.wantParts || res.BytesCompared != ed2k.BlockSize ||
				res.MismatchAt != -1 || res.Reason != "served" || res.FileName != "leak.csv" {
				t.Errorf("result %+v", summary(res))
			}
			if res.Client.Software != "aMule" || res.Client.Version != "2.3.3" || res.Client.Name != "fixture peer" || res.Client.Mod != "fixture 1.0" {
				t.Errorf("client %+v", res.Client)
			}
			if !res.Local.IsValid() || res.Peer != peer.Addr() {
				t.Errorf("addresses: local %v peer %v", res.Local, res.Peer)
			}
			if st := peer.Stats(); st.InfoAnswers != 1 || st.UploadRequests != 1 || st.BlocksServed != 1 {
				t.Errorf("peer stats %+v", st)
			}
			checkTranscript(t, res, target.Doc)
		})
	}
}

// summary drops the transcript from a result for printing.
func summary(r ed2k.Result) ed2k.Result {
	r.Transcript = nil
	return r
}

func TestProbeHostileFixture(t *testing.T) {
	d := leak(t, "tuition_fees_2026.csv")
	cases := []struct {
		behaviour emulefixture.PeerBehaviour
		compress  bool
		level     ed2k.Level
		err       error
	}{
		{emulefixture.PeerLiar, true, ed2k.L3Claims, ed2k.ErrMismatch},
		{emulefixture.PeerLiar, false, ed2k.L3Claims, ed2k.ErrMismatch},
		{emulefixture.PeerHugeLength, false, ed2k.L1Announced, ed2k.ErrLimit},
		{emulefixture.PeerBadZlib, true, ed2k.L3Claims, ed2k.ErrProtocol},
		{emulefixture.PeerZipBomb, true, ed2k.L3Claims, emulewire.ErrInflateLimit},
		{emulefixture.PeerEndlessQueue, false, ed2k.L3Claims, ed2k.ErrQueued},
		{emulefixture.PeerSlowDrip, false, ed2k.L1Announced, os.ErrDeadlineExceeded},
		{emulefixture.PeerNoFile, false, ed2k.L1Announced, ed2k.ErrNoFile},
		{emulefixture.PeerTagFlood, false, ed2k.L1Announced, ed2k.ErrLimit},
		{emulefixture.PeerWrongRange, false, ed2k.L3Claims, ed2k.ErrProtocol},
		{emulefixture.PeerFlood, false, ed2k.L3Claims, ed2k.ErrLimit},
		{emulefixture.PeerSilent, false, ed2k.L1Announced, os.ErrDeadlineExceeded},
	}
	prober, err := ed2k.NewProber(fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	honest := startPeer(t, emulefixture.PeerOptions{Hash: d.hash, Size: int64(len(d.data)), Data: bytes.NewReader(d.data), Compress: true})
	start := time.Now()
	var wg sync.WaitGroup
	results := make([]ed2k.Result, len(cases))
	errs := make([]error, len(cases))
	for i, c := range cases {
		peer := startPeer(t, emulefixture.PeerOptions{Hash: d.hash, Size: int64(len(d.data)), Data: bytes.NewReader(d.data), Compress: c.compress, Behaviour: c.behaviour})
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = prober.Probe(context.Background(), d.target(), peer.Addr())
		}()
	}
	// An honest peer probed at the same time is not disturbed.
	res, err := prober.Probe(context.Background(), d.target(), honest.Addr())
	wg.Wait()
	if err != nil || res.Level != ed2k.L4Served {
		t.Errorf("honest peer among hostile ones: %v, %v", res.Level, err)
	}
	for i, c := range cases {
		r := results[i]
		if r.Level != c.level || !errors.Is(errs[i], c.err) {
			t.Errorf("behaviour %d: level %v, error %v; want %v, %v", c.behaviour, r.Level, errs[i], c.level, c.err)
		}
		if r.Error == "" || r.Reason == "" || r.Verified != (ed2k.Range{}) {
			t.Errorf("behaviour %d: result %+v", c.behaviour, summary(r))
		}
		if got := ed2k.TranscriptSHA256(r.Transcript); got != r.TranscriptSHA256 {
			t.Errorf("behaviour %d: transcript hash", c.behaviour)
		}
		t.Logf("behaviour %d: %v %q: %v", c.behaviour, r.Level, r.Reason, errs[i])
	}
	if r := results[5]; !r.Queued || r.QueueRank != 1 {
		t.Errorf("endless queue: queued %v rank %d", r.Queued, r.QueueRank)
	}
	if r := results[0]; r.MismatchAt != int64(ed2k.BlockSize/2) || r.BytesCompared != ed2k.BlockSize {
		t.Errorf("liar: mismatch at %d, compared %d", r.MismatchAt, r.BytesCompared)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("hostile probes took %v", d)
	}
}

func TestProbeStopsAtClaims(t *testing.T) {
	d := leak(t, "incident_memo.txt")
	peer := startPeer(t, emulefixture.PeerOptions{Hash: d.hash, Size: int64(len(d.data)), Data: bytes.NewReader(d.data)})
	cfg := fastConfig()
	cfg.MaxLevel = ed2k.L3Claims
	prober, err := ed2k.NewProber(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prober.Probe(context.Background(), d.target(), peer.Addr())
	if err != nil || res.Level != ed2k.L3Claims || !res.Complete {
		t.Fatalf("claims only: %v %+v", err, summary(res))
	}
	if st := peer.Stats(); st.UploadRequests != 0 || st.BytesServed != 0 {
		t.Errorf("a claims-only probe asked for an upload: %+v", st)
	}
}

func TestProbeRejectsBadInput(t *testing.T) {
	if _, err := ed2k.NewProber(ed2k.Config{}); !errors.Is(err, ed2k.ErrConfig) {
		t.Errorf("no user hash: %v", err)
	}
	prober, err := ed2k.NewProber(fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	d := leak(t, "incident_memo.txt")
	bad := []ed2k.Target{
		{Hash: d.hash, Size: 0, Doc: bytes.NewReader(nil)},
		{Hash: d.hash, Size: 10},
		{Size: 10, Doc: bytes.NewReader(nil)},
		{Hash: d.hash, Size: ed2k.MaxFileSize + 1, Doc: bytes.NewReader(nil)},
	}
	for _, tg := range bad {
		if _, err := prober.Probe(context.Background(), tg, netipMust("127.0.0.1:1")); !errors.Is(err, ed2k.ErrTarget) {
			t.Errorf("target %+v: %v", tg, err)
		}
	}
	if _, err := prober.Probe(context.Background(), d.target(), netipMust("127.0.0.1:0")); !errors.Is(err, ed2k.ErrTarget) {
		t.Errorf("port 0: %v", err)
	}
	res, err := prober.Probe(context.Background(), d.target(), netipMust("127.0.0.1:1"))
	if err == nil || res.Level != ed2k.L1Announced || res.Reason != "connect failed" {
		t.Errorf("closed port: %v %+v", err, summary(res))
	}
}

// TestProbeSpacing checks that probes of one address never overlap and
// keep PeerSpacing apart.
func TestProbeSpacing(t *testing.T) {
	d := leak(t, "incident_memo.txt")
	peer := startPeer(t, emulefixture.PeerOptions{Hash: d.hash, Size: int64(len(d.data)), Data: bytes.NewReader(d.data)})
	cfg := fastConfig()
	cfg.PeerSpacing = 300 * time.Millisecond
	prober, err := ed2k.NewProber(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	res := make([]ed2k.Result, 3)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if res[i], err = prober.Probe(context.Background(), d.target(), peer.Addr()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(res, func(a, b ed2k.Result) int { return a.Time.Compare(b.Time) })
	for i := 1; i < len(res); i++ {
		if gap := res[i].Time.Sub(res[i-1].Time.Add(res[i-1].Duration)); gap < cfg.PeerSpacing {
			t.Errorf("probe %d started %v after the previous one ended", i, gap)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := prober.Probe(ctx, d.target(), peer.Addr()); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting for a canceled turn: %v", err)
	}
}
