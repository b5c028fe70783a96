package resolver

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// validate checks the answer r for name/TXT against d.Anchor: a DNSKEY of
// the anchored zone must match the DS, sign the zone's DNSKEY set, and a key
// of that set must sign the TXT set, or, for an absent record, the NSEC
// record that proves the absence. Signatures must be within their validity
// period. Names in zones delegated below the anchored zone, CNAMEs and
// wildcard denial are not followed: such answers are ErrNotValidated.
func (d *DNS) validate(ctx context.Context, name string, r *dns.Msg) error {
	zone := dns.Fqdn(d.Anchor.Hdr.Name)
	if !dns.IsSubDomain(zone, name) {
		return fmt.Errorf("%w: %s is not inside the anchored zone %s", ErrNotValidated, name, zone)
	}
	keys, err := d.zoneKeys(ctx, zone)
	if err != nil {
		return err
	}
	if rrs := section(r.Answer, name, dns.TypeTXT); len(rrs) > 0 {
		return d.verifySet(rrs, sigs(r.Answer, name, dns.TypeTXT), keys, zone)
	}
	if len(section(r.Answer, name, dns.TypeCNAME)) > 0 {
		return fmt.Errorf("%w: %s is a CNAME, which local validation does not follow", ErrNotValidated, name)
	}
	return d.verifyDenial(name, r, keys, zone)
}

// zoneKeys fetches the zone's DNSKEY set and returns it once it is proven
// by the anchor: a key matching the DS has signed the whole set.
func (d *DNS) zoneKeys(ctx context.Context, zone string) ([]*dns.DNSKEY, error) {
	r, err := d.query(ctx, zone, dns.TypeDNSKEY)
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("%w: DNSKEY %s: %s", ErrLookup, zone, dns.RcodeToString[r.Rcode])
	}
	set := section(r.Answer, zone, dns.TypeDNSKEY)
	var keys []*dns.DNSKEY
	var anchored []*dns.DNSKEY
	for _, rr := range set {
		k := rr.(*dns.DNSKEY)
		keys = append(keys, k)
		if ds := k.ToDS(d.Anchor.DigestType); ds != nil && k.KeyTag() == d.Anchor.KeyTag &&
			k.Algorithm == d.Anchor.Algorithm && strings.EqualFold(ds.Digest, d.Anchor.Digest) {
			anchored = append(anchored, k)
		}
	}
	if len(anchored) == 0 {
		return nil, fmt.Errorf("%w: no DNSKEY of %s matches the anchor (key tag %d)", ErrBogus, zone, d.Anchor.KeyTag)
	}
	if err := d.verifySet(set, sigs(r.Answer, zone, dns.TypeDNSKEY), anchored, zone); err != nil {
		return nil, fmt.Errorf("DNSKEY set: %w", err)
	}
	return keys, nil
}

// verifySet succeeds when one of sigs, made by one of keys for zone, is a
// valid, current signature over rrs.
func (d *DNS) verifySet(rrs []dns.RR, sigs []*dns.RRSIG, keys []*dns.DNSKEY, zone string) error {
	owner, typ := rrs[0].Header().Name, dns.TypeToString[rrs[0].Header().Rrtype]
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s %s is not signed", ErrBogus, owner, typ)
	}
	var last error
	for _, sig := range sigs {
		if !strings.EqualFold(sig.SignerName, zone) {
			last = fmt.Errorf("%w: %s %s is signed by %s, not by the anchored zone", ErrNotValidated, owner, typ, sig.SignerName)
			continue
		}
		if !sig.ValidityPeriod(d.now()) {
			last = fmt.Errorf("%w: the signature over %s %s is expired or not yet valid", ErrBogus, owner, typ)
			continue
		}
		for _, k := range keys {
			if k.KeyTag() != sig.KeyTag || k.Algorithm != sig.Algorithm || k.Flags&dns.ZONE == 0 {
				continue
			}
			if err := sig.Verify(k, rrs); err == nil {
				return nil
			} else {
				last = fmt.Errorf("%w: %s %s: %v", ErrBogus, owner, typ, err)
			}
		}
		if last == nil {
			last = fmt.Errorf("%w: %s %s: no key with tag %d", ErrBogus, owner, typ, sig.KeyTag)
		}
	}
	return last
}

// verifyDenial checks that a signed NSEC record in the authority section
// proves name has no TXT record: one owned by name whose type bitmap lacks
// TXT, or one whose span covers name.
func (d *DNS) verifyDenial(name string, r *dns.Msg, keys []*dns.DNSKEY, zone string) error {
	for _, rr := range r.Ns {
		nsec, ok := rr.(*dns.NSEC)
		if !ok {
			continue
		}
		owner := nsec.Hdr.Name
		if err := d.verifySet([]dns.RR{nsec}, sigs(r.Ns, owner, dns.TypeNSEC), keys, zone); err != nil {
			return fmt.Errorf("denial of %s: %w", name, err)
		}
		if strings.EqualFold(owner, name) && !slices.Contains(nsec.TypeBitMap, dns.TypeTXT) && !slices.Contains(nsec.TypeBitMap, dns.TypeCNAME) {
			return nil
		}
		if covers(owner, nsec.NextDomain, name) {
			return nil
		}
	}
	for _, rr := range r.Ns {
		if _, ok := rr.(*dns.NSEC3); ok {
			return fmt.Errorf("%w: %s: the zone denies with NSEC3, which local validation does not check", ErrNotValidated, name)
		}
	}
	return fmt.Errorf("%w: no signed NSEC record proves that %s has no TXT record", ErrBogus, name)
}

// covers reports whether name falls strictly between owner and next in
// canonical DNS order (RFC 4034 §6.1), the last NSEC wrapping to the apex.
func covers(owner, next, name string) bool {
	if canonicalCompare(owner, next) < 0 {
		return canonicalCompare(owner, name) < 0 && canonicalCompare(name, next) < 0
	}
	return canonicalCompare(owner, name) < 0 || canonicalCompare(name, next) < 0
}

// canonicalCompare orders names by their labels from the right, each
// compared as lowercase bytes.
func canonicalCompare(a, b string) int {
	la, lb := dns.SplitDomainName(strings.ToLower(a)), dns.SplitDomainName(strings.ToLower(b))
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := strings.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// section returns the records of one name and type.
func section(rrs []dns.RR, name string, qtype uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype == qtype && strings.EqualFold(rr.Header().Name, name) {
			out = append(out, rr)
		}
	}
	return out
}

// sigs returns the RRSIGs over one name and type.
func sigs(rrs []dns.RR, name string, covered uint16) []*dns.RRSIG {
	var out []*dns.RRSIG
	for _, rr := range rrs {
		if s, ok := rr.(*dns.RRSIG); ok && s.TypeCovered == covered && strings.EqualFold(s.Hdr.Name, name) {
			out = append(out, s)
		}
	}
	return out
}
