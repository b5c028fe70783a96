package payreq

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"io"

	"github.com/dustin/go-humanize"
	"rsc.io/qr"
)

var page = template.Must(template.New("pay").Funcs(template.FuncMap{
	"bytes": func(n int64) string { return humanize.Bytes(uint64(n)) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payment required</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.5}
code{word-break:break-all}img{image-rendering:pixelated;width:16em;height:16em}</style>
</head><body>
<h1>Payment required</h1>
<p>You have used the free and paid bandwidth of this site. To go on, pay
<strong>{{.Amount}} {{.AssetCode}}</strong> for the next {{bytes .Bytes}}.</p>
<p><a href="{{.Link}}">Pay with a Stellar wallet</a> (SEP-7), or scan:</p>
<p><img alt="QR code of the payment link" src="{{.QR}}"></p>
<dl>
<dt>Destination</dt><dd><code>{{.Destination}}</code></dd>
<dt>Asset</dt><dd><code>{{.AssetCode}}</code> issued by <code>{{.AssetIssuer}}</code></dd>
<dt>Memo (MEMO_HASH, hex)</dt><dd><code>{{.ID}}</code></dd>
<dt>Network</dt><dd>{{.NetworkPassphrase}}</dd>
<dt>Expires</dt><dd>{{.ExpiresAt.Format "2006-01-02 15:04:05 MST"}}</dd>
</dl>
<p>Then reload this page.</p>
</body></html>
`))

// QRDataURI returns a PNG QR code of s as a data: URI.
func QRDataURI(s string) (template.URL, error) {
	code, err := qr.Encode(s, qr.M)
	if err != nil {
		return "", err
	}
	code.Scale = 4
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(code.PNG())), nil
}

// WriteHTML writes the human-readable payment page for r: amount, asset,
// destination, memo, expiry, the SEP-7 link and a QR code of it.
func (r Request) WriteHTML(w io.Writer) error {
	img, err := QRDataURI(r.URI)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	err = page.Execute(&b, struct {
		Request
		QR   template.URL
		Link template.URL // web+stellar: is not a scheme html/template trusts by itself
	}{r, img, template.URL(r.URI)})
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}
