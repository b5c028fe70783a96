package precompress

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/torplus/torplus/fuzz/caddyfilefuzz"
)

// TestUnmarshalCaddyfile: the file system's block and the
// torplus_image_copies directive set their options, and each mistake is
// refused with a message that names it.
func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		input, want, err string
	}{
		{"torplus_precompressed {\n root /srv\n cache /c\n}", "fs{/srv /c}", ""},
		{"torplus_image_copies", "copies{ }", ""},
		{"torplus_image_copies {\n fs site\n root /srv\n}", "copies{site /srv}", ""},
		{"torplus_image_copies site", "", "wrong argument count"},
		{"torplus_image_copies {\n fs\n}", "", "wrong argument count"},
		{"torplus_image_copies {\n fs a b\n}", "", "wrong argument count"},
		{"torplus_image_copies {\n fs a\n fs b\n}", "", "fs already specified"},
		{"torplus_image_copies {\n quality 80\n}", "", `unknown torplus_image_copies option "quality"`},
		{"torplus_precompressed {\n root a\n root b\n}", "", "root already specified"},
		{"torplus_precompressed {\n colour red\n}", "", `unknown torplus_precompressed option "colour"`},
		{"torplus_precompressed /srv", "", "wrong argument count"},
	}
	for _, tc := range tests {
		var got string
		var err error
		if strings.HasPrefix(tc.input, "torplus_image_copies") {
			var h ImageCopies
			err = h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			got = "copies{" + h.FileSystem + " " + h.Root + "}"
		} else {
			var f FS
			err = f.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			got = "fs{" + f.Root + " " + f.Cache + "}"
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.input, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %s, %v; want %s", tc.input, got, err, tc.want)
		}
	}
}

// FuzzUnmarshalCaddyfile feeds arbitrary text to the torplus_image_copies
// directive and the torplus_precompressed block.
func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, s := range []string{"torplus_image_copies", "torplus_image_copies {\n fs site\n root /srv\n}", "torplus_image_copies {\n fs a\n fs b\n}",
		"torplus_precompressed {\n root /srv\n cache /c\n}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		caddyfilefuzz.Check(t, func() *ImageCopies { return new(ImageCopies) }, in)
		caddyfilefuzz.Check(t, func() *FS { return new(FS) }, in)
	})
}
