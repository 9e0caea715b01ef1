package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// RemoteError is an error the process holding the store answered with.
type RemoteError struct {
	// Kind is "usage" (the request was wrong: the user's to fix),
	// "not-found", "busy" or "internal".
	Kind string
	Msg  string
}

func (e *RemoteError) Error() string { return e.Msg }

// IsUsage reports whether err is a remote usage error.
func IsUsage(err error) bool {
	var re *RemoteError
	return errors.As(err, &re) && (re.Kind == kindUsage || re.Kind == kindNotFound)
}

// maxAnswer bounds an answer read from the socket.
const maxAnswer = 1 << 30

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://leakhunt"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode != http.StatusOK {
		var ae apiError
		if err := dec.Decode(&ae); err != nil || ae.Error == "" {
			return &RemoteError{Kind: kindInternal, Msg: fmt.Sprintf("%s %s: %s", method, path, resp.Status)}
		}
		return &RemoteError{Kind: ae.Kind, Msg: ae.Error}
	}
	return dec.Decode(out)
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// Peers returns the peers a filter selects (see [ParsePeerFilter]); no
// limit returns them all.
func (c *Client) Peers(ctx context.Context, filter url.Values) (PeerPage, error) {
	var p PeerPage
	err := c.get(ctx, "/api/peers?"+filter.Encode(), &p)
	return p, err
}

// Overview returns the hunt's and the store's state.
func (c *Client) Overview(ctx context.Context) (Overview, error) {
	var ov Overview
	err := c.get(ctx, "/api/overview", &ov)
	return ov, err
}

// Documents lists the catalogue.
func (c *Client) Documents(ctx context.Context) ([]store.Document, error) {
	var ds []store.Document
	err := c.get(ctx, "/api/documents", &ds)
	return ds, err
}

// AddDocumentRequest catalogues a document: the process holding the store
// copies it from Path (an absolute path on this machine) and checks the
// copy against the fingerprint's SHA-256.
type AddDocumentRequest struct {
	Path        string                  `json:"path"`
	Case        string                  `json:"case,omitempty"`
	Name        string                  `json:"name"`
	Fingerprint fingerprint.Fingerprint `json:"fingerprint"`
}

// AddDocumentResult is the catalogued document, or the one with the same
// content catalogued before (Existed).
type AddDocumentResult struct {
	Document store.Document `json:"document"`
	Existed  bool           `json:"existed"`
}

// AddDocument catalogues a document; a running hunt matches it against
// the torrents it recorded.
func (c *Client) AddDocument(ctx context.Context, req AddDocumentRequest) (AddDocumentResult, error) {
	var res AddDocumentResult
	err := c.do(ctx, http.MethodPost, "/api/documents", req, &res)
	return res, err
}

// RemoveDocument removes a document from the catalogue (the evidence that
// names it stays).
func (c *Client) RemoveDocument(ctx context.Context, id uint64) (store.Document, error) {
	var d store.Document
	err := c.do(ctx, http.MethodPost, "/api/documents/remove", struct {
		ID uint64 `json:"id"`
	}{id}, &d)
	return d, err
}

// Matches lists the stored matches with where each was seen.
func (c *Client) Matches(ctx context.Context) ([]MatchRow, error) {
	var ms []MatchRow
	err := c.get(ctx, "/api/matches", &ms)
	return ms, err
}

// Report makes a report into req.Out, with req.Settings' files, and
// verifies it. It waits while another report is being made.
func (c *Client) Report(ctx context.Context, req ReportRequest) (*ReportResult, error) {
	var res ReportResult
	if err := c.do(ctx, http.MethodPost, "/api/reports", req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// VerifyStore verifies the store (see [CheckStore]).
func (c *Client) VerifyStore(ctx context.Context, want string) (*StoreCheck, error) {
	var sc StoreCheck
	err := c.do(ctx, http.MethodPost, "/api/verify", struct {
		Key string `json:"key,omitempty"`
	}{want}, &sc)
	if err != nil {
		return nil, err
	}
	return &sc, nil
}
