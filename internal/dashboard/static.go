package dashboard

import (
	"embed"
	"net/http"
	"path"
)

//go:embed static/app.js static/app.css
var staticFS embed.FS

// serveStatic serves the script and the style sheet: the only script the
// pages run, from this origin, as the Content-Security-Policy requires.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	var ctype string
	switch name {
	case "app.js":
		ctype = "text/javascript; charset=utf-8"
	case "app.css":
		ctype = "text/css; charset=utf-8"
	default:
		http.NotFound(w, r)
		return
	}
	b, err := staticFS.ReadFile(path.Join("static", name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}
