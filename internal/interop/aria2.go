package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"testing"
)

// spawnAria2 runs aria2c seeding tor (TCP only: aria2 has no uTP).
func spawnAria2(t testing.TB, tor *Torrent, opt Options) (*Peer, func()) {
	t.Helper()
	st := prepare(t, "aria2c", tor, opt)
	host, port, rpcPort := st.host, st.port, st.ctlPort
	args := []string{
		"--enable-rpc", fmt.Sprintf("--rpc-listen-port=%d", rpcPort), "--rpc-listen-all=false",
		fmt.Sprintf("--listen-port=%d", port), "--interface=" + host.String(), "--disable-ipv6=true",
		"--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
		"--seed-ratio=0.0", "--bt-seed-unverified=true", "--check-integrity=false", "--follow-torrent=false",
		"--no-conf=true", "--quiet=true", "-d", st.dataDir,
	}
	switch opt.Encryption {
	case Required:
		args = append(args, "--bt-require-crypto=true", "--bt-min-crypto-level=arc4")
	case Preferred:
		args = append(args, "--bt-min-crypto-level=arc4")
	}
	p := start(t, st.dir, false, st.bin, append(args, st.torrentPath)...)
	rpcURL := fmt.Sprintf("http://127.0.0.1:%d/jsonrpc", rpcPort)
	name := "aria2 " + opt.String()
	ready := func() {
		t.Helper()
		p.waitFor(t, name+" seeding", func() (bool, error) {
			var active []struct {
				Seeder string `json:"seeder"`
			}
			err := aria2Call(context.Background(), rpcURL, "aria2.tellActive", []any{[]string{"seeder"}}, &active)
			return err == nil && len(active) == 1 && active[0].Seeder == "true", err
		})
	}
	return &Peer{Name: name, Addr: netip.AddrPortFrom(host, uint16(port)), Downloaded: unsupported,
		PeerClients: func(context.Context) ([]string, error) { return nil, errors.ErrUnsupported }}, ready
}

func aria2Call(ctx context.Context, url, method string, params []any, out any) error {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": "1", "method": method, "params": params})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var res struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return err
	}
	if res.Error != nil {
		return fmt.Errorf("aria2 %s: %s", method, res.Error.Message)
	}
	return json.Unmarshal(res.Result, out)
}
