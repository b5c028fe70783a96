package paymentauth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// HeaderReceipt is the response header that carries a Receipt.
const HeaderReceipt = "Payment-Receipt"

// Receipt says a payment was settled. A response that carries one must
// also carry Cache-Control: private.
type Receipt struct {
	// Status is always "success": failures are problems, not receipts.
	Status string `json:"status"`
	// Method is "stellar".
	Method string `json:"method"`
	// Timestamp is the RFC 3339 settlement time.
	Timestamp string `json:"timestamp"`
	// Reference is the transaction hash.
	Reference string `json:"reference"`
	// ExternalID echoes the request's externalId.
	ExternalID string `json:"externalId,omitempty"`
}

// NewReceipt returns the receipt of the stellar transaction txHash settled
// at settled for the request r.
func NewReceipt(r Request, txHash string, settled time.Time) Receipt {
	return Receipt{
		Status:     "success",
		Method:     MethodStellar,
		Timestamp:  settled.UTC().Format(time.RFC3339),
		Reference:  txHash,
		ExternalID: r.ExternalID,
	}
}

// String returns the Payment-Receipt value: base64url, no padding, of the
// receipt's JSON.
func (r Receipt) String() string {
	b, _ := json.Marshal(r) // plain strings only: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseReceipt reads a Payment-Receipt value (what a paying client gets).
func ParseReceipt(h string) (Receipt, error) {
	if len(h) > MaxHeaderBytes {
		return Receipt{}, fmt.Errorf("%w: receipt of %d bytes", ErrMalformed, len(h))
	}
	raw, err := decodeB64URL(h)
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: receipt: %v", ErrMalformed, err)
	}
	var r Receipt
	if err := json.Unmarshal(raw, &r); err != nil {
		return Receipt{}, fmt.Errorf("%w: receipt: %v", ErrMalformed, err)
	}
	if r.Status != "success" {
		return Receipt{}, fmt.Errorf("%w: receipt status %q", ErrMalformed, r.Status)
	}
	return r, nil
}
