package peerdial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/anacrolix/torrent/mse"

	"github.com/leakhunt/leakhunt/internal/peerwire"
)

// Encryption says when connections speak MSE/PE (BEP 8 message stream
// encryption, "protocol encryption" in client settings).
type Encryption int

const (
	// EncryptFallback connects in plaintext and, when the peer ends the
	// connection at the BitTorrent handshake (what a client that requires
	// encryption does), again with encryption. The default.
	EncryptFallback Encryption = iota
	// EncryptPrefer connects with encryption and, when the peer ends the
	// connection or refuses the encrypted handshake, again in plaintext.
	EncryptPrefer
	// EncryptRequire connects with encryption only.
	EncryptRequire
	// EncryptNever connects in plaintext only.
	EncryptNever
)

var encryptionNames = []string{"auto", "prefer", "require", "off"}

// String returns the policy's name, as [ParseEncryption] accepts it.
func (e Encryption) String() string {
	if e < 0 || int(e) >= len(encryptionNames) {
		return fmt.Sprintf("Encryption(%d)", int(e))
	}
	return encryptionNames[e]
}

// ParseEncryption accepts "auto" or "" ([EncryptFallback]), "prefer",
// "require" and "off".
func ParseEncryption(s string) (Encryption, error) {
	if s == "" {
		return EncryptFallback, nil
	}
	for i, n := range encryptionNames {
		if s == n {
			return Encryption(i), nil
		}
	}
	return 0, fmt.Errorf("encryption %q: want auto, prefer, require or off", s)
}

// Attempt is one way of connecting to a peer.
type Attempt struct {
	Transport string // TCP or UTP
	Encrypted bool   // MSE/PE
}

// String names the attempt as observations record it: "tcp", "tcp+mse",
// "utp" or "utp+mse".
func (a Attempt) String() string {
	if a.Encrypted {
		return a.Transport + "+mse"
	}
	return a.Transport
}

// Attempts returns the ways to try transport under the policy, in order.
// A caller moves on to the next only when [Retry] says so.
func (e Encryption) Attempts(transport string) []Attempt {
	plain, enc := Attempt{transport, false}, Attempt{transport, true}
	switch e {
	case EncryptPrefer:
		return []Attempt{enc, plain}
	case EncryptRequire:
		return []Attempt{enc}
	case EncryptNever:
		return []Attempt{plain}
	default:
		return []Attempt{plain, enc}
	}
}

// Retry reports whether an attempt that failed with err is worth making
// again with the other encryption setting: the connection was up and the
// peer ended it at the handshake, answered with something other than a
// BitTorrent handshake (peerwire.ErrNotBitTorrent: a client that requires
// encryption may answer a plaintext handshake with its MSE key), or refused
// our encryption. A refused or timed-out connection is not.
func Retry(err error) bool {
	return errors.Is(err, ErrEncryption) || errors.Is(err, peerwire.ErrNotBitTorrent) || Closed(err)
}

// ErrEncryption is wrapped by every failure of the MSE/PE handshake.
var ErrEncryption = errors.New("encryption handshake failed")

// Encrypt runs the MSE/PE handshake as the initiator over c for the
// torrent ih (its infohash is the shared secret), offering RC4 and
// plaintext after the obfuscated header; the peer chooses. The returned
// connection reads and writes above the encryption layer; closing it closes
// c. On failure c is closed. ctx bounds the handshake.
func Encrypt(ctx context.Context, c net.Conn, ih [20]byte) (net.Conn, error) {
	stop := context.AfterFunc(ctx, func() { c.Close() }) // a pending read must not outlive a failed handshake
	rw, _, err := mse.InitiateHandshakeContext(ctx, c, ih[:], nil, mse.AllSupportedCrypto)
	if !stop() || err != nil {
		c.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("%w: %w", ErrEncryption, err)
	}
	return &mseConn{Conn: c, rw: rw}, nil
}

// mseConn is a connection above MSE/PE: reads are decrypted, writes
// encrypted (or plain, when the peer chose plaintext after the header).
type mseConn struct {
	net.Conn
	rw io.ReadWriter
}

func (c *mseConn) Read(b []byte) (int, error)  { return c.rw.Read(b) }
func (c *mseConn) Write(b []byte) (int, error) { return c.rw.Write(b) }

var (
	errEOF           = io.EOF
	errUnexpectedEOF = io.ErrUnexpectedEOF
)

// isReset reports a connection reset: TCP RST or a broken pipe, or a uTP
// ST_RESET (anacrolix/utp reports it only as the text "peer reset").
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || strings.Contains(err.Error(), "peer reset")
}
