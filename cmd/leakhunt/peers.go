package main

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/report"
)

// parseLevel reads a level flag ("L4", "l4" or "4").
func parseLevel(s string) (evidence.Level, error) {
	l, err := evidence.ParseLevel(s)
	if err != nil {
		return 0, usagef("%v", err)
	}
	return l, nil
}

// peerRow is one line of `leakhunt peers`, with the CLI contract's fields.
type peerRow struct {
	IP       string               `json:"ip"`
	Port     int                  `json:"port"`
	Network  string               `json:"network"`
	InfoHash fingerprint.InfoHash `json:"infohash"`
	// ED2K is the ed2k hash of the file an eMule-network peer shares.
	ED2K fingerprint.ED2KHash `json:"ed2k,omitzero"`
	// BlockVerified is, on the eMule network, the byte range of the block
	// verified from the peer.
	BlockVerified  *evidence.ByteRange `json:"block_verified,omitempty"`
	Document       string              `json:"document"`
	Level          string              `json:"level"`
	FirstSeen      time.Time           `json:"first_seen"`
	LastSeen       time.Time           `json:"last_seen"`
	PeerID         string              `json:"peer_id"`
	Client         string              `json:"client"`
	Transport      string              `json:"transport,omitempty"`
	Tried          []string            `json:"transports_tried,omitempty"`
	Reason         string              `json:"reason,omitempty"`
	PiecesVerified []int               `json:"pieces_verified"`
	PiecesFailed   []int               `json:"pieces_failed,omitempty"`
	Observations   int                 `json:"observations"`
	ASN            string              `json:"asn"`
	ISP            string              `json:"isp"`
	Country        string              `json:"country"`
}

func runPeers(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "peers", "[--json] [--min-level L2]")
	asJSON := fl.Bool("json", false, "print one JSON object per peer")
	minLevel := fl.String("min-level", "L2", "lowest evidence `level` to list (L0–L5)")
	asnDB := fl.String("asn-db", "", "MaxMind-format ASN `database` (GeoLite2-ASN, DB-IP ASN Lite, IPinfo) for asn, isp and country")
	if err := parse(fl, args); err != nil {
		return err
	}
	lvl, err := parseLevel(*minLevel)
	if err != nil {
		return err
	}
	peers, err := storedPeers(ctx, c, lvl)
	if err != nil {
		return err
	}
	var db *report.ASNDB
	if *asnDB != "" {
		if db, err = report.OpenASNDB(*asnDB); err != nil {
			return err
		}
		defer db.Close()
	}
	rows := make([]peerRow, 0, len(peers))
	for _, p := range peers {
		r := peerRow{IP: p.IP, Port: p.Port, Network: p.Net(), InfoHash: p.InfoHash, ED2K: p.ED2K, BlockVerified: p.BlockVerified, Document: p.Document, Level: fmt.Sprintf("L%d", p.Level),
			FirstSeen: p.FirstSeen, LastSeen: p.LastSeen, PeerID: p.PeerID, Client: p.Client, Transport: p.Transport,
			Tried: p.Tried, Reason: p.Reason,
			PiecesVerified: p.PiecesVerified, PiecesFailed: p.PiecesFailed, Observations: p.Observations}
		if r.PiecesVerified == nil {
			r.PiecesVerified = []int{}
		}
		if ip, err := netip.ParseAddr(p.IP); err == nil {
			var a report.Attribution
			if db != nil {
				a = db.Lookup(ip)
			} else if sp := report.Classify(ip); sp != "" {
				a.Special = sp
			}
			if a.ASN != 0 {
				r.ASN = fmt.Sprintf("AS%d", a.ASN)
			}
			r.ISP, r.Country = a.Org, a.Country
			if a.Special != "" {
				r.ISP = a.Special
			}
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return printJSONLines(e, rows)
	}
	if len(rows) == 0 {
		e.printf("no peers at L%d or above", lvl)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LEVEL\tNETWORK\tIP\tPORT\tINFOHASH / ED2K HASH\tCLIENT\tFIRST SEEN\tLAST SEEN\tVERIFIED\tFAILED\tWHY NOT HIGHER\tASN\tISP")
	for _, r := range rows {
		why := r.Reason
		if why == "" {
			why = "-"
		}
		hash, verified := r.InfoHash.String(), report.PieceList("en", r.PiecesVerified, 8)
		if r.Network == evidence.NetworkED2K {
			hash, verified = r.ED2K.String(), report.BlockText("en", r.BlockVerified)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Level, r.Network, r.IP, r.Port, hash, display.String(r.Client, maxCell),
			r.FirstSeen.Format(time.RFC3339), r.LastSeen.Format(time.RFC3339), verified,
			report.PieceList("en", r.PiecesFailed, 8), why, r.ASN, display.String(r.ISP, maxCell))
	}
	return tw.Flush()
}

// maxCell is the number of characters of a network-supplied string a
// table shows (see display.String).
const maxCell = 64

// storedPeers returns the peers at lvl or above: from the running
// leakhunt that holds the store, or from the store.
func storedPeers(ctx context.Context, c *common, lvl evidence.Level) ([]evidence.Peer, error) {
	h, err := c.openOrDial(ctx, false)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	if h.s != nil {
		return h.s.Peers(lvl)
	}
	page, err := h.cl.Peers(ctx, url.Values{"min_level": {lvl.String()}})
	if err != nil {
		return nil, remoteErr("peers", err)
	}
	peers := make([]evidence.Peer, len(page.Peers))
	for i, r := range page.Peers {
		peers[i] = r.Peer
	}
	return peers, nil
}
