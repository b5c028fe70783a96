package paymentauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrJCS: the input cannot be put in JSON Canonicalization Scheme form
// (RFC 8785): it is not one I-JSON value (invalid UTF-8, a lone surrogate,
// a duplicate member name, a number beyond IEEE 754 double range).
var ErrJCS = errors.New("paymentauth: not canonicalisable JSON")

// maxDepth bounds nesting: the requests we emit are two levels deep, and a
// hostile input must not recurse without limit.
const maxDepth = 32

// Canonicalize returns the RFC 8785 form of one JSON value: members sorted
// by UTF-16 code units, no insignificant whitespace, strings with the
// minimal escapes, numbers as ECMAScript prints them. The Payment scheme
// binds the challenge id to the base64url of this form, so every
// implementation must produce the same bytes for the same request.
func Canonicalize(in []byte) ([]byte, error) {
	if !utf8.Valid(in) {
		return nil, fmt.Errorf("%w: invalid UTF-8", ErrJCS)
	}
	if err := checkSurrogates(in); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	var out bytes.Buffer
	if err := canonValue(dec, &out, 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrJCS)
	}
	return out.Bytes(), nil
}

// MarshalCanonical is json.Marshal followed by Canonicalize.
func MarshalCanonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Canonicalize(raw)
}

func canonValue(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrJCS, maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrJCS, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return canonArray(dec, out, depth)
		}
		return canonObject(dec, out, depth) // '{': Token never returns a closing one here
	case string:
		writeString(out, t)
	case json.Number:
		s, err := formatNumber(t)
		if err != nil {
			return err
		}
		out.WriteString(s)
	case bool:
		out.WriteString(strconv.FormatBool(t))
	case nil:
		out.WriteString("null")
	}
	return nil
}

func canonArray(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	out.WriteByte('[')
	for i := 0; dec.More(); i++ {
		if i > 0 {
			out.WriteByte(',')
		}
		if err := canonValue(dec, out, depth+1); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return fmt.Errorf("%w: %v", ErrJCS, err)
	}
	out.WriteByte(']')
	return nil
}

func canonObject(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	type member struct {
		key   string
		value []byte
	}
	var members []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrJCS, err)
		}
		key := tok.(string) // the decoder only yields strings as member names
		if seen[key] {
			return fmt.Errorf("%w: duplicate member %q", ErrJCS, key)
		}
		seen[key] = true
		var v bytes.Buffer
		if err := canonValue(dec, &v, depth+1); err != nil {
			return err
		}
		members = append(members, member{key, v.Bytes()})
	}
	if _, err := dec.Token(); err != nil { // '}'
		return fmt.Errorf("%w: %v", ErrJCS, err)
	}
	sort.Slice(members, func(i, j int) bool { return lessUTF16(members[i].key, members[j].key) })
	out.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			out.WriteByte(',')
		}
		writeString(out, m.key)
		out.WriteByte(':')
		out.Write(m.value)
	}
	out.WriteByte('}')
	return nil
}

// lessUTF16 orders member names by their UTF-16 code units, as RFC 8785
// section 3.2.3 requires; byte order differs for characters above U+FFFF.
func lessUTF16(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}
