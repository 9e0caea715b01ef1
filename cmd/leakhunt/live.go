package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// liveView prints a status block on stderr: redrawn in place every second
// when stderr is a terminal, as a plain log line every interval otherwise.
// status returns the lines to show. Stop it with the returned function,
// which prints the final status once more.
func liveView(ctx context.Context, e *env, c *common, interval time.Duration, status func(elapsed time.Duration) []string) (stop func()) {
	if c.quiet {
		return func() {}
	}
	term := isTerminal(e.stderr)
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	drawn := 0
	draw := func() {
		lines := status(time.Since(start).Truncate(time.Second))
		if !term {
			fmt.Fprintf(e.stderr, "%s %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(lines, " | "))
			return
		}
		var b strings.Builder
		if drawn > 0 {
			fmt.Fprintf(&b, "\x1b[%dA", drawn) // cursor up to redraw in place
		}
		for _, l := range lines {
			b.WriteString("\x1b[2K" + l + "\n")
		}
		drawn = len(lines)
		io.WriteString(e.stderr, b.String())
	}
	tick := interval
	if term {
		tick = time.Second
	}
	wg.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				draw()
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
		draw()
	}
}
