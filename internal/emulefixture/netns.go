package emulefixture

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
)

// NetNS is a network namespace whose only interface is its loopback, which
// also holds the given addresses: they exist only inside it, nothing
// inside can reach the host's networks, and nothing outside can reach it. aMule refuses loopback and LAN addresses for Kad, so Kad
// tests run aMule and the client in one with addresses in 100.64.0.0/10.
type NetNS struct {
	Name  string
	Addrs []netip.Addr
}

// NetNSAvailable reports why network namespaces cannot be used here, or
// nil.
func NetNSAvailable() error {
	if os.Geteuid() != 0 {
		return errors.New("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("no ip command (iproute2): %w", err)
	}
	return nil
}

// NewNetNS creates the namespace name with addrs (each within
// 100.64.0.0/10) on its loopback interface. Close removes it.
func NewNetNS(name string, addrs []netip.Addr) (*NetNS, error) {
	if err := NetNSAvailable(); err != nil {
		return nil, err
	}
	cgnat := netip.MustParsePrefix("100.64.0.0/10")
	for _, a := range addrs {
		if !cgnat.Contains(a) {
			return nil, fmt.Errorf("netns address %v is not in %v", a, cgnat)
		}
	}
	n := &NetNS{Name: name, Addrs: addrs}
	if err := run("ip", "netns", "add", name); err != nil {
		return nil, err
	}
	steps := [][]string{{"ip", "-n", name, "link", "set", "lo", "up"}}
	for _, a := range addrs {
		steps = append(steps, []string{"ip", "-n", name, "addr", "add", a.String() + "/32", "dev", "lo"})
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

// Command returns a command that runs inside the namespace.
func (n *NetNS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Close deletes the namespace and its addresses.
func (n *NetNS) Close() error { return run("ip", "netns", "del", n.Name) }

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// RemoveStaleNetNS deletes namespaces named prefix followed by the process
// ID of a process that no longer exists: those a killed test run left.
func RemoveStaleNetNS(prefix string) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		pid, ok := strings.CutPrefix(name, prefix)
		if !ok || pid == "" || strings.Trim(pid, "0123456789") != "" {
			continue
		}
		if _, err := os.Stat("/proc/" + pid); os.IsNotExist(err) {
			run("ip", "netns", "del", name)
		}
	}
}
