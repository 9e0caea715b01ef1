package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// spawnQBittorrent runs qbittorrent-nox (libtorrent underneath, with
// qBittorrent's own settings) seeding tor.
func spawnQBittorrent(t testing.TB, tor *Torrent, opt Options) (*Peer, func()) {
	t.Helper()
	st := prepare(t, "qbittorrent-nox", tor, opt)
	dir, dataDir, host, port, webPort := st.dir, st.dataDir, st.host, st.port, st.ctlPort
	protocol := map[string]string{"": "Both", "tcp": "TCP", "utp": "UTP"}[opt.Transport]
	// Session\Encryption: 0 allow (prefer encrypted), 1 require, 2 off.
	enc := map[Encryption]int{Tolerated: 0, Preferred: 0, Required: 1}[opt.Encryption]
	conf := fmt.Sprintf(`[LegalNotice]
Accepted=true

[BitTorrent]
Session\Port=%d
Session\Interface=lo
Session\InterfaceName=lo
Session\InterfaceAddress=%s
Session\DHTEnabled=false
Session\LSDEnabled=false
Session\PeXEnabled=false
Session\Encryption=%d
Session\BTProtocol=%s
Session\DefaultSavePath=%s
Session\AddTorrentPaused=false
Session\GlobalMaxRatio=-1
Session\QueueingSystemEnabled=false

[Preferences]
WebUI\Port=%d
WebUI\Address=127.0.0.1
WebUI\LocalHostAuth=false
WebUI\CSRFProtection=false
WebUI\HostHeaderValidation=false
Connection\UPnP=false
General\UseRandomPort=false
`, port, host, enc, protocol, dataDir, webPort)
	confDir := filepath.Join(dir, "profile", "qBittorrent", "config")
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(confDir, "qBittorrent.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, false, st.bin, "--profile="+filepath.Join(dir, "profile"))
	api := fmt.Sprintf("http://127.0.0.1:%d/api/v2/", webPort)
	name := "qBittorrent " + opt.String()
	torrentFile, err := os.ReadFile(st.torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	info := func(ctx context.Context) (qbTorrent, error) {
		var ts []qbTorrent
		err := qbGet(ctx, api+"torrents/info", &ts)
		if err == nil && len(ts) != 1 {
			err = fmt.Errorf("qBittorrent holds %d torrents", len(ts))
		}
		if err != nil {
			return qbTorrent{}, err
		}
		return ts[0], nil
	}
	ready := func() {
		t.Helper()
		ctx := context.Background()
		p.waitFor(t, name+" web API", func() (bool, error) {
			err := qbAdd(ctx, api, torrentFile, dataDir)
			return err == nil, err
		})
		p.waitFor(t, name+" seeding", func() (bool, error) {
			ti, err := info(ctx)
			return err == nil && ti.Progress == 1 && (ti.State == "stalledUP" || ti.State == "uploading"), err
		})
	}
	return &Peer{
		Name: name,
		Addr: netip.AddrPortFrom(host, uint16(port)),
		Downloaded: func(ctx context.Context) (int64, error) {
			ti, err := info(ctx)
			return ti.Downloaded, err
		},
		PeerClients: func(ctx context.Context) ([]string, error) {
			ti, err := info(ctx)
			if err != nil {
				return nil, err
			}
			var res struct {
				Peers map[string]struct {
					Client string `json:"client"`
				} `json:"peers"`
			}
			if err := qbGet(ctx, api+"sync/torrentPeers?hash="+ti.Hash, &res); err != nil {
				return nil, err
			}
			var out []string
			for _, p := range res.Peers {
				out = append(out, p.Client)
			}
			return out, nil
		},
	}, ready
}

type qbTorrent struct {
	Hash       string  `json:"hash"`
	State      string  `json:"state"`
	Progress   float64 `json:"progress"`
	Downloaded int64   `json:"downloaded"`
}

func qbAdd(ctx context.Context, api string, torrentFile []byte, saveDir string) error {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("torrents", "t.torrent")
	if err != nil {
		return err
	}
	fw.Write(torrentFile)
	mw.WriteField("savepath", saveDir)
	mw.WriteField("skip_checking", "true")
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+"torrents/add", &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("qBittorrent torrents/add: %s", resp.Status)
	}
	return nil
}

func qbGet(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("qBittorrent %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
