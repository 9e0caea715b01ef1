package report

import "github.com/leakhunt/leakhunt/evidence"

// Text is what reports show of a network-supplied string (a torrent or
// file name, a client string, a page title): control, bidirectional and
// other format characters made visible as escapes, cut to 200 characters.
// Pages that show such strings use it too, so that everything leakhunt
// shows reads the same. It does not escape for HTML: templates do.
func Text(s string) string { return field(s) }

// LevelName is "L4 served" in the language ("en" or "ja").
func LevelName(lang string, l evidence.Level) string { return levelName(lang, l) }

// LevelMeaning is what an observation at level l proves, in plain words
// of the language: the text letters and annexes use.
func LevelMeaning(lang string, l evidence.Level) string { return levelMeaning(lang, l) }
