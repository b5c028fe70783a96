package onion

import (
	"fmt"
	"strings"
)

// Records are what a site owner publishes so visitors can find the onion
// service: a DNS TXT record on torplus.<domain> and an ENS contenthash.
type Records struct {
	ID     ID
	Domain string // the owner's domain; empty means "not configured"
}

// URL returns the site's address as a visitor types it.
func (r Records) URL() string { return "http://" + r.ID.Hostname() }

// TXTName returns the owner name of the TXT record (torplus.<domain>).
func (r Records) TXTName() string {
	d := strings.TrimSuffix(r.Domain, ".")
	if d == "" {
		d = "<your domain>"
	}
	return "torplus." + d
}

// TXTValue returns the TXT record's value, torplus=<id>.
func (r Records) TXTValue() string { return TXTValue(r.ID) }

// TXTValue returns the value of the DNS TXT record that points at id.
func TXTValue(id ID) string { return TXTPrefix + string(id) }

// TXTPrefix starts the value of every TorPlus TXT record.
const TXTPrefix = "torplus="

// OnionLocation returns the response header a clearnet site can send so that
// Tor Browser offers the onion address.
func (r Records) OnionLocation() string { return "Onion-Location: " + r.URL() + "/" }

// String renders the records ready to paste, one per line.
func (r Records) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "onion address:    %s\n", r.URL())
	fmt.Fprintf(&b, "DNS TXT record:   %s  TXT  %q\n", r.TXTName(), r.TXTValue())
	fmt.Fprintf(&b, "ENS contenthash:  %s\n", r.ID.ContentHashHex())
	fmt.Fprintf(&b, "clearnet header:  %s\n", r.OnionLocation())
	return b.String()
}
