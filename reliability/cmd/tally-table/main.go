// Command tally-table prints the reliability table from the rows the
// suite's tests appended to a tally file (internal/tally), and exits 1 if
// any row lost or duplicated a record, or let bytes past a limit.
//
//	go run ./reliability/cmd/tally-table <file>
package main

import (
	"fmt"
	"os"

	"github.com/torplus/torplus/internal/tally"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tally-table <tally file>")
		os.Exit(2)
	}
	rows, err := tally.Read(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "tally-table:", err)
		os.Exit(2)
	}
	if len(rows) == 0 {
		fmt.Fprintln(os.Stderr, "tally-table: no rows: no reliability test recorded anything")
		os.Exit(1)
	}
	if err := tally.Table(os.Stdout, rows); err != nil {
		fmt.Fprintln(os.Stderr, "tally-table:", err)
		os.Exit(2)
	}
	for _, r := range rows {
		if r.Lost != 0 || r.Duplicated != 0 || r.Excess != 0 {
			fmt.Fprintf(os.Stderr, "tally-table: %s lost %d and duplicated %d records, and let %d bytes past a limit\n",
				r.Test, r.Lost, r.Duplicated, r.Excess)
			os.Exit(1)
		}
	}
}
