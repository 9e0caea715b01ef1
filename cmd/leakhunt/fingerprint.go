package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/leakhunt/leakhunt/fingerprint"
)

func runFingerprint(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "fingerprint", "[--json] PATH...")
	asJSON := fl.Bool("json", false, "print one JSON object per file")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return usagef("fingerprint: give at least one file or directory")
	}
	files, failed := expandPaths(e, fl.Args())
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
		if *asJSON {
			if err := e.printJSON(fp); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(e.stdout, "%s\n  size      %d\n  md5       %s\n  sha1      %s\n  sha256    %s\n  ed2k      %s\n",
			fp.Path, fp.Size, fp.MD5, fp.SHA1, fp.SHA256, fp.ED2K)
		if fp.ED2KAlt != "" {
			fmt.Fprintf(e.stdout, "  ed2k_alt  %s\n", fp.ED2KAlt)
		}
		fmt.Fprintf(e.stdout, "  tth       %s\n", fp.TTH)
		if fp.BTv2Root != "" {
			fmt.Fprintf(e.stdout, "  btv2_root %s\n", fp.BTv2Root)
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// hashWithBar fingerprints one file, drawing a progress bar for big ones.
func hashWithBar(c *common, e *env, path string) (fingerprint.Fingerprint, error) {
	var opt fingerprint.Options
	if st, err := os.Stat(path); err == nil && st.Size() > 64<<20 {
		if bar := c.bar(e, st.Size(), filepath.Base(path), true); bar != nil {
			defer bar.Finish()
			opt.OnProgress = func(done int64) { bar.Set64(done) }
		}
	}
	return fingerprint.File(path, &opt)
}

// expandPaths walks directories (without following symlinked directories,
// so a symlink loop cannot trap the walk) and returns regular files and
// symlinks to files in a stable order. Problems are printed to stderr and
// reported through failed; the rest still gets processed.
func expandPaths(e *env, paths []string) (files []string, failed bool) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			e.printf("%s: %v", p, err)
			failed = true
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				e.printf("%s: %v", path, err)
				failed = true
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// Follow a link to a file; report a link to a directory or a loop.
				st, err := os.Stat(path)
				switch {
				case err != nil:
					e.printf("%s: %v", path, err)
					failed = true
					return nil
				case st.IsDir():
					e.warnf("%s: skipping symlink to a directory (give its target to include it)", path)
					return nil
				}
			}
			found = append(found, path)
			return nil
		})
		if err != nil {
			e.printf("%s: %v", p, err)
			failed = true
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, failed
}
