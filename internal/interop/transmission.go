package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// spawnTransmission runs transmission-daemon seeding tor (it cannot turn
// TCP off).
func spawnTransmission(t testing.TB, tor *Torrent, opt Options) (*Peer, func()) {
	t.Helper()
	st := prepare(t, "transmission-daemon", tor, opt)
	dir, dataDir, host, port, rpcPort := st.dir, st.dataDir, st.host, st.port, st.ctlPort
	cfgDir := filepath.Join(dir, "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	settings, _ := json.Marshal(map[string]any{
		"bind-address-ipv4": host.String(), "bind-address-ipv6": "::1",
		"peer-port": port, "peer-port-random-on-start": false, "port-forwarding-enabled": false,
		"rpc-enabled": true, "rpc-bind-address": "127.0.0.1", "rpc-port": rpcPort,
		"rpc-authentication-required": false, "rpc-whitelist-enabled": false, "rpc-host-whitelist-enabled": false,
		"dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": opt.Transport != "tcp",
		// 0 clear preferred, 1 encryption preferred, 2 required.
		"encryption":   int(opt.Encryption),
		"download-dir": dataDir, "incomplete-dir-enabled": false, "start-added-torrents": true,
		"watch-dir-enabled": false, "message-level": 1,
	})
	if err := os.WriteFile(filepath.Join(cfgDir, "settings.json"), settings, 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, false, st.bin, "-f", "-g", cfgDir)
	rpc := &transmissionRPC{url: fmt.Sprintf("http://127.0.0.1:%d/transmission/rpc", rpcPort)}
	name := "Transmission " + opt.String()
	torrentFile, err := os.ReadFile(st.torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	ready := func() {
		t.Helper()
		ctx := context.Background()
		p.waitFor(t, name+" RPC", func() (bool, error) {
			var r struct{}
			err := rpc.call(ctx, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(torrentFile), "download-dir": dataDir}, &r)
			return err == nil, err
		})
		var st transmissionStatus
		p.waitFor(t, name+" seeding", func() (bool, error) {
			err := rpc.call(ctx, "torrent-get", map[string]any{"fields": []string{"percentDone", "status"}}, &st)
			// status 6 is seeding; 5 queued to seed counts too.
			return err == nil && len(st.Torrents) == 1 && st.Torrents[0].PercentDone == 1 && st.Torrents[0].Status >= 5, err
		})
	}
	return &Peer{
		Name: name,
		Addr: netip.AddrPortFrom(host, uint16(port)),
		Downloaded: func(ctx context.Context) (int64, error) {
			var st transmissionStatus
			if err := rpc.call(ctx, "torrent-get", map[string]any{"fields": []string{"downloadedEver"}}, &st); err != nil {
				return 0, err
			}
			if len(st.Torrents) != 1 {
				return 0, fmt.Errorf("transmission holds %d torrents", len(st.Torrents))
			}
			return st.Torrents[0].DownloadedEver, nil
		},
		PeerClients: func(ctx context.Context) ([]string, error) {
			var st transmissionStatus
			if err := rpc.call(ctx, "torrent-get", map[string]any{"fields": []string{"peers"}}, &st); err != nil || len(st.Torrents) != 1 {
				return nil, err
			}
			var out []string
			for _, p := range st.Torrents[0].Peers {
				out = append(out, p.ClientName)
			}
			return out, nil
		},
	}, ready
}

type transmissionStatus struct {
	Torrents []struct {
		PercentDone    float64 `json:"percentDone"`
		Status         int     `json:"status"`
		DownloadedEver int64   `json:"downloadedEver"`
		Peers          []struct {
			ClientName string `json:"clientName"`
		} `json:"peers"`
	} `json:"torrents"`
}

// transmissionRPC speaks Transmission's JSON RPC, with its session-id
// handshake (a 409 answer carries the id to send).
type transmissionRPC struct {
	url     string
	mu      sync.Mutex
	session string
}

func (r *transmissionRPC) call(ctx context.Context, method string, args any, out any) error {
	body, _ := json.Marshal(map[string]any{"method": method, "arguments": args})
	for range 2 {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		r.mu.Lock()
		req.Header.Set("X-Transmission-Session-Id", r.session)
		r.mu.Unlock()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusConflict {
			r.mu.Lock()
			r.session = resp.Header.Get("X-Transmission-Session-Id")
			r.mu.Unlock()
			resp.Body.Close()
			continue
		}
		var res struct {
			Result    string          `json:"result"`
			Arguments json.RawMessage `json:"arguments"`
		}
		err = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if res.Result != "success" {
			return fmt.Errorf("transmission %s: %s", method, res.Result)
		}
		return json.Unmarshal(res.Arguments, out)
	}
	return fmt.Errorf("transmission %s: no session id", method)
}
