package report

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"golang.org/x/mod/sumdb/note"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// fixtureNow is the letters' date in fixtures.
var fixtureNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const doc = "1111111111111111111111111111111111111111111111111111111111111111"

var (
	ihA = testIH("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	ihB = testIH("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
)

func testIH(s string) fingerprint.InfoHash {
	ih, err := fingerprint.ParseInfoHash(s)
	if err != nil {
		panic(err)
	}
	return ih
}

// hostileName is a torrent name built to break outputs: HTML, a CSV
// formula, a right-to-left override, an address and 10,000 characters.
var hostileName = "=HYPERLINK(\"http://evil.example\")<script>alert(1)</script>\u202egpj.exe 10.66.77.88 " + strings.Repeat("A", 10000)

// writeMMDB writes a small MaxMind-format ASN database.
func writeMMDB(t testing.TB, path string) {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-ASN", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	add := func(cidr string, rec mmdbtype.Map) {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	add("85.10.0.0/16", mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(64501),
		"autonomous_system_organization": mmdbtype.String("Example Net KK"), "country": mmdbtype.String("JP")})
	add("91.20.0.0/16", mmdbtype.Map{"asn": mmdbtype.String("AS64502"),
		"as_name": mmdbtype.String("Hostile <b>ISP</b>\u202e =cmd|' /C calc'!A0"),
		"country": mmdbtype.Map{"iso_code": mmdbtype.String("DE")}})
	add("2a0a:1000::/32", mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(64503),
		"autonomous_system_organization": mmdbtype.String("Sample Fibre")})
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// fixtureStore builds a store with a few peers at every level.
func fixtureStore(t testing.TB) (*store.Store, *evidence.Keys, string) {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "lh.db")
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// A fixed key, so that golden letters (which print its fingerprint)
	// do not change from run to run.
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), "leakhunt-test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db+".key", []byte(skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db+".pub", []byte(vkey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	keys, err := evidence.LoadOrCreateKeys(db, "leakhunt-test")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 2, 10, 14, 30, 0, 0, time.UTC)
	for _, tor := range []store.Torrent{
		{InfoHash: ihA, Name: "Q3 payroll export", Size: 1 << 20, Files: 2, FirstSeen: t0, Source: "dht-sample"},
		{InfoHash: ihB, Name: hostileName, Size: 1 << 20, Files: 1, FirstSeen: t0, Source: "web:http://x.example/"},
	} {
		if _, err := s.PutTorrent(tor); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []store.Match{
		{Match: fingerprint.Match{InfoHash: ihA, TorrentName: "Q3 payroll export", File: "export/payroll-2025Q3.xlsx", Document: doc, DocumentName: "payroll-2025Q3.xlsx", Method: "v2-root", Verdict: "proven"}, Time: t0},
		{Match: fingerprint.Match{InfoHash: ihB, TorrentName: hostileName, File: "<img src=x onerror=alert(1)>.xlsx", Document: doc, DocumentName: "payroll-2025Q3.xlsx", Method: "v1-pieces", PiecesChecked: 4, PiecesMatched: 4, Verdict: "proven"}, Time: t0},
	} {
		if _, err := s.PutMatch(m); err != nil {
			t.Fatal(err)
		}
	}
	obs := func(min int, lvl evidence.Level, src, ip string, port int, ih fingerprint.InfoHash) evidence.Observation {
		o := evidence.Observation{Time: t0.Add(time.Duration(min) * time.Minute), ClockOffset: "-3.2ms", Level: lvl, Source: src,
			IP: ip, Port: port, InfoHash: ih, Document: doc, Version: "leakhunt test", ListenAddr: "127.0.0.1:40000"}
		if lvl >= 2 {
			o.PeerID, o.Client, o.Transport = "2d5452343035302d000000000000000000000000", "Transmission 4.0.5", "tcp"
			o.TranscriptSHA256 = strings.Repeat("ab", 32)
		}
		if lvl >= 3 {
			o.PiecesClaimed, o.ClaimedCount = []int{0, 1, 2, 3}, 4
		}
		if lvl >= 4 {
			o.PiecesVerified, o.DocBytesVerified, o.YourIP = []int{0, 1}, 32768, "203.0.113.5"
		}
		o.Clock = &evidence.ClockMeasurement{Asked: []string{"ntp-a.example:123", "ntp-b.example:123", "ntp-c.example:123"}, Answered: 3, Agreeing: 3,
			Server: "ntp-b.example:123", Stratum: 2, Offset: evidence.Duration(-3200 * time.Microsecond), RTT: evidence.Duration(18 * time.Millisecond),
			RootDistance: evidence.Duration(4 * time.Millisecond), MeasuredAt: o.Time.Add(-2 * time.Second)}
		return o
	}
	hostile := obs(50, 4, "probe", "91.20.3.4", 6881, ihB)
	hostile.Client = "µTorrent \u202e<b>3.6</b> =1+1 10.66.77.88"
	hostile.Clock.Offset = evidence.Duration(1500 * time.Millisecond) // over the 1 s limit
	liar := obs(45, 3, "probe", "91.20.3.4", 6881, ihB)
	liar.PiecesFailed = []int{2}
	unsynced := obs(70, 2, "probe", "2a0a:1000::5", 51413, ihA)
	unsynced.ClockOffset = "unsynchronized"
	unsynced.Clock = &evidence.ClockMeasurement{Asked: []string{"ntp-a.example:123"}, MeasuredAt: unsynced.Time.Add(-time.Minute), Error: "no NTP server answered"}
	legacy := obs(60, 4, "probe", "127.0.0.1", 7000, ihA)
	legacy.Clock, legacy.DocBytesVerified, legacy.YourIP = nil, 0, "" // a record made before these were kept
	all := []evidence.Observation{
		obs(0, 1, "dht", "85.10.1.5", 6881, ihA),
		obs(1, 2, "probe", "85.10.1.5", 6881, ihA),
		obs(2, 3, "probe", "85.10.1.5", 6881, ihA),
		obs(3, 4, "probe", "85.10.1.5", 6881, ihA),
		obs(5, 1, "tracker", "192.0.2.55", 6881, ihA), // L1 only: never in a letter
		obs(6, 2, "probe", "85.10.1.9", 51413, ihA),   // L2 only
		obs(40, 1, "pex", "91.20.3.4", 6881, ihB),
		liar,
		hostile,
		legacy,
		unsynced,
		obs(24*60+3, 4, "probe", "85.10.1.5", 6881, ihA),
	}
	if _, err := s.AppendObservations(all); err != nil {
		t.Fatal(err)
	}
	return s, keys, dir
}

// fixtureOptions are options with the test ASN database and overrides.
func fixtureOptions(t testing.TB, dir, lang string) Options {
	t.Helper()
	mmdb := filepath.Join(dir, "asn.mmdb")
	if _, err := os.Stat(mmdb); err != nil {
		writeMMDB(t, mmdb)
	}
	db, err := OpenASNDB(mmdb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ct, err := ParseContacts([]byte("# known contacts\nAS64502\tabuse@hostile.example\tHostile abuse desk\n2a0a:1000::/32\tnoc@fibre.example\n"))
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultOptions()
	opt.OutDir = filepath.Join(t.TempDir(), "report")
	opt.Lang = lang
	opt.ASN = db
	opt.Contacts = &ContactResolver{Overrides: ct}
	opt.Now = func() time.Time { return fixtureNow }
	opt.Version = "test"
	opt.Config = FileConfig{Contractor: Identity{Name: "Example Investigations GK", Address: "1-2-3 Example, Chiyoda-ku, Tokyo",
		Email: "cases@investigations.example", Signatory: "Hanako Example"}, Client: "Example Client KK", CaseReference: "CASE-2026-001",
		Right: "privacy", Reason: "The document holds the names, addresses and salaries of our client's staff, made available to anyone without their consent.",
		DisclosureReasons: []string{"damages", "injunction"}}
	return opt
}
