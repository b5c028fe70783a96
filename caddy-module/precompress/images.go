package precompress

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/jpeg"
	"image/png"

	"github.com/gen2brain/webp"
)

// MaxPixels bounds the images that get copies (4 megapixels: 2048 ×
// 2048, 2560 × 1600): making one holds the decoded image several times
// over (the decoder's planes, the encoder's RGBA input, its copy in the
// WebAssembly memory and libwebp's own buffers), about 35 bytes a pixel at
// the peak (a 3840 × 2160 photograph took the process to 295 MB resident),
// so at most about 150 MB, inside a pod's memory limit. A small file
// claiming a huge picture (a decompression bomb) is refused from its
// header, before anything is decoded. Larger images are sent as they are.
const MaxPixels = 4 << 20

// WebPQuality is the quality of the WebP copies of JPEG photographs:
// libwebp's scale, on which 75 is its default and 80 is what image CDNs
// commonly send. At 78 a photograph at screen size is about half its
// JPEG's bytes with no artefact visible at 100 % (bench/notes.md has the
// example site's figures). PNG images get lossless WebP copies: the same
// pixels, fewer bytes.
const WebPQuality = 78

// webpMethod is libwebp's effort (0 fast … 6 slow and smaller); 4 is its
// default.
const webpMethod = 4

// The reasons an image is sent as it is.
var (
	// ErrTooManyPixels: the image is larger than MaxPixels.
	ErrTooManyPixels = fmt.Errorf("%w: more than %d pixels", ErrKeptAsIs, MaxPixels)
	// ErrUnsupportedImage: a copy would not show the same picture (EXIF
	// rotation, a colour profile other than sRGB, CMYK, 16 bits a channel,
	// animation).
	ErrUnsupportedImage = fmt.Errorf("%w: its copy would not look the same", ErrKeptAsIs)
	// ErrBadImage: the file does not decode as its extension says.
	ErrBadImage = fmt.Errorf("%w: does not decode", ErrKeptAsIs)
)

// The encoder is libwebp compiled to WebAssembly (github.com/gen2brain/webp
// on wazero): no cgo, the same bytes on every machine. Build with
// -tags nodynamic (make build, the Dockerfile and bench/run do): without
// it the package also links purego, to try a system libwebp first, which
// makes a CGO_ENABLED=0 binary dynamically linked.

// imageKind is the JPEG and PNG images, with a WebP copy each, chosen by
// the request's Accept (the torplus_image_copies handler).
var imageKind = kind{
	exts:     map[string]bool{".jpg": true, ".jpeg": true, ".png": true},
	suffixes: []string{".webp"},
	make:     imageCopies,
}

// imageCopies is the WebP copy of a JPEG or PNG image (ext ".jpg",
// ".jpeg" or ".png"), or an error wrapping ErrKeptAsIs when it is to be
// sent as it is.
func imageCopies(ctx context.Context, ext string, data []byte) ([][]byte, error) {
	lossless := ext == ".png"
	decodeConfig, decode := jpeg.DecodeConfig, jpeg.Decode
	if lossless {
		decodeConfig, decode = png.DecodeConfig, png.Decode
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d", ErrTooManyPixels, cfg.Width, cfg.Height)
	}
	switch cfg.ColorModel {
	case color.CMYKModel, color.RGBA64Model, color.NRGBA64Model, color.Gray16Model:
		return nil, fmt.Errorf("%w: colour model %T", ErrUnsupportedImage, cfg.ColorModel.Convert(color.Black))
	}
	if err := checkMetadata(ext, data); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := webp.Encode(&out, img, webp.Options{Quality: WebPQuality, Method: webpMethod, Lossless: lossless}); err != nil {
		return nil, err
	}
	return [][]byte{out.Bytes()}, nil
}

// checkMetadata refuses the images whose copy would look different: the
// pixels are copied, their metadata is not.
func checkMetadata(ext string, data []byte) error {
	var m imageMeta
	var err error
	if ext == ".png" {
		m, err = pngMeta(data)
	} else {
		m, err = jpegMeta(data)
	}
	switch {
	case err != nil:
		return fmt.Errorf("%w: %v", ErrBadImage, err)
	case m.orientation > 1:
		return fmt.Errorf("%w: EXIF orientation %d", ErrUnsupportedImage, m.orientation)
	case m.profile && !m.sRGB:
		return fmt.Errorf("%w: a colour profile other than sRGB", ErrUnsupportedImage)
	case m.animated:
		return fmt.Errorf("%w: animated", ErrUnsupportedImage)
	}
	return nil
}
