package hunt

import (
	"context"
	"strconv"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// rematchedPrefix marks, in the store's state, the documents already
// matched against the torrents recorded before them (by document ID, which
// is never reused).
const rematchedPrefix = "rematched:"

// CatalogChanged tells a running pipeline that documents were added to or
// removed from the catalogue (by a command going through the running
// hunt). The pipeline reloads its index, so that new sightings match the
// new catalogue and removed documents are no longer probed, and matches
// every new document against the torrents already recorded with a file of
// its size: at once for those whose info dictionary is kept, by fetching
// their metadata again for the others. It returns at once; the work is
// done by [Pipeline.Run]. Safe for concurrent use.
func (p *Pipeline) CatalogChanged() {
	select {
	case p.catalogCh <- struct{}{}:
	default: // a change is pending already: it will see this one too
	}
}

// catalogLoop matches the documents catalogued while no hunt ran, then
// every new document on each catalogue change, until ctx is done or the
// sightings have ended (done). Fetches it needs go to fetches.
func (p *Pipeline) catalogLoop(ctx context.Context, done <-chan struct{}, fetches chan<- fetchJob) {
	p.rematch(ctx, fetches)
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-p.catalogCh:
			n, err := p.rec.Reload()
			if err != nil {
				p.log.Warn("reload catalogue", "err", err)
				continue
			}
			p.log.Info("catalogue changed", "documents", n)
			p.rematch(ctx, fetches)
		}
	}
}

// rematch matches each document not yet marked against the torrents
// recorded with a file of its size, then marks it.
func (p *Pipeline) rematch(ctx context.Context, fetches chan<- fetchJob) {
	docs, err := p.s.Documents()
	if err != nil {
		p.log.Warn("rematch: catalogue", "err", err)
		return
	}
	kv := p.s.KV(rematchedPrefix)
	for _, d := range docs {
		key := strconv.FormatUint(d.ID, 10)
		if _, ok := kv.Get(key); ok {
			continue
		}
		ihs, err := p.s.TorrentsWithFileSize(d.Size)
		if err != nil {
			p.log.Warn("rematch: torrents by size", "err", err)
			return
		}
		for _, ih := range ihs {
			if ctx.Err() != nil {
				return
			}
			p.rematchTorrent(ctx, ih, fetches)
		}
		if err := kv.Put(key, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
			p.log.Warn("rematch: mark", "err", err)
		}
		p.st.rematched.Add(1)
		p.log.Info("document matched against recorded torrents", "document", d.SHA256, "torrents", len(ihs))
	}
}

// rematchTorrent matches a recorded torrent against the catalogue again:
// from its kept info dictionary, or by fetching it again.
func (p *Pipeline) rematchTorrent(ctx context.Context, ih fingerprint.InfoHash, fetches chan<- fetchJob) {
	t, err := p.s.Torrent(ih)
	if err != nil {
		p.log.Warn("rematch: torrent", "infohash", ih, "err", err)
		return
	}
	if len(t.InfoBytes) > 0 {
		tor, err := fingerprint.ParseInfo(t.InfoBytes)
		if err != nil {
			p.log.Warn("rematch: stored info", "infohash", ih, "err", err)
			return
		}
		ms, err := p.rec.Torrent(tor, t.Source)
		p.countMatches(ms, err)
		return
	}
	p.refetch(ctx, t, fetches)
}

// refetch fetches the metadata of a torrent seen before, whose info
// dictionary was not kept because nothing matched it then.
func (p *Pipeline) refetch(ctx context.Context, t store.Torrent, fetches chan<- fetchJob) {
	if p.cfg.Fetcher == nil {
		return
	}
	p.seenMu.Lock()
	delete(p.seen, t.InfoHash)
	p.seenMu.Unlock()
	if !p.claim(t.InfoHash) {
		return // being fetched now, or failed a moment ago
	}
	select {
	case fetches <- fetchJob{ih: t.InfoHash, src: t.Source}:
	case <-ctx.Done():
		p.release(t.InfoHash, false)
	}
}
