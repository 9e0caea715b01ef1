// Package emulefixture runs eMule-network peers for tests.
package emulefixture
