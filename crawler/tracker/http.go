package tracker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/anacrolix/torrent/bencode"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/display"
)

// responseLimits bound a tracker response's bencode before decoding.
func responseLimits(maxBytes int64) fingerprint.Limits {
	return fingerprint.Limits{MaxBytes: int(maxBytes), MaxDepth: 8, MaxTokens: 200_000, MaxIntLen: 20}
}

type httpAnnounceResp struct {
	Failure    string        `bencode:"failure reason"`
	Warning    string        `bencode:"warning message"`
	Interval   int64         `bencode:"interval"`
	Complete   *int64        `bencode:"complete"`
	Incomplete *int64        `bencode:"incomplete"`
	Peers      bencode.Bytes `bencode:"peers"`
	Peers6     string        `bencode:"peers6"`
}

type dictPeer struct {
	IP   string `bencode:"ip"`
	Port int64  `bencode:"port"`
}

type httpScrapeResp struct {
	Failure string `bencode:"failure reason"`
	Files   map[string]struct {
		Complete   int64 `bencode:"complete"`
		Downloaded int64 `bencode:"downloaded"`
		Incomplete int64 `bencode:"incomplete"`
	} `bencode:"files"`
}

// escapeBytes percent-encodes every byte outside the RFC 3986 unreserved
// set (url.QueryEscape would turn spaces into '+', which some trackers
// read literally).
func escapeBytes(b []byte) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for _, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			sb.WriteByte(c)
		} else {
			sb.WriteByte('%')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
		}
	}
	return sb.String()
}

// withQuery appends params to u's query (which may hold a passkey).
func withQuery(u *url.URL, params string) string {
	r := *u
	r.Fragment = ""
	if r.RawQuery == "" {
		r.RawQuery = params
	} else {
		r.RawQuery += "&" + params
	}
	return r.String()
}

func (c *Client) httpAnnounce(ctx context.Context, u *url.URL, a announce) (Response, error) {
	params := []string{
		"info_hash=" + escapeBytes(a.ih[:]),
		"peer_id=" + escapeBytes(a.peerID[:]),
		"port=0",
		"uploaded=0",
		"downloaded=0",
		"left=" + strconv.FormatInt(a.left, 10),
		"compact=1",
		"no_peer_id=1",
		"numwant=" + strconv.Itoa(a.numWant),
		"key=" + fmt.Sprintf("%08x", a.key),
	}
	switch a.event {
	case eventStarted:
		params = append(params, "event=started")
	case eventStopped:
		params = append(params, "event=stopped")
	}
	body, err := c.get(ctx, withQuery(u, strings.Join(params, "&")))
	if err != nil {
		return Response{}, err
	}
	return parseHTTPAnnounce(body, c.cfg.MaxResponse, c.cfg.MaxPeers)
}

func (c *Client) httpScrape(ctx context.Context, u *url.URL, ih [20]byte) (Counts, error) {
	su, err := scrapeURL(u)
	if err != nil {
		return Counts{}, err
	}
	body, err := c.get(ctx, withQuery(su, "info_hash="+escapeBytes(ih[:])))
	if err != nil {
		return Counts{}, err
	}
	return parseHTTPScrape(body, ih, c.cfg.MaxResponse)
}

// scrapeURL applies the BEP 48 convention: the last path segment must
// start with "announce", which becomes "scrape".
func scrapeURL(u *url.URL) (*url.URL, error) {
	i := strings.LastIndexByte(u.Path, '/')
	if i < 0 || !strings.HasPrefix(u.Path[i+1:], "announce") {
		return nil, ErrNoScrape
	}
	s := *u
	s.Path = u.Path[:i+1] + "scrape" + strings.TrimPrefix(u.Path[i+1:], "announce")
	s.RawPath = ""
	return &s, nil
}

// get fetches a URL with the size cap.
func (c *Client) get(ctx context.Context, rawURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if int64(len(body)) > c.cfg.MaxResponse {
		return nil, fmt.Errorf("%w: body larger than %d bytes", ErrResponse, c.cfg.MaxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		// Some trackers send a bencoded failure with an error status.
		if f := failureOf(body, c.cfg.MaxResponse); f != "" {
			return nil, fmt.Errorf("%w: %s", ErrFailure, f)
		}
		return nil, fmt.Errorf("%w: HTTP status %d", ErrResponse, resp.StatusCode)
	}
	return body, nil
}

func failureOf(body []byte, maxBytes int64) string {
	var r struct {
		Failure string `bencode:"failure reason"`
	}
	if fingerprint.CheckBencode(body, responseLimits(maxBytes)) != nil || bencode.Unmarshal(body, &r) != nil {
		return ""
	}
	return clean(r.Failure)
}

// clean bounds and sanitizes a tracker-supplied message (see
// [display.String]).
func clean(s string) string { return display.String(s, 200) }

// parseHTTPAnnounce parses a BEP 3/23 announce response: compact or
// dictionary peers, and BEP 7 peers6.
func parseHTTPAnnounce(body []byte, maxBytes int64, maxPeers int) (Response, error) {
	if err := fingerprint.CheckBencode(body, responseLimits(maxBytes)); err != nil {
		return Response{}, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	var r httpAnnounceResp
	if err := bencode.Unmarshal(body, &r); err != nil {
		return Response{}, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	if r.Failure != "" {
		return Response{}, fmt.Errorf("%w: %s", ErrFailure, clean(r.Failure))
	}
	out := Response{Warning: clean(r.Warning)}
	if r.Interval > 0 && r.Interval < 1<<31 {
		out.Interval = time.Duration(r.Interval) * time.Second
	}
	if r.Complete != nil && r.Incomplete != nil {
		out.Seeders, out.Leechers, out.HasCounts = clampCount(*r.Complete), clampCount(*r.Incomplete), true
	}
	ps := newPeerSet(maxPeers)
	switch {
	case len(r.Peers) == 0:
	case r.Peers[0] == 'l':
		var list []dictPeer
		if err := bencode.Unmarshal(r.Peers, &list); err != nil {
			return Response{}, fmt.Errorf("%w: peers list: %v", ErrResponse, err)
		}
		for _, p := range list {
			ip, err := netip.ParseAddr(p.IP) // host names are not resolved
			if err != nil || p.Port <= 0 || p.Port > 65535 {
				continue
			}
			ps.add(ip, uint16(p.Port))
		}
	default:
		var compact string
		if err := bencode.Unmarshal(r.Peers, &compact); err != nil {
			return Response{}, fmt.Errorf("%w: peers: %v", ErrResponse, err)
		}
		if err := ps.addCompact([]byte(compact), 6); err != nil {
			return Response{}, err
		}
	}
	if err := ps.addCompact([]byte(r.Peers6), 18); err != nil {
		return Response{}, err
	}
	out.Peers = ps.peers
	return out, nil
}

// parseHTTPScrape parses a BEP 48 scrape response for ih.
func parseHTTPScrape(body []byte, ih [20]byte, maxBytes int64) (Counts, error) {
	if err := fingerprint.CheckBencode(body, responseLimits(maxBytes)); err != nil {
		return Counts{}, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	var r httpScrapeResp
	if err := bencode.Unmarshal(body, &r); err != nil {
		return Counts{}, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	if r.Failure != "" {
		return Counts{}, fmt.Errorf("%w: %s", ErrFailure, clean(r.Failure))
	}
	f, ok := r.Files[string(ih[:])]
	if !ok {
		return Counts{}, nil // the tracker does not know the torrent
	}
	return Counts{Seeders: clampCount(f.Complete), Leechers: clampCount(f.Incomplete), Completed: clampCount(f.Downloaded)}, nil
}

func clampCount(n int64) int {
	return int(min(max(n, 0), 1<<31-1))
}
