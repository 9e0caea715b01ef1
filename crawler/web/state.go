package web

import (
	"bytes"
	"sync"
)

// StateStore remembers small values between crawls (ETag, Last-Modified and
// the next-page URL of each fetched page). Implementations must be safe for
// concurrent use; Get returns a copy the caller may keep.
type StateStore interface {
	Get(key string) ([]byte, bool)
	// Put stores value under key; an error only costs a full GET later.
	Put(key string, value []byte) error
}

// MemoryState is an in-memory [StateStore], lost when the process ends. The
// zero value is ready to use; it is safe for concurrent use.
type MemoryState struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Get returns a copy of the value stored under key.
func (s *MemoryState) Get(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return bytes.Clone(v), ok
}

// Put stores a copy of value under key.
func (s *MemoryState) Put(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	s.m[key] = bytes.Clone(value)
	return nil
}

// Len returns the number of keys stored.
func (s *MemoryState) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
