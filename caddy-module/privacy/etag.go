package privacy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
)

// file_server's ETag is the file's nanosecond mtime and size, so a clearnet
// Caddy serving the same folder sends the same ETag for every file: one
// request to each site links them. The onion site sends each ETag sealed
// under its own secret instead, and opens the tags a client sends back, so
// file_server (or the upstream) still compares its own tags and answers
// 304. The seal is deterministic (a cache must see the same tag for the
// same content) and authenticated (a tag the site did not make never
// matches): SIV, with an HMAC-SHA-256 of the tag as the AES-CTR IV.

// ErrNotSealed is returned by open for a tag this site did not seal.
var ErrNotSealed = errors.New("privacy: entity tag not sealed by this site")

// sivSize is the bytes of HMAC kept as a sealed tag's IV and authenticator.
const sivSize = 16

// maxTag bounds the entity tags opened or sealed; file_server's are ~20
// bytes, a reverse-proxied application's rarely more than 64.
const maxTag = 256

// sealCacheSize bounds the sealed tags kept: a site's hot files are sealed
// once, not per request.
const sealCacheSize = 4096

// sealer seals and opens entity tags under one site's secret.
type sealer struct {
	mac   []byte       // HMAC key
	block cipher.Block // AES-256

	sealed tagCache // opaque tag → sealed
	opened tagCache // sealed tag → opaque
}

// tagCache is a bounded map of tags, read on every response and so
// lock-free to read; when full it is emptied and the hot set fills it again.
type tagCache struct {
	m sync.Map
	n atomic.Int64
}

func (c *tagCache) get(k string) (string, bool) {
	v, ok := c.m.Load(k)
	if !ok {
		return "", false
	}
	return v.(string), true
}

func (c *tagCache) put(k, v string) {
	if c.n.Add(1) > sealCacheSize {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(k, v)
}

// newSealer derives the MAC and encryption keys from secret.
func newSealer(secret []byte) (*sealer, error) {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("torplus etag " + label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("enc"))
	if err != nil {
		return nil, err
	}
	return &sealer{mac: derive("mac"), block: block}, nil
}

// seal returns the entity tag to send for the origin's tag (`"…"` or
// `W/"…"`). A tag it cannot seal (malformed or too long) is dropped: "".
func (s *sealer) seal(tag string) string {
	weak, opaque, ok := splitTag(tag)
	if !ok || len(opaque) > maxTag {
		return ""
	}
	sealed, hit := s.sealed.get(opaque)
	if !hit {
		iv := s.siv(opaque)
		buf := make([]byte, sivSize+len(opaque))
		copy(buf, iv)
		cipher.NewCTR(s.block, iv).XORKeyStream(buf[sivSize:], []byte(opaque))
		sealed = base64.RawURLEncoding.EncodeToString(buf)
		s.sealed.put(opaque, sealed)
		s.opened.put(sealed, opaque)
	}
	return quote(weak, sealed)
}

// open returns the origin's tag for a tag seal made, or ErrNotSealed.
func (s *sealer) open(tag string) (string, error) {
	weak, sealed, ok := splitTag(tag)
	if !ok || len(sealed) > base64.RawURLEncoding.EncodedLen(sivSize+maxTag) {
		return "", ErrNotSealed
	}
	if opaque, hit := s.opened.get(sealed); hit { // sealed here, lately
		return quote(weak, opaque), nil
	}
	buf, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(buf) < sivSize {
		return "", ErrNotSealed
	}
	iv, ct := buf[:sivSize], buf[sivSize:]
	opaque := make([]byte, len(ct))
	cipher.NewCTR(s.block, iv).XORKeyStream(opaque, ct)
	if subtle.ConstantTimeCompare(iv, s.siv(string(opaque))) != 1 {
		return "", ErrNotSealed
	}
	return quote(weak, string(opaque)), nil
}

// quote makes an entity tag of an opaque part.
func quote(weak bool, opaque string) string {
	if weak {
		return `W/"` + opaque + `"`
	}
	return `"` + opaque + `"`
}

// siv is the synthetic IV of an opaque tag.
func (s *sealer) siv(opaque string) []byte {
	m := hmac.New(sha256.New, s.mac)
	m.Write([]byte(opaque))
	return m.Sum(nil)[:sivSize]
}

// splitTag parses an entity tag (RFC 9110 §8.8.3): `"opaque"` or
// `W/"opaque"`, the opaque part without quotes.
func splitTag(tag string) (weak bool, opaque string, ok bool) {
	tag = strings.TrimSpace(tag)
	if rest, found := strings.CutPrefix(tag, "W/"); found {
		weak, tag = true, rest
	}
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return false, "", false
	}
	opaque = tag[1 : len(tag)-1]
	if strings.ContainsAny(opaque, "\"\r\n") {
		return false, "", false
	}
	return weak, opaque, true
}
