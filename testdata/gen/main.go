// Command gen writes the synthetic leaked documents of internal/demodata
// into testdata/leaks:
//
//	go run ./testdata/gen -out testdata/leaks
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/leakhunt/leakhunt/internal/demodata"
)

func main() {
	out := flag.String("out", "testdata/leaks", "output directory")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for name, b := range demodata.Documents() {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
