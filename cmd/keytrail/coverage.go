package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/store"
	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"
)

// CoverageOptions are the flags of `keytrail coverage`.
type CoverageOptions struct {
	Format string
}

// coverageReport is what `keytrail coverage --format json` prints.
type coverageReport struct {
	Store    string `json:"store"`
	Files    int    `json:"files"`
	Bytes    int64  `json:"bytes"`
	Sources  int    `json:"source_objects"`
	Rejected int64  `json:"records_rejected"`
	// Partial names the source objects that could not be read to their
	// end (truncated, malformed): their rows before the damage are stored.
	Partial []string `json:"objects_not_read_in_full,omitempty"`
	*keytrail.Coverage
}

func newCoverageCommand(ios *IO, g *GlobalOptions) *cobra.Command {
	opts := &CoverageOptions{}
	cmd := &cobra.Command{
		Use:   "coverage",
		Short: "Show what the store holds: days, row counts and gaps",
		Long: `Show what the store holds, per table and per account and region (CloudTrail) or
bucket (S3 access logs): the first and last record, the days with rows, the row
counts, and the gaps: days without rows between the first and last, and hours
without rows inside days that have some. Times are UTC.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Format != "table" && opts.Format != "json" {
				return flagErrorf("--format must be table or json, not %q", opts.Format)
			}
			db, err := openDB(cmd.Context(), g, store.DBOptions{})
			if err != nil {
				return err
			}
			defer db.Close()
			cov, err := db.Coverage(cmd.Context())
			if err != nil {
				return err
			}
			rep := coverageReport{Store: db.Dir, Files: len(db.Manifest.Files), Sources: len(db.Manifest.Sources), Coverage: cov}
			for _, f := range db.Manifest.Files {
				rep.Bytes += f.Bytes
			}
			for _, s := range db.Manifest.Sources {
				rep.Rejected += s.Rejects
				if s.Partial {
					rep.Partial = append(rep.Partial, s.Key)
				}
			}
			slices.Sort(rep.Partial)
			if opts.Format == "json" {
				enc := json.NewEncoder(ios.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return printCoverage(ios.Out, &rep)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func printCoverage(w io.Writer, rep *coverageReport) error {
	fmt.Fprintf(w, "store %s: %s files, %s, from %s source objects; %s records rejected\n",
		rep.Store, count(int64(rep.Files)), bytesHuman(rep.Bytes), count(int64(rep.Sources)), count(rep.Rejected))
	if n := len(rep.Partial); n > 0 {
		fmt.Fprintf(w, "%d source objects not read in full (truncated or malformed; their rows before the damage are stored), first: %s\n", n, rep.Partial[0])
	}
	fmt.Fprintln(w)
	for _, t := range rep.Tables {
		fmt.Fprintf(w, "%s: %s rows\n", t.Table, count(t.Rows))
		if len(t.Groups) == 0 {
			fmt.Fprintln(w, "  (empty)")
			fmt.Fprintln(w)
			continue
		}
		tw := tablewriter.NewTable(w)
		if t.Table == "s3_access_logs" {
			tw.Header("bucket", "first", "last", "days", "rows", "missing days", "empty hours")
		} else {
			tw.Header("account", "region", "first", "last", "days", "rows", "missing days", "empty hours")
		}
		for _, g := range t.Groups {
			row := []string{g.First.Format("2006-01-02 15:04"), g.Last.Format("2006-01-02 15:04"), fmt.Sprint(g.Days), count(g.Rows), dayRanges(g.MissingDays), hourSummary(g.EmptyHours)}
			if t.Table == "s3_access_logs" {
				row = append([]string{g.Bucket}, row...)
			} else {
				row = append([]string{g.Account, g.Region}, row...)
			}
			tw.Append(row)
		}
		if err := tw.Render(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return nil
}

// dayRanges writes consecutive days as ranges: 2026-04-03..2026-04-05, 2026-04-09.
func dayRanges(days []string) string {
	if len(days) == 0 {
		return "-"
	}
	var out []string
	start, prev := days[0], days[0]
	flush := func() {
		if start == prev {
			out = append(out, start)
		} else {
			out = append(out, start+".."+prev)
		}
	}
	for _, d := range days[1:] {
		if nextDay(prev) == d {
			prev = d
			continue
		}
		flush()
		start, prev = d, d
	}
	flush()
	if len(out) > 4 {
		return strings.Join(out[:4], ", ") + fmt.Sprintf(" and %d more", len(out)-4)
	}
	return strings.Join(out, ", ")
}

func nextDay(d string) string {
	t, err := parseDay(d)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, 1).Format("2006-01-02")
}

func hourSummary(hours []string) string {
	switch len(hours) {
	case 0:
		return "-"
	case 1:
		return hours[0] + ":00"
	}
	if len(hours) <= 3 {
		return strings.Join(hours, ":00, ") + ":00"
	}
	return fmt.Sprintf("%d (first %s:00)", len(hours), hours[0])
}

func parseDay(d string) (t time.Time, err error) { return time.Parse("2006-01-02", d) }
