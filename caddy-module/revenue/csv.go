package revenue

import (
	"encoding/csv"
	"io"
)

// CSVHeader is the first line of WriteCSV's output.
var CSVHeader = []string{"site", "from", "to", "asset_code", "account", "path", "amount"}

// WriteCSV writes the report as CSV: one line per payee and page, a line
// with path "(unattributed)" for the site's unattributed income, and a
// last line with path "(total)" holding the income. The amounts of all
// lines but the last sum to the last.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	row := func(account, path string, amount Amount) []string {
		return []string{r.Site, r.From, r.To, r.AssetCode, account, path, amount.String()}
	}
	cw.Write(CSVHeader)
	for _, p := range r.Payees {
		for _, pa := range p.Pages {
			cw.Write(row(p.Account, pa.Path, pa.Amount))
		}
		if p.Unattributed != 0 {
			cw.Write(row(p.Account, "(unattributed)", p.Unattributed))
		}
	}
	cw.Write(row("", "(total)", r.Income))
	cw.Flush()
	return cw.Error()
}
