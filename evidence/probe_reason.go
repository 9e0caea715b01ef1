package evidence

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"

	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/internal/peerdial"
	"github.com/leakhunt/leakhunt/internal/peerwire"
)

// Reasons a probe stopped short of what it chased, recorded in
// Observation.Reason ("" when it proved all it was asked to).
const (
	// ReasonNotAllowed: the address policy refused the address.
	ReasonNotAllowed = "not-allowed"
	// ReasonRefused: the connection was refused (TCP reset, ICMP
	// unreachable, uTP reset).
	ReasonRefused = "refused"
	// ReasonTimeout: no answer in time (connect, handshake, or a later
	// message).
	ReasonTimeout = "timed-out"
	// ReasonClosed: the peer ended the connection at the BitTorrent
	// handshake, in plaintext and encrypted alike where both were tried.
	ReasonClosed = "handshake-closed"
	// ReasonEncryption: the MSE/PE handshake failed.
	ReasonEncryption = "encryption-failed"
	// ReasonWrongTorrent: the peer answered for another infohash.
	ReasonWrongTorrent = "wrong-torrent"
	// ReasonNotBitTorrent: the peer's answer was not a BitTorrent
	// handshake (in plaintext and encrypted alike where both were tried).
	ReasonNotBitTorrent = "not-bittorrent"
	// ReasonNoPieces: the peer claimed no piece of the document.
	ReasonNoPieces = "no-pieces"
	// ReasonEdgeOnly: the peer served only edge pieces holding too few
	// of the document's bytes for L4.
	ReasonEdgeOnly = "edge-pieces-only"
	// ReasonChoked: the peer claimed pieces but never unchoked us.
	ReasonChoked = "choked"
	// ReasonDisconnected: the peer ended the connection after the
	// handshake.
	ReasonDisconnected = "disconnected"
	// ReasonBadData: a piece failed its hash, or its bytes in the
	// document's range differ from the catalogued copy.
	ReasonBadData = "bad-data"
	// ReasonProtocol: the peer broke the protocol or one of our limits.
	ReasonProtocol = "protocol"
	// ReasonInterrupted: the probe was cancelled.
	ReasonInterrupted = "interrupted"
)

// dialError is a failure to connect.
type dialError struct{ err error }

func (e *dialError) Error() string { return "dial: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// reasonOf says why an attempt ended where it did: err is what the
// attempt returned, o its observation (already graded). An observation
// whose session set a reason (bad data, edge pieces) keeps it.
func reasonOf(err error, o *Observation) string {
	if o.Reason != "" {
		return o.Reason
	}
	if err == nil {
		return ""
	}
	var de *dialError
	switch {
	case errors.Is(err, context.Canceled):
		return ReasonInterrupted
	case errors.Is(err, netpolicy.ErrForbidden):
		return ReasonNotAllowed
	case errors.Is(err, peerdial.ErrEncryption):
		return ReasonEncryption
	case errors.Is(err, errNoClaim):
		return ReasonNoPieces
	case errors.Is(err, errChoked):
		return ReasonChoked
	case errors.Is(err, peerwire.ErrWrongTorrent):
		return ReasonWrongTorrent
	case errors.Is(err, peerwire.ErrNotBitTorrent):
		return ReasonNotBitTorrent
	case errors.Is(err, ErrProtocol), errors.Is(err, ErrByteLimit):
		return ReasonProtocol
	case isTimeout(err):
		return ReasonTimeout
	case errors.As(err, &de):
		return ReasonRefused
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case peerdial.Closed(err) && o.Level < L2Connected:
		return ReasonClosed
	case peerdial.Closed(err):
		return ReasonDisconnected
	}
	return ReasonProtocol
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}
