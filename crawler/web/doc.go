// Package web finds magnet, ed2k and .torrent links on web pages, RSS/Atom
// feeds and Torznab endpoints (Jackett, Prowlarr), and crawls them politely.
//
// # Extraction
//
// [ExtractPage] reads one HTML page without touching the network: it finds
// every magnet, ed2k and .torrent link (anchors and links pasted as text, as
// on bulletin boards), the name and size written around each (table row,
// list item, link text, "1.2 GB", "350 MiB", "1,234,567 bytes", full-width
// Japanese digits) and the next-page link (rel=next, "Next", "次へ", "»",
// page numbers). No per-site configuration is needed; a [Profile] of CSS
// selectors, loaded with [LoadProfiles], helps on sites the generic extractor
// reads poorly. [ExtractFeed] does the same for RSS and Atom feeds, including
// torrent enclosures, the ezRSS torrent:infoHash and torrent:magnetURI
// elements and Torznab attributes.
//
// # Crawling
//
// [Crawler] is a [crawler.Source] over a list of start URLs; [TorznabSource]
// searches a Torznab endpoint for the catalog's document names and per-case
// keywords on a schedule, asking its caps once (t=caps: whether it searches,
// how many results a page holds) and following each query's pages by offset
// ([Client.TorznabCaps], [Client.TorznabSearchPage]). Both fetch through a [Client], which:
//
//   - obeys robots.txt (cached per host) for the product token of
//     [Config.UserAgent] and its Crawl-delay;
//   - rate-limits each host and retries 5xx answers and timeouts with bounded
//     exponential backoff;
//   - sends conditional GETs on re-crawls, remembering ETag and Last-Modified
//     in a [StateStore];
//   - follows a bounded number of redirects itself, checking robots.txt at
//     every hop;
//   - caps every body after decompression (gzip, deflate, brotli), so a
//     compression bomb is cut with [ErrBodyTooLarge];
//   - decodes legacy charsets (Shift_JIS, EUC-JP, ...) from Content-Type,
//     <meta charset> or the bytes themselves;
//   - refuses, when the connection is made, private, loopback, link-local,
//     multicast and unspecified addresses unless [Config] allows them, so
//     redirects and DNS rebinding cannot reach internal hosts.
//
// Sightings carry the page or feed URL and the time (UTC): evidence of where a
// leak was advertised. Names and sizes are what the page said: data, never
// proof, and never used as file names.
package web
