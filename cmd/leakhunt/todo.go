package main

import "context"

func runCrawl(ctx context.Context, e *env, args []string) error {
	return usagef("crawl: not built yet")
}
func runWatch(ctx context.Context, e *env, args []string) error {
	return usagef("watch: not built yet")
}
func runHunt(ctx context.Context, e *env, args []string) error { return usagef("hunt: not built yet") }
func runDemo(ctx context.Context, e *env, args []string) error { return usagef("demo: not built yet") }
