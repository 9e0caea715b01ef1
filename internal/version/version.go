// Package version says which leakhunt is running, from the build
// information the Go toolchain embeds in every binary: the one version
// string that observations record, user agents carry and reports, letters
// and validation reports print.
//
// A binary built from a tagged module (go install ...@v1.2.0) carries
// that version; one built in a checkout carries the toolchain's
// pseudo-version of the commit, or else "devel-" and the commit's first
// 12 hex digits, with "+dirty" when the checkout had uncommitted changes;
// "devel" alone when there is no commit to name (tests, -buildvcs=false).
//
// Everything here is safe for concurrent use.
package version

import (
	"runtime/debug"
	"sync"
)

// torrentModule is the BitTorrent library whose version [Torrent] reports.
const torrentModule = "github.com/anacrolix/torrent"

var info = sync.OnceValues(debug.ReadBuildInfo)

// String returns leakhunt's version (see the package comment).
func String() string {
	bi, ok := info()
	return fromBuildInfo(bi, ok)
}

func fromBuildInfo(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	v := "devel-" + rev[:min(len(rev), 12)]
	if dirty {
		v += "+dirty"
	}
	return v
}

// Torrent returns the version of anacrolix/torrent built in, or "unknown".
func Torrent() string {
	bi, ok := info()
	return dependency(bi, ok, torrentModule)
}

func dependency(bi *debug.BuildInfo, ok bool, path string) string {
	if ok && bi != nil {
		for _, d := range bi.Deps {
			if d.Path != path {
				continue
			}
			if d.Replace != nil {
				d = d.Replace
			}
			if d.Version != "" {
				return d.Version
			}
		}
	}
	return "unknown"
}

// Go returns the Go toolchain the binary was built with.
func Go() string {
	if bi, ok := info(); ok && bi != nil && bi.GoVersion != "" {
		return bi.GoVersion
	}
	return "unknown"
}
