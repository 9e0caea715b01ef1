package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/store"
)

func runCatalogAdd(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "catalog add", "[--case NAME] PATH...")
	caseName := fl.String("case", "", "case (client engagement) the documents belong to")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return usagef("catalog add: give at least one file or directory")
	}
	files, failed := expandPaths(e, fl.Args())
	h, err := c.openOrDial(ctx, true)
	if err != nil {
		return err
	}
	defer h.Close()
	for _, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fp, err := hashWithBar(c, e, f)
		if err != nil {
			e.printf("%v", err)
			failed = true
			continue
		}
		d, existed, err := h.addDocument(ctx, store.Document{Case: *caseName, Name: filepath.Base(f), Fingerprint: fp}, f)
		if err != nil {
			e.printf("%v", err)
			failed = true
			continue
		}
		if existed {
			fmt.Fprintf(e.stdout, "%d\t%s\t(already catalogued as %q)\n", d.ID, f, d.Name)
		} else {
			fmt.Fprintf(e.stdout, "%d\t%s\t%s\n", d.ID, f, d.SHA256)
		}
	}
	if failed {
		return errReported
	}
	return nil
}

func runCatalogList(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "catalog list", "[--json]")
	asJSON := fl.Bool("json", false, "print one JSON object per document")
	if err := parse(fl, args); err != nil {
		return err
	}
	h, err := c.openOrDial(ctx, false)
	if err != nil {
		return err
	}
	defer h.Close()
	docs, err := h.documents(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSONLines(e, docs)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCASE\tNAME\tSIZE\tSHA256")
	for _, d := range docs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", d.ID, d.Case, d.Name, d.Size, d.SHA256)
	}
	return tw.Flush()
}

func runCatalogRm(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "catalog rm", "ID...")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return usagef("catalog rm: give the ID of a document (see 'leakhunt catalog list')")
	}
	h, err := c.openOrDial(ctx, false)
	if err != nil {
		return err
	}
	defer h.Close()
	for _, a := range fl.Args() {
		id, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			return usagef("catalog rm: %q is not a document ID (see 'leakhunt catalog list')", a)
		}
		d, err := h.removeDocument(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "removed %d\t%s\n", d.ID, d.Name)
	}
	return nil
}

// addDocument catalogues a document from path: in the store, or through
// the running leakhunt, which copies it and matches it against the
// torrents it recorded.
func (h *storeOrHolder) addDocument(ctx context.Context, d store.Document, path string) (store.Document, bool, error) {
	if h.s != nil {
		return h.s.AddDocument(d, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return store.Document{}, false, err
	}
	res, err := h.cl.AddDocument(ctx, dashboard.AddDocumentRequest{Path: abs, Case: d.Case, Name: d.Name, Fingerprint: d.Fingerprint})
	if err != nil {
		return store.Document{}, false, remoteErr("catalog add", err)
	}
	return res.Document, res.Existed, nil
}

func (h *storeOrHolder) documents(ctx context.Context) ([]store.Document, error) {
	if h.s != nil {
		return h.s.Documents()
	}
	docs, err := h.cl.Documents(ctx)
	if err != nil {
		return nil, remoteErr("catalog list", err)
	}
	return docs, nil
}

func (h *storeOrHolder) removeDocument(ctx context.Context, id uint64) (store.Document, error) {
	if h.s != nil {
		return h.s.RemoveDocument(id)
	}
	d, err := h.cl.RemoveDocument(ctx, id)
	if err != nil {
		return store.Document{}, remoteErr("catalog rm", err)
	}
	return d, nil
}
