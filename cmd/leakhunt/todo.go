package main

import "context"

func runCrawl(ctx context.Context, e *env, args []string) error {
	return usagef("crawl: not built yet")
}
func runWatch(ctx context.Context, e *env, args []string) error {
	return usagef("watch: not built yet")
}
func runHunt(ctx context.Context, e *env, args []string) error { return usagef("hunt: not built yet") }
func runReport(ctx context.Context, e *env, args []string) error {
	return usagef("report: not built yet")
}
func runVerify(ctx context.Context, e *env, args []string) error {
	return usagef("verify: not built yet")
}
func runDemo(ctx context.Context, e *env, args []string) error { return usagef("demo: not built yet") }
