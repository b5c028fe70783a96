package attention

import (
	"fmt"
	"io"
	"mime"
	"sync"
)

// bodies holds the buffers report bodies are read into: a busy site reads
// thousands of reports a second, and each is parsed into strings of its
// own before its buffer goes back.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, DefaultMaxBody+1); return &b }}

// readBody appends r's content to buf and returns it, ErrTooLarge past
// maxBody bytes, ErrMalformed if reading fails.
func readBody(r io.Reader, buf []byte, maxBody int64) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), int(maxBody)+1)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > maxBody {
			return buf, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBody)
		}
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
}

// commonTypes are the content types beacons send, as browsers write them:
// each stands for its media type without parameters worth parsing.
var commonTypes = map[string]string{
	"application/json":                                "application/json",
	"application/json;charset=UTF-8":                  "application/json",
	"text/plain":                                      "text/plain",
	"text/plain;charset=UTF-8":                        "text/plain",
	"application/x-www-form-urlencoded":               "application/x-www-form-urlencoded",
	"application/x-www-form-urlencoded;charset=UTF-8": "application/x-www-form-urlencoded",
}

// mediaType is mime.ParseMediaType, without its work for the content
// types beacons send.
func mediaType(ct string) (string, map[string]string, error) {
	if mt, ok := commonTypes[ct]; ok {
		return mt, nil, nil
	}
	if ct == "" {
		return "", nil, nil
	}
	return mime.ParseMediaType(ct)
}
