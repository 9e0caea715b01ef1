package web

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// DownloadTorrent fetches a .torrent file, capped at Config.MaxTorrentBytes
// and checked to be well-formed bencode. When the server redirects to a
// magnet URI instead (Jackett, Prowlarr), it returns that URI and no bytes.
func (c *Client) DownloadTorrent(ctx context.Context, u *url.URL) (torrent []byte, magnet string, err error) {
	res, err := c.fetch(ctx, u, fetchOptions{maxBytes: c.cfg.MaxTorrentBytes, accept: "application/x-bittorrent"})
	if err != nil {
		return nil, "", fmt.Errorf("download torrent: %w", err)
	}
	if res.Magnet != "" {
		return nil, res.Magnet, nil
	}
	lim := fingerprint.TorrentFileLimits()
	lim.MaxBytes = int(min(c.cfg.MaxTorrentBytes, int64(lim.MaxBytes)))
	if err := fingerprint.CheckBencode(res.Body, lim); err != nil {
		return nil, "", fmt.Errorf("download torrent %s: %w", redactURL(res.URL), err)
	}
	return res.Body, "", nil
}

// emitLinks turns links into sightings and emits them; .torrent links are
// downloaded (at most *budget of them) when Config.FetchTorrents is set. A
// failed download is logged and the link emitted without bytes. It returns
// the number emitted and stops early when ctx is done.
func (c *Client) emitLinks(ctx context.Context, links []Link, source, pageURL string, usePage bool, budget *int, emit func(crawler.Sighting)) int {
	n := 0
	for _, l := range links {
		if ctx.Err() != nil {
			return n
		}
		s := crawler.Sighting{
			InfoHash: l.InfoHash,
			Link:     redactLink(l.URL),
			Source:   source,
			URL:      pageURL,
			Name:     l.Name,
			Size:     l.Size,
		}
		if usePage && l.Page != "" {
			s.URL = l.Page
		}
		if l.Kind == LinkTorrent && c.cfg.FetchTorrents && *budget > 0 {
			*budget--
			if tu, err := url.Parse(l.URL); err == nil {
				b, magnet, err := c.DownloadTorrent(ctx, tu)
				switch {
				case err != nil:
					c.log.Debug("torrent not downloaded", "url", redactURL(tu), "err", err)
				case magnet != "":
					s.Link = magnet
					if fl, err := fingerprint.ParseLink(magnet); err == nil && !fl.BTIH.IsZero() && s.InfoHash.IsZero() {
						s.InfoHash = fl.BTIH
					}
				default:
					s.Torrent = b
				}
			}
		}
		if ctx.Err() != nil {
			return n
		}
		s.Time = time.Now().UTC()
		emit(s)
		n++
	}
	return n
}
