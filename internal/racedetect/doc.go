// Package racedetect reports whether the binary was built with -race, so
// that tests which count allocations can say why they do not run there: the
// race detector's instrumentation changes escape analysis and inlining, and
// with them the number of allocations a function makes.
package racedetect
