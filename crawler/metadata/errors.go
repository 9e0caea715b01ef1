package metadata

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Sentinel errors, one per kind of failure. Every error a [Fetcher]
// returns wraps at least one of them.
var (
	ErrNoPeers           = errors.New("no peers")
	ErrDial              = errors.New("connect failed")
	ErrEncryption        = errors.New("encryption handshake failed")
	ErrHandshake         = errors.New("bad handshake")
	ErrNoMetadataSupport = errors.New("peer does not offer ut_metadata")
	ErrBadSize           = errors.New("bad metadata size")
	ErrRejected          = errors.New("metadata request rejected")
	ErrProtocol          = errors.New("protocol violation")
	ErrTimeout           = errors.New("timed out")
	ErrHashMismatch      = errors.New("metadata does not hash to the infohash")
	ErrBadBencode        = errors.New("metadata failed the bencode check")
	ErrCanceled          = errors.New("canceled")
)

type kindName struct {
	err  error
	name string
}

// kinds orders the sentinels from most to least telling; [Kind] reports
// the first one an error wraps.
func kinds() []kindName {
	return []kindName{
		{ErrBadBencode, "bad_bencode"},
		{ErrHashMismatch, "hash_mismatch"},
		{ErrBadSize, "bad_size"},
		{ErrProtocol, "protocol"},
		{ErrRejected, "rejected"},
		{ErrNoMetadataSupport, "no_metadata_support"},
		{ErrTimeout, "timeout"},
		{ErrEncryption, "encryption"},
		{ErrHandshake, "handshake"},
		{ErrDial, "dial"},
		{ErrNoPeers, "no_peers"},
		{ErrCanceled, "canceled"},
	}
}

// Kind returns a short label for the kind of a fetch failure, for
// counters: "bad_bencode", "hash_mismatch", "bad_size", "protocol",
// "rejected", "no_metadata_support", "timeout", "encryption", "handshake", "dial",
// "no_peers", "canceled", or "other". It returns "" for a nil error.
func Kind(err error) string {
	if err == nil {
		return ""
	}
	for _, k := range kinds() {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}

// PeerError is the failure of one peer.
type PeerError struct {
	Peer netip.AddrPort
	Err  error // wraps a sentinel
}

func (e *PeerError) Error() string { return fmt.Sprintf("peer %s: %v", e.Peer, e.Err) }
func (e *PeerError) Unwrap() error { return e.Err }

// FetchError is the failure of a whole fetch.
type FetchError struct {
	InfoHash [20]byte
	// Peers holds one error per peer tried.
	Peers []*PeerError
	// Err is set when the fetch failed before or beyond any peer
	// (ErrNoPeers, ErrCanceled, ErrTimeout).
	Err error
}

func (e *FetchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fetch metadata %s: ", hex.EncodeToString(e.InfoHash[:]))
	if e.Err != nil {
		b.WriteString(e.Err.Error())
		if len(e.Peers) > 0 {
			b.WriteString("; ")
		}
	}
	if len(e.Peers) > 0 {
		fmt.Fprintf(&b, "%d peers failed (%s)", len(e.Peers), Kind(e))
		for i, p := range e.Peers[:min(3, len(e.Peers))] {
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			b.WriteString(p.Error())
		}
	}
	return b.String()
}

// Unwrap returns the fetch-level error and every peer error.
func (e *FetchError) Unwrap() []error {
	var out []error
	if e.Err != nil {
		out = append(out, e.Err)
	}
	for _, p := range e.Peers {
		out = append(out, p)
	}
	return out
}

// errorf wraps kind with a message.
func errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))
}

// ctxKind maps a context error to a sentinel.
func ctxKind(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout
	}
	return ErrCanceled
}
