package onion

import (
	"strings"
	"testing"
)

func TestRecordsString(t *testing.T) {
	r := Records{ID: torSpecID, Domain: "example.com."}
	want := []string{
		"http://" + torSpecID + ".onion",
		`torplus.example.com  TXT  "torplus=` + torSpecID + `"`,
		"0xbd0332356e6a71616d",
		"Onion-Location: http://" + torSpecID + ".onion/",
	}
	out := r.String()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("records lack %q:\n%s", w, out)
		}
	}
	if got := (Records{ID: torSpecID}).TXTName(); got != "torplus.<your domain>" {
		t.Errorf("TXTName without domain = %q", got)
	}
}
