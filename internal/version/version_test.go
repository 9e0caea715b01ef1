package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, tt := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "devel"},
		{"tagged module", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, true, "v1.2.0"},
		{"pseudo-version", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260101120000-2555141a1b2c+dirty"}}, true,
			"v0.0.0-20260101120000-2555141a1b2c+dirty"},
		{"checkout", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: settings("vcs.revision", "2555141a1b2c3d4e5f60718293a4b5c6d7e8f901", "vcs.modified", "false")}, true, "devel-2555141a1b2c"},
		{"dirty checkout", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: settings("vcs.revision", "2555141a1b2c3d4e5f60718293a4b5c6d7e8f901", "vcs.modified", "true")}, true, "devel-2555141a1b2c+dirty"},
		{"no vcs", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "devel"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromBuildInfo(tt.bi, tt.ok); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDependency(t *testing.T) {
	bi := &debug.BuildInfo{Deps: []*debug.Module{
		{Path: "github.com/anacrolix/torrent", Version: "v1.61.0"},
		{Path: "example.com/replaced", Version: "v1.0.0", Replace: &debug.Module{Path: "../fork", Version: ""}},
	}}
	for _, tt := range []struct{ path, want string }{
		{torrentModule, "v1.61.0"},
		{"example.com/replaced", "unknown"},
		{"example.com/absent", "unknown"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			if got := dependency(bi, true, tt.path); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestThisBinary: a test binary has build information naming anacrolix/torrent.
func TestThisBinary(t *testing.T) {
	if v := String(); v == "" || strings.ContainsAny(v, " \t\n") {
		t.Errorf("String() = %q: want one token (it goes in user agents)", v)
	}
	if !strings.HasPrefix(Go(), "go") {
		t.Errorf("Go() = %q", Go())
	}
}
