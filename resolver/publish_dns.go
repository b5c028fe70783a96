package resolver

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/torplus/torplus/internal/onion"
)

// DefaultTXTTTL is the TTL given to a published TXT record.
const DefaultTXTTTL = 300

// DNSUpdate publishes torplus.<domain> TXT records by RFC 2136 dynamic
// update, signed with TSIG, at the zone's primary server.
type DNSUpdate struct {
	Server  string        // the primary server, host:port
	Zone    string        // the zone to update; empty means the domain itself
	Key     *TSIGKey      // required
	TTL     uint32        // of the new record; zero means DefaultTXTTTL
	Timeout time.Duration // per exchange; zero means 5 seconds
	Now     func() time.Time
}

// DNSChange is a planned update: the records it removes and adds, in zone
// file form. An empty change means the record is already as wanted.
type DNSChange struct {
	Zone   string   `json:"zone"`
	Name   string   `json:"name"`
	Remove []string `json:"remove"`
	Add    []string `json:"add"`

	remove, add []dns.RR
}

// Empty reports whether the change changes nothing.
func (c *DNSChange) Empty() bool { return len(c.remove) == 0 && len(c.add) == 0 }

// Plan reads the current TXT records of torplus.<domain> from the server
// and works out the update that leaves exactly one torplus= record, for
// id. TXT records that are not torplus= are left alone.
func (u *DNSUpdate) Plan(ctx context.Context, domain string, id onion.ID) (*DNSChange, error) {
	name, err := TXTName(domain)
	if err != nil {
		return nil, err
	}
	zone := dns.Fqdn(strings.ToLower(strings.TrimSuffix(u.Zone, ".")))
	if u.Zone == "" {
		zone = strings.TrimPrefix(name, TXTLabel+".")
	}
	if !dns.IsSubDomain(zone, name) {
		return nil, fmt.Errorf("%w: %s is not inside zone %s", ErrUsage, name, zone)
	}
	d := &DNS{Server: u.Server, Timeout: u.Timeout}
	r, err := d.exchange(ctx, name, dns.TypeTXT, false)
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%w: %s answered %s", ErrLookup, name, dns.RcodeToString[r.Rcode])
	}
	ttl := u.TTL
	if ttl == 0 {
		ttl = DefaultTXTTTL
	}
	want := &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl},
		Txt: []string{onion.TXTValue(id)}}
	c := &DNSChange{Zone: zone, Name: name, Remove: []string{}, Add: []string{}}
	found := false
	for _, rr := range section(r.Answer, name, dns.TypeTXT) {
		txt := rr.(*dns.TXT)
		v := strings.Join(txt.Txt, "")
		if !strings.HasPrefix(strings.ToLower(v), onion.TXTPrefix) {
			continue
		}
		if !found && len(txt.Txt) == 1 && txt.Txt[0] == want.Txt[0] && txt.Hdr.Ttl == ttl {
			found = true
			continue
		}
		c.remove = append(c.remove, txt)
	}
	if !found {
		c.add = append(c.add, want)
	}
	for _, rr := range c.remove {
		c.Remove = append(c.Remove, rr.String())
	}
	for _, rr := range c.add {
		c.Add = append(c.Add, rr.String())
	}
	return c, nil
}

// Apply sends the planned change as one signed update. A refusal by the
// server, including a rejected key, is ErrRefused.
func (u *DNSUpdate) Apply(ctx context.Context, c *DNSChange) error {
	if c.Empty() {
		return nil
	}
	if u.Key == nil {
		return fmt.Errorf("%w: a dynamic update needs a TSIG key", ErrUsage)
	}
	m := new(dns.Msg)
	m.SetUpdate(c.Zone)
	if len(c.remove) > 0 {
		m.Remove(c.remove)
	}
	if len(c.add) > 0 {
		m.Insert(c.add)
	}
	now := time.Now
	if u.Now != nil {
		now = u.Now
	}
	m.SetTsig(u.Key.Name, u.Key.Algorithm, 300, now().Unix())
	d := &DNS{Server: u.Server}
	server, err := d.server()
	if err != nil {
		return err
	}
	timeout := u.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	cl := &dns.Client{Net: "tcp", Timeout: timeout, TsigSecret: map[string]string{u.Key.Name: u.Key.Secret}}
	r, _, err := cl.ExchangeContext(ctx, m, server)
	if r != nil && r.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("%w: %s answered %s to the update of %s", ErrRefused, server, dns.RcodeToString[r.Rcode], c.Name)
	}
	if err != nil {
		return fmt.Errorf("%w: update of %s at %s: %w", ErrLookup, c.Name, server, err)
	}
	return nil
}
