package payreq

import (
	"fmt"
	"net/url"
	"strings"
)

// ParseSEP7 reads a SEP-7 `web+stellar:pay?…` URI and returns its
// parameters, with the callback's "url:" prefix removed.
func ParseSEP7(uri string) (url.Values, error) {
	const prefix = "web+stellar:pay?"
	if !strings.HasPrefix(uri, prefix) {
		return nil, fmt.Errorf("%w: not a web+stellar:pay URI", ErrMalformed)
	}
	q, err := url.ParseQuery(uri[len(prefix):])
	if err != nil {
		return nil, fmt.Errorf("%w: SEP-7 query: %v", ErrMalformed, err)
	}
	if cb := q.Get("callback"); cb != "" {
		if !strings.HasPrefix(cb, "url:") {
			return nil, fmt.Errorf("%w: SEP-7 callback must start with url:", ErrMalformed)
		}
		q.Set("callback", strings.TrimPrefix(cb, "url:"))
	}
	return q, nil
}
