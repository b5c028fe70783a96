package resolver

import (
	"errors"
	"strings"
	"testing"

	"github.com/torplus/torplus/internal/onion"
)

// testID is a valid v3 id (the one in shared/reference/dns).
const testID = "5jfgyy7ctrjavpxvkb5rglwf7gkuo5vox27hxescd3vgsfcg2iwfmxqd"

func TestParseTXT(t *testing.T) {
	tests := []struct {
		name    string
		records [][]string
		want    onion.ID
		err     error
	}{
		{"one", [][]string{{"torplus=" + testID}}, testID, nil},
		{"split", [][]string{{"torplus=" + testID[:20], testID[20:]}}, testID, nil},
		{"suffix and case", [][]string{{"TorPlus=" + strings.ToUpper(testID) + ".onion"}}, testID, nil},
		{"others ignored", [][]string{{"v=spf1 -all"}, {"torplus=" + testID}}, testID, nil},
		{"none", [][]string{{"v=spf1 -all"}}, "", ErrNoRecord},
		{"empty", nil, "", ErrNoRecord},
		{"several", [][]string{{"torplus=" + testID}, {"torplus=" + testID + ".onion"}}, "", ErrMultipleRecords},
		{"bad checksum", [][]string{{"torplus=" + testID[:55] + "a"}}, "", onion.ErrInvalidID},
		{"short", [][]string{{"torplus=abc"}}, "", onion.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTXT(tt.records)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("ParseTXT = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// FuzzParseTXT feeds arbitrary record strings to the parser: it must never
// panic, and whatever it accepts must be a canonical valid id.
func FuzzParseTXT(f *testing.F) {
	f.Add("torplus="+testID, "", "")
	f.Add("torplus="+testID[:30], testID[30:], "v=spf1")
	f.Add("TORPLUS="+testID+".onion.", "", "torplus=x")
	f.Add("torplus=", "\x00\xff", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, recs := range [][][]string{{{a, b}, {c}}, {{a}, {b}, {c}}, {{a, b, c}}} {
			id, err := ParseTXT(recs)
			if err != nil {
				if OutcomeOf(err) == LookupFailed {
					t.Fatalf("unclassified error %v", err)
				}
				continue
			}
			if again, err := onion.ParseID(string(id)); err != nil || again != id {
				t.Fatalf("accepted %q, which does not reparse: %v", id, err)
			}
		}
	})
}
