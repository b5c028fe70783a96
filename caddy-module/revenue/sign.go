package revenue

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/stellar/go-stellar-sdk/keypair"
)

// SignedFormat names the signed export's layout.
const SignedFormat = "torplus-signed-revenue-report/1"

// Signed is a report signed with a site's Stellar key. The signature is
// ed25519 over SignedFormat, a newline, and the report's compact JSON. The
// file is this object as json.MarshalIndent writes it (two-space indent)
// plus a newline, and Verify accepts exactly that form: any altered byte
// fails.
type Signed struct {
	Format    string          `json:"format"`
	Signer    string          `json:"signer"`    // the Stellar account (G…) whose key signed
	Signature string          `json:"signature"` // base64 (standard, padded) of the 64-byte signature
	Report    json.RawMessage `json:"report"`
}

// Errors of signing and verifying.
var (
	ErrNotSigned    = errors.New("revenue: not a signed revenue report")
	ErrNotCanonical = errors.New("revenue: signed report was altered (not in its canonical form)")
	ErrBadSignature = errors.New("revenue: signature does not verify")
	ErrWrongSigner  = errors.New("revenue: signed by another account")
	ErrSeedFile     = errors.New("revenue: seed file must be a regular file readable by its owner only (chmod 600)")
)

func message(compact []byte) []byte {
	return append([]byte(SignedFormat+"\n"), compact...)
}

// Sign returns the signed export of r.
func Sign(r Report, kp *keypair.Full) ([]byte, error) {
	compact, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	sig, err := kp.Sign(message(compact))
	if err != nil {
		return nil, err
	}
	return encodeSigned(Signed{Format: SignedFormat, Signer: kp.Address(),
		Signature: base64.StdEncoding.EncodeToString(sig), Report: compact})
}

func encodeSigned(s Signed) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	return append(b, '\n'), err
}

// Verify checks a signed export and returns its report and signer. If
// signer is not "", the report must be signed by that account.
func Verify(file []byte, signer string) (Report, string, error) {
	var s Signed
	dec := json.NewDecoder(bytes.NewReader(file))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || s.Format != SignedFormat {
		return Report{}, "", fmt.Errorf("%w (format %q, %v)", ErrNotSigned, s.Format, err)
	}
	again, err := encodeSigned(s)
	if err != nil || !bytes.Equal(again, file) {
		return Report{}, "", ErrNotCanonical
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, s.Report); err != nil {
		return Report{}, "", fmt.Errorf("%w: %v", ErrNotSigned, err)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(s.Signature)
	if err != nil || len(sig) != 64 {
		return Report{}, "", fmt.Errorf("%w: malformed signature", ErrBadSignature)
	}
	kp, err := keypair.ParseAddress(s.Signer)
	if err != nil {
		return Report{}, "", fmt.Errorf("%w: signer %q is not a Stellar account", ErrBadSignature, s.Signer)
	}
	if signer != "" && signer != s.Signer {
		return Report{}, s.Signer, fmt.Errorf("%w: %s, not %s", ErrWrongSigner, s.Signer, signer)
	}
	if err := kp.Verify(message(compact.Bytes()), sig); err != nil {
		return Report{}, s.Signer, ErrBadSignature
	}
	var r Report
	rd := json.NewDecoder(bytes.NewReader(compact.Bytes()))
	rd.DisallowUnknownFields()
	if err := rd.Decode(&r); err != nil || r.Format != Format {
		return Report{}, s.Signer, fmt.Errorf("%w: signed content is not a %s (%v)", ErrNotSigned, Format, err)
	}
	return r, s.Signer, nil
}

// SeedEnv is the environment variable a signing seed may be given in.
const SeedEnv = "TORPLUS_STELLAR_SEED"

// LoadKey reads a Stellar secret seed (S…) from file, which must be mode
// 0600 or stricter, or, when file is "", from the SeedEnv variable. Errors
// never contain the seed.
func LoadKey(file string) (*keypair.Full, error) {
	var seed string
	if file != "" {
		st, err := os.Stat(file)
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() || st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("%w: %s is %v", ErrSeedFile, file, st.Mode().Perm())
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		seed = strings.TrimSpace(string(b))
	} else if seed = strings.TrimSpace(os.Getenv(SeedEnv)); seed == "" {
		return nil, fmt.Errorf("revenue: no signing key: give a seed file or set %s", SeedEnv)
	}
	kp, err := keypair.ParseFull(seed)
	if err != nil {
		return nil, errors.New("revenue: the signing key is not a Stellar secret seed (S…)")
	}
	return kp, nil
}
