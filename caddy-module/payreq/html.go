package payreq

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"io"

	"github.com/dustin/go-humanize"
	"rsc.io/qr"
)

// The payment page is for people: a visitor with Tor Browser and a phone
// wallet. The wallet cannot reach the onion site, so the page shows what
// any wallet can pay straight to the network (address, memo, amount,
// asset, as text and as a QR code of the address), and the SEP-7 link for
// wallets that take one. It waits for the payment to be seen on the
// ledger: a small script polls the status endpoint and reloads the page
// asked for once paid; without JavaScript (Tor Browser's Safest mode) a
// meta refresh reloads it every 15 s, which serves it once paid.
var page = template.Must(template.New("pay").Funcs(template.FuncMap{
	"bytes": func(n int64) string { return humanize.Bytes(uint64(n)) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="15">
<title>Payment required</title>
<style>
body{font-family:system-ui,sans-serif;max-width:34em;margin:0 auto;padding:1em;line-height:1.5;font-size:1.05em}
h1{font-size:1.5em;margin:.3em 0}
code{word-break:break-all;font-size:1.05em;background:#f3f3f3;padding:.1em .25em}
.qr{display:block;width:min(70vw,16em);height:auto;image-rendering:pixelated;margin:.5em auto}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3em .8em}dt{font-weight:600}dd{margin:0;min-width:0}
a.wallet{display:block;text-align:center;padding:.8em;margin:1em 0;background:#5c2d91;color:#fff;border-radius:.4em;text-decoration:none}
#status{font-style:italic}
</style>
</head><body>
<h1>Payment required</h1>
<p>To go on, pay <strong>{{.Amount}} {{.AssetCode}}</strong> for the next {{bytes .Bytes}}.</p>
<p>Send it from any Stellar wallet to this address{{if not .Muxed}}, with the memo below{{end}}:</p>
<img class="qr" alt="QR code of the address to pay" src="{{.QR}}">
<dl>
<dt>Address</dt><dd><code id="address">{{.Address}}</code></dd>
{{if not .Muxed}}<dt>Memo ({{.MemoType}})</dt><dd><code id="memo">{{.PayMemo}}</code></dd>{{end}}
<dt>Amount</dt><dd><code id="amount">{{.Amount}}</code></dd>
<dt>Asset</dt><dd><code>{{.AssetCode}}</code> issued by <code>{{.AssetIssuer}}</code></dd>
<dt>Network</dt><dd>{{.NetworkPassphrase}}</dd>
<dt>Pay before</dt><dd>{{.ExpiresAt.Format "2006-01-02 15:04 MST"}}</dd>
</dl>
{{if and .Muxed .Memo}}<p>If your wallet does not take M… addresses, pay <code>{{.Destination}}</code> with the text memo <code id="memo">{{.Memo}}</code>.</p>{{end}}
<a class="wallet" href="{{.Link}}">Open in a Stellar wallet (SEP-7)</a>
<p id="status">Waiting for the payment to appear on the ledger… This page continues by itself once it has.</p>
<script>
(function(){
  var status = {{.Status}}, tries = 0;
  function poll(){
    if (++tries > 300) return;
    fetch(status, {cache: "no-store", credentials: "same-origin"}).then(function(r){ return r.json(); }).then(function(s){
      if (s.state === "paid") { document.getElementById("status").textContent = "Paid. Loading the page…"; location.reload(); return; }
      if (s.state === "expired") { document.getElementById("status").textContent = "This request expired; reload for a new one."; return; }
      setTimeout(poll, 3000);
    }).catch(function(){ setTimeout(poll, 5000); });
  }
  setTimeout(poll, 3000);
})();
</script>
</body></html>
`))

// QRDataURI returns a PNG QR code of s as a data: URI.
func QRDataURI(s string) (template.URL, error) {
	code, err := qr.Encode(s, qr.M)
	if err != nil {
		return "", err
	}
	code.Scale = 6
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(code.PNG())), nil
}

// PayTo is what a wallet pays the request to: the muxed address, which
// names the request by itself, or else the payee's address and the memo
// (with its type) that names it.
func (r Request) PayTo() (address, memo, memoType string) {
	switch {
	case r.Muxed != "":
		return r.Muxed, "", ""
	case r.Memo != "":
		return r.Destination, r.Memo, "text"
	}
	return r.Destination, r.ID.String(), "hash, hex"
}

// WriteHTML writes the payment page for r; status is the URL of r's
// status (JSON {"state": "pending" | "paid" | "expired"}), polled until
// paid.
func (r Request) WriteHTML(w io.Writer, status string) error {
	addr, memo, memoType := r.PayTo()
	img, err := QRDataURI(addr)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	err = page.Execute(&b, struct {
		Request
		Address, PayMemo, MemoType string
		QR                         template.URL
		Link                       template.URL // web+stellar: is not a scheme html/template trusts by itself
		Status                     string
	}{r, addr, memo, memoType, img, template.URL(r.URI), status})
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}
