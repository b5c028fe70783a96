package precompress

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/gen2brain/webp"
)

// photo is a w×h picture with a photograph's mix of smooth light and fine
// detail, as a JPEG of quality 90 (what cameras and editors write).
func photo(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(24))
			img.Set(x, y, color.RGBA{uint8(x*255/w) / 2, uint8(y*255/h)/2 + 60, 90 + n, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// graphic is a w×h PNG logo: flat colours, a transparent corner.
func graphic(t testing.TB, w, h int) ([]byte, *image.NRGBA) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{0x6b, 0x2d, 0x8f, 0xff}
			if (x/8+y/8)%2 == 0 {
				c = color.NRGBA{0xf4, 0xe9, 0xd8, 0xff}
			}
			if x+y < w/4 {
				c.A = 0
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), img
}

// withSegment is a JPEG with one more segment (marker, payload) right
// after its SOI.
func withSegment(jpg []byte, marker byte, payload []byte) []byte {
	seg := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(append(append([]byte{0xff, 0xd8}, seg...), payload...), jpg[2:]...)
}

// exif is an APP1 Exif payload whose IFD0 holds one Orientation.
func exif(order binary.AppendByteOrder, orientation uint16) []byte {
	b := []byte("Exif\x00\x00")
	if order == binary.LittleEndian {
		b = append(b, "II*\x00"...)
	} else {
		b = append(b, "MM\x00*"...)
	}
	b = order.AppendUint32(b, 8)
	b = order.AppendUint16(b, 1)                         // one entry
	b = order.AppendUint16(b, 0x0112)                    // Orientation
	b = order.AppendUint16(b, 3)                         // SHORT
	b = order.AppendUint32(b, 1)                         // one value
	b = append(order.AppendUint16(b, orientation), 0, 0) // the value, padded
	return order.AppendUint32(b, 0)                      // no next IFD
}

// chunk is one PNG chunk with its CRC.
func chunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(append(c, typ...), data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// withChunk is a PNG with one more chunk right after its IHDR.
func withChunk(p []byte, typ string, data []byte) []byte {
	ihdrEnd := 8 + 12 + 13
	return append(append(append([]byte{}, p[:ihdrEnd]...), chunk(typ, data)...), p[ihdrEnd:]...)
}

// pngHeader is a PNG claiming w×h pixels with a few bytes of image data:
// the shape of a decompression bomb's header.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	p := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	p = append(p, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00})...)
	return append(p, chunk("IEND", nil)...)
}

// withSize is a JPEG whose frame header (SOF0) claims w×h.
func withSize(t *testing.T, jpg []byte, w, h uint16) []byte {
	t.Helper()
	b := bytes.Clone(jpg)
	i := bytes.Index(b, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// TestImageCopies: a photograph gets a smaller lossy WebP copy of the same
// size in pixels; a PNG gets a lossless one with the same pixels; every
// image whose copy would look different, that claims more than MaxPixels
// or that does not decode is sent as it is, with the reason (which error)
// and without decoding a bomb.
func TestImageCopies(t *testing.T) {
	jpg := photo(t, 640, 427)
	pngData, pngImg := graphic(t, 64, 64)
	var gray16 bytes.Buffer
	png.Encode(&gray16, image.NewGray16(image.Rect(0, 0, 32, 32)))
	tests := []struct {
		name, ext string
		data      []byte
		want      error
	}{
		{"photograph", ".jpg", jpg, nil},
		{"photograph .jpeg", ".jpeg", jpg, nil},
		{"upright EXIF", ".jpg", withSegment(jpg, 0xe1, exif(binary.BigEndian, 1)), nil},
		{"rotated EXIF (II)", ".jpg", withSegment(jpg, 0xe1, exif(binary.LittleEndian, 6)), ErrUnsupportedImage},
		{"rotated EXIF (MM)", ".jpg", withSegment(jpg, 0xe1, exif(binary.BigEndian, 8)), ErrUnsupportedImage},
		{"sRGB profile", ".jpg", withSegment(jpg, 0xe2, []byte("ICC_PROFILE\x00\x01\x01....desc sRGB IEC61966-2.1")), nil},
		{"Display P3 profile", ".jpg", withSegment(jpg, 0xe2, []byte("ICC_PROFILE\x00\x01\x01....desc Display P3")), ErrUnsupportedImage},
		{"truncated EXIF", ".jpg", withSegment(jpg, 0xe1, []byte("Exif\x00\x00MM\x00*\x00\x00\x00\x40")), ErrBadImage},
		{"JPEG over MaxPixels", ".jpg", withSize(t, jpg, 2049, 2048), ErrTooManyPixels},
		{"JPEG of 65535×65535 (bomb)", ".jpg", withSize(t, jpg, 65535, 65535), ErrTooManyPixels},
		{"truncated JPEG", ".jpg", jpg[:len(jpg)/2], ErrBadImage},
		{"not a JPEG", ".jpg", pngData, ErrBadImage},
		{"graphic", ".png", pngData, nil},
		{"APNG", ".png", withChunk(pngData, "acTL", make([]byte, 8)), ErrUnsupportedImage},
		{"PNG with a profile", ".png", withChunk(pngData, "iCCP", []byte("Display P3\x00\x00x")), ErrUnsupportedImage},
		{"16-bit PNG", ".png", gray16.Bytes(), ErrUnsupportedImage},
		{"PNG of 100000×100000 (bomb)", ".png", pngHeader(100000, 100000), ErrTooManyPixels},
		{"PNG of 0×0", ".png", pngHeader(0, 0), ErrBadImage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			copies, err := imageCopies(context.Background(), tc.ext, tc.data)
			runtime.ReadMemStats(&after)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || !errors.Is(err, ErrKeptAsIs) || copies != nil {
					t.Fatalf("%d copies, %v; want %v", len(copies), err, tc.want)
				}
				if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
					t.Fatalf("refusing it allocated %d MB", grew>>20)
				}
				return
			}
			if err != nil || len(copies) != 1 {
				t.Fatalf("%d copies, %v", len(copies), err)
			}
			c := copies[0]
			got, err := webp.Decode(bytes.NewReader(c)) // as YCbCr 4:2:0
			if err != nil {
				t.Fatalf("the copy does not decode: %v", err)
			}
			if tc.ext == ".png" {
				if len(c) >= len(tc.data) {
					t.Fatalf("lossless copy %d bytes, the PNG %d", len(c), len(tc.data))
				}
				samePixels(t, pngImg, c)
				return
			}
			if got.Bounds().Dx() != 640 || got.Bounds().Dy() != 427 {
				t.Fatalf("copy of %v, want 640×427", got.Bounds())
			}
			if len(c) > len(tc.data)*80/100 {
				t.Fatalf("copy %d bytes of a %d-byte JPEG, want a fifth less at least", len(c), len(tc.data))
			}
			t.Logf("%d-byte JPEG → %d-byte WebP (%.2f)", len(tc.data), len(c), float64(len(c))/float64(len(tc.data)))
		})
	}
}

// samePixels fails unless the WebP c holds want's pixels (the colour of
// a transparent one aside).
func samePixels(t *testing.T, want image.Image, c []byte) {
	t.Helper()
	all, err := webp.DecodeAll(bytes.NewReader(c)) // as RGBA
	if err != nil {
		t.Fatalf("the copy does not decode: %v", err)
	}
	got := all.Image[0]
	if got.Bounds() != want.Bounds() {
		t.Fatalf("copy of %v, want %v", got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
			g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
			if w != g && (w.A != 0 || g.A != 0) {
				t.Fatalf("pixel %d,%d: %v, want %v", x, y, g, w)
			}
		}
	}
}

// TestWWWExampleImages: the example site's images, as the benchmark
// loads them, get copies; their sizes are the figures of bench/notes.md.
func TestWWWExampleImages(t *testing.T) {
	names := []string{"field.92f1c85100.jpg", "harvest.8e39b2cca4.jpg", "layers.f26a842bbe.jpg", "market.fb0dfe3524.jpg", "onion.png"}
	var from, to int
	for _, name := range names {
		data, err := os.ReadFile("../../www-example/img/" + name)
		if err != nil {
			t.Fatal(err)
		}
		ext := name[bytes.LastIndexByte([]byte(name), '.'):]
		copies, err := imageCopies(context.Background(), ext, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %d → %d bytes", name, len(data), len(copies[0]))
		if ext == ".png" {
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			samePixels(t, img, copies[0])
		}
		from, to = from+len(data), to+min(len(data), len(copies[0]))
	}
	if to > from*80/100 {
		t.Fatalf("the images' %d bytes went to %d, want a fifth less at least", from, to)
	}
	t.Logf("all: %d → %d bytes (%.2f)", from, to, float64(to)/float64(from))
}

// FuzzImageMeta: the metadata readers take any bytes without panicking
// or reading out of bounds, and a file that is neither format is refused.
func FuzzImageMeta(f *testing.F) {
	jpg := photo(f, 16, 16)
	p, _ := graphic(f, 16, 16)
	f.Add(withSegment(jpg, 0xe1, exif(binary.LittleEndian, 6)))
	f.Add(withSegment(jpg, 0xe2, []byte("ICC_PROFILE\x00\x01\x01sRGB")))
	f.Add(withChunk(p, "acTL", make([]byte, 8)))
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		jm, jerr := jpegMeta(b)
		pm, perr := pngMeta(b)
		if jerr == nil && perr == nil {
			t.Fatalf("both a JPEG (%+v) and a PNG (%+v)", jm, pm)
		}
	})
}
