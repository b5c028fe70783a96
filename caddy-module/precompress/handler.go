package precompress

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(ImageCopies{})
}

// imageTypes are the media types of the images with copies and of their
// copies, by extension and suffix.
var imageTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
	".webp": "image/webp",
}

// ImageCopies is the torplus_image_copies HTTP handler, right before a
// file_server that reads a torplus_precompressed file system: a GET or
// HEAD of a JPEG or PNG image whose Accept names the type of one of its
// copies (image/webp) explicitly, with no lower weight than the image's
// own type, goes on to file_server as a request for "<path>.webp", which
// the file system maps to the copy, while one is fresh. So the copy goes
// out as the image does: as a file (sendfile, the meter's count), with
// its own ETag (its size differs), Range and conditional requests
// answered by file_server, its Content-Type from its suffix. Every answer
// for such an image says `Vary: Accept`. Clients that send only */* (or
// image/*) get the original: older browsers do, and may not decode
// WebP.
//
// JSON: {"handler": "torplus_image_copies", "fs": "site"}
//
// Caddyfile (ordered before file_server):
//
//	torplus_image_copies {
//		fs   site
//		root /srv/site
//	}
type ImageCopies struct {
	// FileSystem is the name of the torplus_precompressed file system
	// the file_server after this handler reads (its "fs").
	FileSystem string `json:"fs,omitempty"`
	// Root is the site's folder, as the file_server's "root"; default
	// {http.vars.root}.
	Root string `json:"root,omitempty"`

	fsmap caddy.FileSystems
}

// CaddyModule returns the Caddy module information.
func (ImageCopies) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.torplus_image_copies", New: func() caddy.Module { return new(ImageCopies) }}
}

// Provision takes Caddy's file systems, which it looks FileSystem up in
// on each request (as file_server does).
func (h *ImageCopies) Provision(ctx caddy.Context) error {
	h.fsmap = ctx.FileSystems()
	if h.Root == "" {
		h.Root = "{http.vars.root}"
	}
	return nil
}

// ServeHTTP sends the request on for the copy the client prefers, if it
// is there, else as it came.
func (h *ImageCopies) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return next.ServeHTTP(w, r)
	}
	ext := strings.ToLower(path.Ext(r.URL.Path))
	own := imageTypes[ext]
	if !imageKind.exts[ext] {
		return next.ServeHTTP(w, r)
	}
	w.Header().Add("Vary", "Accept")
	suffixes := preferredCopies(r.Header.Values("Accept"), own)
	if len(suffixes) == 0 {
		return next.ServeHTTP(w, r)
	}
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if repl == nil {
		return next.ServeHTTP(w, r)
	}
	fsys, ok := h.fsmap.Get(repl.ReplaceAll(h.FileSystem, ""))
	if !ok {
		return next.ServeHTTP(w, r)
	}
	filename := caddyhttp.SanitizedPathJoin(repl.ReplaceAll(h.Root, "."), r.URL.Path)
	for _, suffix := range suffixes {
		if info, err := fs.Stat(fsys, filename+suffix); err != nil || !info.Mode().IsRegular() {
			continue
		}
		u := *r.URL
		u.Path, u.RawPath = r.URL.Path+suffix, ""
		forCopy := r.WithContext(r.Context())
		forCopy.URL = &u
		err := next.ServeHTTP(w, forCopy)
		var herr caddyhttp.HandlerError
		if errors.As(err, &herr) && herr.StatusCode == http.StatusNotFound {
			// the file changed between the two looks (file_server's 404
			// has written nothing): the original, as it is now
			return next.ServeHTTP(w, r)
		}
		return err
	}
	return next.ServeHTTP(w, r)
}

// preferredCopies are the suffixes of the copies that the Accept lines
// prefer to an image of type own, best first: those whose type is named
// explicitly (not through */* or image/*) with a weight above zero and no
// lower than own's.
func preferredCopies(accept []string, own string) []string {
	if len(accept) == 0 {
		return nil
	}
	ownQ, _ := acceptWeight(accept, own)
	type choice struct {
		suffix string
		q      int
	}
	var choices []choice
	for _, suffix := range imageKind.suffixes {
		q, match := acceptWeight(accept, imageTypes[suffix])
		if match == matchSubtype && q > 0 && q >= ownQ {
			choices = append(choices, choice{suffix, q})
		}
	}
	slices.SortStableFunc(choices, func(a, b choice) int { return b.q - a.q })
	best := make([]string, len(choices))
	for i, c := range choices {
		best[i] = c.suffix
	}
	return best
}

var (
	_ caddy.Provisioner           = (*ImageCopies)(nil)
	_ caddyhttp.MiddlewareHandler = (*ImageCopies)(nil)
)
