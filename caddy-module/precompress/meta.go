package precompress

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// imageMeta is what an image's metadata says about how it is shown, which
// a copy of its pixels alone would lose.
type imageMeta struct {
	orientation   int  // EXIF orientation (1 upright, 0 none given)
	profile, sRGB bool // an ICC colour profile is embedded; it names sRGB
	animated      bool // an APNG
}

// errTruncated is returned for metadata cut short or pointing past its end.
var errTruncated = errors.New("metadata truncated")

// jpegMeta reads the segments of a JPEG file (ITU-T T.81 Annex B) up to
// its first scan: APP1 Exif for the orientation (CIPA DC-008, TIFF tag
// 0x0112 in IFD0), APP2 ICC_PROFILE for a colour profile (ICC.1 Annex
// B.4). A profile "names sRGB" when any of its chunks holds the word,
// as the description tag of every common sRGB profile does.
func jpegMeta(b []byte) (imageMeta, error) {
	var m imageMeta
	if len(b) < 2 || b[0] != 0xff || b[1] != 0xd8 {
		return m, errors.New("not a JPEG")
	}
	for i := 2; ; {
		for i < len(b) && b[i] == 0xff && i+1 < len(b) && b[i+1] == 0xff { // fill bytes
			i++
		}
		if i+4 > len(b) || b[i] != 0xff {
			return m, errTruncated
		}
		marker := b[i+1]
		if marker == 0xda || marker == 0xd9 { // start of scan, end of image
			return m, nil
		}
		if marker == 0x01 || 0xd0 <= marker && marker <= 0xd7 { // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return m, errTruncated
		}
		seg := b[i+4 : i+2+n]
		switch {
		case marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")):
			o, err := exifOrientation(seg[6:])
			if err != nil {
				return m, err
			}
			m.orientation = max(m.orientation, o)
		case marker == 0xe2 && bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00")):
			m.profile = true
			m.sRGB = m.sRGB || bytes.Contains(seg, []byte("sRGB"))
		}
		i += 2 + n
	}
}

// exifOrientation reads the Orientation tag of IFD0 of a TIFF structure
// (TIFF 6.0 §2), 0 when it has none.
func exifOrientation(t []byte) (int, error) {
	if len(t) < 8 {
		return 0, errTruncated
	}
	var order binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 0, errors.New("not a TIFF header")
	}
	ifd := order.Uint32(t[4:])
	if uint64(ifd)+2 > uint64(len(t)) {
		return 0, errTruncated
	}
	count := int(order.Uint16(t[ifd:]))
	entries := t[ifd+2:]
	if count*12 > len(entries) {
		return 0, errTruncated
	}
	for k := range count {
		e := entries[k*12 : k*12+12]
		if order.Uint16(e) == 0x0112 && order.Uint16(e[2:]) == 3 { // Orientation, SHORT
			return int(order.Uint16(e[8:])), nil
		}
	}
	return 0, nil
}

// pngMeta reads the chunks of a PNG file (W3C PNG, third edition) before
// its image data: acTL makes it an APNG, iCCP embeds a profile, which
// names sRGB when its name says so (the profile itself is compressed).
func pngMeta(b []byte) (imageMeta, error) {
	var m imageMeta
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		return m, errors.New("not a PNG")
	}
	for i := 8; ; {
		if i+8 > len(b) {
			return m, errTruncated
		}
		n := uint64(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if uint64(i)+12+n > uint64(len(b)) {
			return m, errTruncated
		}
		data := b[i+8 : i+8+int(n)]
		switch typ {
		case "IDAT", "IEND":
			return m, nil
		case "acTL":
			m.animated = true
		case "iCCP":
			name, _, _ := bytes.Cut(data, []byte{0})
			m.profile = true
			m.sRGB = bytes.Contains(name, []byte("sRGB"))
		}
		i += 12 + int(n)
	}
}
