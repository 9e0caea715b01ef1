// Package dashboard serves a store, and the hunt running over it, to
// people and programs: web pages, a JSON API under /api/, Prometheus
// metrics at /metrics, and a control socket beside the store through
// which the other leakhunt commands reach a store that a running hunt (or
// `leakhunt serve`) holds open.
//
// # Pages
//
// Overview (sources, rates, queues, evidence levels, charts), documents,
// matches (proofs apart from leads), peers (filtered and paged, each with
// its timeline of observations), ISPs (hosts per abuse contact and the
// letters of the latest report) and reports (made, verified, downloaded).
// Counters, charts and the peers table update themselves from server-sent
// events (/api/events) and the JSON API; the script that does it is a
// static file, so the Content-Security-Policy forbids every inline script.
//
// # Security
//
// Everything shown that came from the network (torrent, file and client
// names, page titles, tracker messages) goes through html/template's
// contextual escaping after [report.Text]. Every response carries a
// strict Content-Security-Policy, nosniff and frame-ancestors 'none'.
// A web listener on a loopback address serves the local user: requests
// must name a loopback host (no DNS rebinding). Any other address needs
// the access token kept beside the store ([LoadOrCreateToken]) on every
// request, compared in constant time. Requests that change something are
// POSTs carrying a per-process CSRF token (or the access token in an
// Authorization header), and cross-origin requests are refused
// (Sec-Fetch-Site, Origin). Request bodies, request rates, concurrent
// event streams and report runs are bounded; the server has read, write
// and idle timeouts.
//
// The control socket ([ListenControl]) is a Unix socket of mode 0600
// that accepts connections from processes of the same user only. It
// serves the same API plus what only the local user may ask: adding and
// removing catalogue documents by path, writing a report to a directory
// of the user's choosing and verifying the store. [Dial] finds it.
//
// # Peers at scale
//
// The peers view is an in-memory copy of the store's peer summaries
// ([store.Store.PeerSummaries]) kept current by folding the evidence-log
// records appended since, with the store's own rule
// ([evidence.Peer.Add]), into a sorted snapshot rebuilt at most every
// couple of seconds: a filtered page is a scan of that snapshot, never a
// read of the store. A refresh folds at most 50 ms of records, and
// refreshes take at most one part in 40 of the time: a hunt writing
// faster than that (tens of thousands of records a second) gets ahead of
// the view, whose pages say how far into the log they reflect, rather
// than losing its throughput to it.
package dashboard
