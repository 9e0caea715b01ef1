package demodata

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestMatchesTestdata keeps the committed testdata/leaks equal to what the
// demo generates, so tests and the demo hunt the same documents.
func TestMatchesTestdata(t *testing.T) {
	docs := Documents()
	if len(docs) != 4 {
		t.Fatalf("%d documents", len(docs))
	}
	for name, b := range docs {
		want, err := os.ReadFile(filepath.Join("../../testdata/leaks", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s differs from testdata/leaks: run 'go run ./testdata/gen'", name)
		}
	}
}
