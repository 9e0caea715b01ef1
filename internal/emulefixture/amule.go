package emulefixture

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/leakhunt/leakhunt/crawler/kad"
)

// AMuleOptions configure [StartAMule].
type AMuleOptions struct {
	// Dir is the configuration directory to create (a fresh temporary
	// directory; it must not exist or be empty).
	Dir string
	// Address is the IP amuled binds to. It must be a loopback address, or
	// an address that exists only inside NetNS.
	Address netip.Addr
	// TCPPort and UDPPort are amuled's ed2k TCP and Kad/extended UDP ports,
	// ECPort its external connection port (on 127.0.0.1). Zero picks free
	// ports.
	TCPPort, UDPPort, ECPort uint16
	// NetNS, if set, runs amuled inside that network namespace
	// (ip netns exec).
	NetNS string
	// Share lists files to place in the Incoming folder, which aMule shares
	// (a shareddir.dat written before the first start is wiped). Keys are
	// file names, values paths to copy.
	Share map[string]string
	// Kad enables Kad; NodesDat is written as nodes.dat and KadID, when not
	// zero, is pinned in preferencesKad.dat.
	Kad      bool
	NodesDat []byte
	KadID    kad.ID
	// Debug turns on aMule's verbose logging of client traffic (it shows in
	// Log).
	Debug bool
	// UserHash, when not zero, is written to preferences.dat as aMule's
	// user hash (aMule sets bytes 5 and 14 to 14 and 111 on loading).
	UserHash [16]byte
}

// AMule is an amuled started by [StartAMule]. Its methods are safe for
// concurrent use.
type AMule struct {
	Opts AMuleOptions
	cmd  *exec.Cmd
	done chan struct{}
	out  *syncBuffer
	once sync.Once
}

// ED2KAddr returns amuled's ed2k TCP address.
func (a *AMule) ED2KAddr() netip.AddrPort { return netip.AddrPortFrom(a.Opts.Address, a.Opts.TCPPort) }

// AMuleAvailable reports whether amuled is installed, or why not.
func AMuleAvailable() error {
	if _, err := exec.LookPath("amuled"); err != nil {
		return fmt.Errorf("amuled not installed (apt-get install amule-daemon): %w", err)
	}
	return nil
}

// StartAMule writes a configuration for a private, offline amuled and
// starts it: no servers, no UPnP, no IP filter, no version check, upload
// unthrottled, external connections on loopback only (amuled refuses to run
// without them). It returns once amuled accepts TCP connections and has
// hashed its shared files, or fails after the context ends.
func StartAMule(ctx context.Context, o AMuleOptions) (*AMule, error) {
	if err := AMuleAvailable(); err != nil {
		return nil, err
	}
	if o.TCPPort == 0 || o.UDPPort == 0 || o.ECPort == 0 {
		ports, err := FreePorts(3)
		if err != nil {
			return nil, err
		}
		o.TCPPort, o.UDPPort, o.ECPort = ports[0], ports[1], ports[2]
	}
	if err := writeAMuleConfig(o); err != nil {
		return nil, err
	}
	var args []string
	if o.NetNS != "" {
		args = append(args, "ip", "netns", "exec", o.NetNS)
	}
	args = append(args, "amuled", "-c", o.Dir, "-o")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "HOME="+o.Dir, "LANG=C.UTF-8")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, killed with the test binary if that dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start amuled: %w", err)
	}
	a := &AMule{Opts: o, cmd: cmd, done: make(chan struct{}), out: out}
	go func() { // owned by a: ends when amuled exits; Stop waits for it
		cmd.Wait()
		close(a.done)
	}()
	if err := a.waitReady(ctx); err != nil {
		a.Stop()
		return nil, fmt.Errorf("amuled did not start: %w\n%s", err, a.Log())
	}
	return a, nil
}

func (a *AMule) waitReady(ctx context.Context) error {
	for {
		select {
		case <-a.done:
			return errors.New("amuled exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		out, err := a.Command(ctx, "show shared")
		if err != nil {
			continue // not listening yet
		}
		if strings.Count(out, "\n > ") >= 2*len(a.Opts.Share) {
			return nil // two lines per shared file, once hashed
		}
	}
}

// Command runs an amulecmd command against this amuled over its external
// connection (on loopback, inside its namespace) and returns the output.
func (a *AMule) Command(ctx context.Context, command string) (string, error) {
	var args []string
	if a.Opts.NetNS != "" {
		args = append(args, "ip", "netns", "exec", a.Opts.NetNS)
	}
	args = append(args, "amulecmd", "-h", "127.0.0.1", "-p", fmt.Sprint(a.Opts.ECPort), "-P", ecPassword, "-c", command)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "HOME="+a.Opts.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Succeeded!") {
		return string(out), fmt.Errorf("amulecmd %q: %v: %s", command, err, out)
	}
	return string(out), nil
}

const ecPassword = "leakhunt-test"

// FreePorts returns n ports that are free for both TCP and UDP on all
// addresses right now (the kernel picks them; another process could take
// one before it is used, which tests accept).
func FreePorts(n int) ([]uint16, error) {
	var ports []uint16
	var closers []func() error
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		closers = append(closers, l.Close)
		port := uint16(l.Addr().(*net.TCPAddr).Port)
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(port)})
		if err != nil {
			continue // taken for UDP: try another
		}
		closers = append(closers, u.Close)
		ports = append(ports, port)
	}
	return ports, nil
}

// Log returns amuled's log file so far (its standard output is buffered
// until it exits), or its output if there is no log file.
func (a *AMule) Log() string {
	b, err := os.ReadFile(filepath.Join(a.Opts.Dir, "logfile"))
	if err != nil {
		return a.out.String()
	}
	return string(b)
}

// Stop terminates amuled (SIGTERM, then SIGKILL after 5 s) and waits for
// it. It is idempotent.
func (a *AMule) Stop() {
	a.once.Do(func() {
		pgid := a.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-a.done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-a.done
		}
	})
}

func writeAMuleConfig(o AMuleOptions) error {
	incoming, temp := filepath.Join(o.Dir, "Incoming"), filepath.Join(o.Dir, "Temp")
	for _, d := range []string{incoming, temp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for name, src := range o.Share {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(incoming, name), b, 0o644); err != nil {
			return err
		}
	}
	pass := md5.Sum([]byte(ecPassword))
	bool01 := map[bool]int{false: 0, true: 1}
	conf := fmt.Sprintf(`[eMule]
AppVersion=2.3.3
Nick=leakhunt-test-peer
Port=%d
UDPPort=%d
UDPEnable=1
Address=%s
Autoconnect=%d
Reconnect=%d
ConnectToKad=%d
ConnectToED2K=0
AddServerListFromServer=0
AddServerListFromClient=0
UPnPEnabled=0
MaxUpload=10000
MaxDownload=0
UploadCapacity=100000
DownloadCapacity=100000
SlotAllocation=100
MaxConnections=500
TempDir=%s
IncomingDir=%s
ICH=1
FilterLanIPs=0
ParanoidFiltering=0
IPFilterAutoLoad=0
IPFilterSystem=0
FilterLevel=0
NewVersionCheck=0
GeoIPEnabled=0
VerboseDebug=%d
VerboseDebugLogfile=%d
KadNodesUrl=
Ed2kServersUrl=
SeeShare=2
[ExternalConnect]
AcceptExternalConnections=1
ECAddress=127.0.0.1
ECPort=%d
ECPassword=%s
IpFilterClients=0
IpFilterServers=0
UseSecIdent=1
[Obfuscation]
IsClientCryptLayerSupported=1
IsCryptLayerRequested=0
IsClientCryptLayerRequired=0
[WebServer]
Enabled=0
`+debugConf[o.Debug], o.TCPPort, o.UDPPort, o.Address, bool01[o.Kad], bool01[o.Kad], bool01[o.Kad], temp, incoming, bool01[o.Debug], bool01[o.Debug], o.ECPort, hex.EncodeToString(pass[:]))
	if err := os.WriteFile(filepath.Join(o.Dir, "amule.conf"), []byte(conf), 0o600); err != nil {
		return err
	}
	if len(o.NodesDat) > 0 {
		if err := os.WriteFile(filepath.Join(o.Dir, "nodes.dat"), o.NodesDat, 0o644); err != nil {
			return err
		}
	}
	if o.UserHash != ([16]byte{}) {
		// preferences.dat: <version 0x14><user hash>
		if err := os.WriteFile(filepath.Join(o.Dir, "preferences.dat"), append([]byte{0x14}, o.UserHash[:]...), 0o644); err != nil {
			return err
		}
	}
	if o.KadID != (kad.ID{}) {
		// preferencesKad.dat: <IP u32><0 u16><Kad ID as four LE words><0 u8>
		b := make([]byte, 6, 23)
		for i := 0; i < 16; i += 4 {
			b = binary.LittleEndian.AppendUint32(b, binary.BigEndian.Uint32(o.KadID[i:i+4]))
		}
		b = append(b, 0)
		if err := os.WriteFile(filepath.Join(o.Dir, "preferencesKad.dat"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// debugConf turns on aMule's verbose logging of the client, Kad and
// socket categories.
var debugConf = map[bool]string{true: `[Debug]
Cat_ED2k Client=1
Cat_Local Client Protocol=1
Cat_Remote Client Protocol=1
Cat_Packet Parsing Errors=1
Cat_ListenSocket=1
Cat_Credits=1
Cat_Client Kademlia UDP=1
Cat_Kademlia Packet Tracking=1
Cat_Kademlia Indexing=1
Cat_Asio Sockets=1
`}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // keep the first MiB
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
