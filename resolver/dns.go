package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DNS looks up torplus.<domain> TXT records.
type DNS struct {
	// Server is the DNS server to ask, host:port. Empty means the first
	// nameserver of /etc/resolv.conf.
	Server string
	// Timeout bounds each query; zero means 5 seconds.
	Timeout time.Duration
	// RequireAD makes an answer count only when the server set the AD bit,
	// i.e. a validating resolver vouches for it (ErrNotValidated otherwise).
	RequireAD bool
	// Anchor, when set, is the DS record of a zone that encloses the name;
	// the answer is then validated here: DS → DNSKEY → RRSIG (or, for an
	// absent record, the signed NSEC proving it).
	Anchor *dns.DS
	// Now is the clock signatures are checked against; nil means time.Now.
	Now func() time.Time
}

// TXTName returns the owner name of a domain's TorPlus TXT record.
func TXTName(domain string) (string, error) {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	if d == "" {
		return "", fmt.Errorf("%w: empty domain", ErrUsage)
	}
	name := dns.Fqdn(TXTLabel + "." + d)
	if _, ok := dns.IsDomainName(name); !ok || strings.ContainsAny(d, " \\\"();@$") {
		return "", fmt.Errorf("%w: %q is not a domain name", ErrUsage, domain)
	}
	return name, nil
}

// Lookup returns the onion id published for domain in torplus.<domain> TXT.
func (d *DNS) Lookup(ctx context.Context, domain string) (*Result, error) {
	name, err := TXTName(domain)
	if err != nil {
		return nil, err
	}
	res := &Result{Name: name, Source: SourceDNS, DNSSEC: DNSSECNone}
	r, err := d.query(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	switch r.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	case dns.RcodeServerFailure:
		return nil, d.servfail(ctx, name)
	default:
		return nil, fmt.Errorf("%w: %s answered %s", ErrLookup, name, dns.RcodeToString[r.Rcode])
	}
	if d.RequireAD && !r.AuthenticatedData {
		return nil, fmt.Errorf("%w: the answer for %s has no AD bit (ask a validating resolver, or use an anchor)", ErrNotValidated, name)
	}
	if d.RequireAD {
		res.DNSSEC = DNSSECAuthenticated
	}
	if d.Anchor != nil {
		if err := d.validate(ctx, name, r); err != nil {
			return nil, err
		}
		res.DNSSEC = DNSSECValidated
	}
	var records [][]string
	var ttl uint32
	for _, rr := range r.Answer {
		if t, ok := rr.(*dns.TXT); ok && strings.EqualFold(t.Hdr.Name, name) {
			records = append(records, t.Txt)
			ttl = minTTL(ttl, t.Hdr.Ttl)
		}
	}
	if len(records) == 0 {
		res.TTL = negativeTTL(r)
		return res, fmt.Errorf("%w: %s has no TXT record", ErrNoRecord, name)
	}
	res.TTL = time.Duration(ttl) * time.Second
	if res.ID, err = ParseTXT(records); err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

// servfail tells a validating resolver's rejection of the data (which the
// same query with checking disabled then returns) from a plain failure.
func (d *DNS) servfail(ctx context.Context, name string) error {
	r, err := d.exchange(ctx, name, dns.TypeTXT, true)
	if err == nil && (r.Rcode == dns.RcodeSuccess || r.Rcode == dns.RcodeNameError) {
		return fmt.Errorf("%w: the resolver rejected the answer for %s (SERVFAIL, data present with checking disabled)", ErrBogus, name)
	}
	return fmt.Errorf("%w: %s: server failure", ErrLookup, name)
}

// query asks for name/qtype; with an anchor, checking is disabled so a
// validating resolver hands over even data it considers bogus, and the
// local validation decides.
func (d *DNS) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	return d.exchange(ctx, name, qtype, d.Anchor != nil)
}

// exchange sends one query with EDNS0 (DO set) over UDP and repeats it over
// TCP when the answer comes back truncated.
func (d *DNS) exchange(ctx context.Context, name string, qtype uint16, cd bool) (*dns.Msg, error) {
	server, err := d.server()
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(dns.DefaultMsgSize, true)
	m.CheckingDisabled = cd
	c := &dns.Client{Timeout: d.timeout()}
	r, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.ExchangeContext(ctx, m, server)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s at %s: %w", ErrLookup, name, dns.TypeToString[qtype], server, err)
	}
	if r.Truncated {
		return nil, fmt.Errorf("%w: %s: truncated answer over TCP", ErrLookup, name)
	}
	return r, nil
}

func (d *DNS) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return 5 * time.Second
}

func (d *DNS) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// server returns the configured server or the system's first nameserver.
func (d *DNS) server() (string, error) {
	if d.Server != "" {
		if _, _, err := net.SplitHostPort(d.Server); err != nil {
			return net.JoinHostPort(d.Server, "53"), nil
		}
		return d.Server, nil
	}
	conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(conf.Servers) == 0 {
		return "", fmt.Errorf("%w: no DNS server given and none in /etc/resolv.conf", errors.Join(ErrUsage, err))
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), nil
}

// negativeTTL is how long an absence may be cached (RFC 2308): the lesser
// of the SOA's TTL and its MINIMUM field, from the authority section.
func negativeTTL(r *dns.Msg) time.Duration {
	for _, rr := range r.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return time.Duration(minTTL(soa.Hdr.Ttl, soa.Minttl)) * time.Second
		}
	}
	return 0
}

// minTTL is the smaller of two TTLs, where 0 means "none yet" for a.
func minTTL(a, b uint32) uint32 {
	if a == 0 || b < a {
		return b
	}
	return a
}
