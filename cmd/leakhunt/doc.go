// Command leakhunt finds leaked documents on file-sharing networks and
// records graded, signed evidence of the hosts that serve them.
//
//	leakhunt catalog add --case NAME FILE...   catalogue the leaked files
//	leakhunt match INPUT...                    prove torrents or links carry them
//	leakhunt hunt [--http 127.0.0.1:8080]      crawl, match, probe, store evidence
//	leakhunt serve                             the dashboard over a store, no hunt
//	leakhunt matches                           proven matches and leads, where seen
//	leakhunt peers --min-level L2              who serves what, graded
//	leakhunt report --out DIR                  letters, exports, evidence bundle
//	leakhunt key                               the signing key's fingerprint, to publish
//	leakhunt verify --key FINGERPRINT DIR      check a bundle or the store offline
//	leakhunt store copy FROM TO                move a case between bbolt and PostgreSQL
//	leakhunt demo                              all of it on a local swarm, offline
//	leakhunt version                           the version observations record
//
// 'leakhunt help COMMAND' (or 'leakhunt COMMAND -h') describes a command's
// flags; flags go before arguments. Only catalog add, hunt, crawl and watch
// create a store; the other commands refuse a missing one. --db (or
// LEAKHUNT_DB) is a bbolt file, or a postgres:// URL for a store several
// hunters share, each as its own --sensor with its own key and log; an
// unreachable server or a refused login is exit 2.
//
// A hunt (or serve) listens on a control socket beside the store; peers,
// matches, report, catalog and verify go through it while it runs.
//
// Results go to stdout; every message for people goes to stderr through
// one printer, prefixed "leakhunt:" (and "leakhunt: warning:" for
// warnings); logs (-v) and progress go to stderr too. Exit codes, all
// decided by exitCode: 0 ok, 1 nothing found (match) or verification
// failed (verify, validate, and report over a store that fails it), 2
// usage or input error (also a missing or damaged store, and a result that
// could not be stored), 130 interrupted.
package main
