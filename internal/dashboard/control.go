package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ControlPath is the control socket of the store at db.
func ControlPath(db string) string { return db + ".sock" }

// maxSocketPath is the longest path a Unix socket can be bound to.
const maxSocketPath = 107

// ErrNoControl is returned by [Dial] when no process answers on the
// store's control socket.
var ErrNoControl = errors.New("no leakhunt holds the store with a control socket")

// ListenControl listens on the control socket beside the store at db:
// a Unix socket of mode 0600, bound inside a private directory and moved
// into place so that it is never reachable with looser permissions.
// Connections from other users are refused as they are accepted (Linux:
// SO_PEERCRED). A socket left by a process that ended is replaced; one
// that answers is not. Closing the listener removes the socket.
func ListenControl(db string) (net.Listener, error) {
	path, err := filepath.Abs(ControlPath(db))
	if err != nil {
		return nil, err
	}
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("control socket %s: the path is %d bytes, longer than a Unix socket's %d: use a store with a shorter path", path, len(path), maxSocketPath)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: another leakhunt answers on it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("control socket: remove the stale one: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".leakhunt-sock-") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	bound := filepath.Join(tmp, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: bound, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.SetUnlinkOnClose(false) // it is renamed; the listener below removes it
	if err := os.Chmod(bound, 0o600); err == nil {
		err = os.Rename(bound, path)
	}
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return &controlListener{UnixListener: ln, path: path}, nil
}

// controlListener admits connections of this user only and removes the
// socket when closed.
type controlListener struct {
	*net.UnixListener
	path string
}

func (l *controlListener) Accept() (net.Conn, error) {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			return nil, err
		}
		if sameUser(c) {
			return c, nil
		}
		c.Close()
	}
}

func (l *controlListener) Close() error {
	err := l.UnixListener.Close()
	os.Remove(l.path)
	return err
}

// Client calls the API of the process holding a store, through its
// control socket. Safe for concurrent use.
type Client struct {
	hc *http.Client
	// Hello is what the process said of itself.
	Hello Hello
}

// Hello is the answer of /api/hello.
type Hello struct {
	// Mode is "hunt", "watch" or "serve".
	Mode    string `json:"mode"`
	PID     int    `json:"pid"`
	Store   string `json:"store"`
	Version string `json:"version"`
}

// Dial connects to the process holding the store at db through its
// control socket. It returns [ErrNoControl] when there is no socket or
// nobody answers on it (a process that ended, or one that holds the store
// without a socket: the caller's own open then says the store is in use).
func Dial(ctx context.Context, db string) (*Client, error) {
	path, err := filepath.Abs(ControlPath(db))
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, ErrNoControl
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	c.Close()
	cl := &Client{hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConns: 2, IdleConnTimeout: 30 * time.Second,
	}}}
	if err := cl.get(ctx, "/api/hello", &cl.Hello); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return cl, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }
