package hunt

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// ErrWatchInput is wrapped by [WatchInput] errors about the argument itself
// (a usage error for a CLI).
var ErrWatchInput = errors.New("not a torrent to watch")

// WatchInput reads what a user asks to watch: a magnet link (its btih and
// x.pe peers), an infohash (40 hex digits or 32 base32 characters), or the
// path of a .torrent file, which is recorded with r (its info dictionary is
// kept even if nothing matches). It returns the infohash and the peers the
// argument names.
func WatchInput(r *Recorder, arg string) (fingerprint.InfoHash, []netip.AddrPort, error) {
	if l := strings.ToLower(arg); strings.HasPrefix(l, "magnet:") || strings.HasPrefix(l, "ed2k:") {
		link, err := fingerprint.ParseLink(arg)
		if err != nil {
			return fingerprint.InfoHash{}, nil, fmt.Errorf("%w: %w", ErrWatchInput, err)
		}
		if link.BTIH.IsZero() {
			return fingerprint.InfoHash{}, nil, fmt.Errorf("%w: the link has no BitTorrent infohash (urn:btih)", ErrWatchInput)
		}
		var peers []netip.AddrPort
		for _, a := range link.Peers {
			if ap, err := netip.ParseAddrPort(a); err == nil {
				peers = append(peers, ap)
			}
		}
		return link.BTIH, peers, nil
	}
	if ih, err := fingerprint.ParseInfoHash(arg); err == nil {
		if _, statErr := os.Stat(arg); statErr != nil { // a file of that name wins
			return ih, nil, nil
		}
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return fingerprint.InfoHash{}, nil, fmt.Errorf("%w: %q is neither an infohash nor a readable .torrent file: %w", ErrWatchInput, arg, err)
	}
	t, err := fingerprint.ParseTorrentFile(b)
	if err != nil {
		return fingerprint.InfoHash{}, nil, fmt.Errorf("%s: %w", arg, err)
	}
	if _, err := r.Watched(t, "file:"+arg); err != nil {
		return fingerprint.InfoHash{}, nil, err
	}
	return t.InfoHash, nil, nil
}
