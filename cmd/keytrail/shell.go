package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chzyer/readline"
	"github.com/keytrail/keytrail/store"
)

const shellHelp = `Enter Athena SQL ending with ';' (it may span lines). Commands:
  .tables             list the tables
  .schema [TABLE]     show the columns of a table
  .format FORMAT      table, csv, json or ndjson
  .timer on|off       show how long queries take
  .help               this help
  .quit               leave (or Ctrl-D)`

// runShell reads statements from the terminal until .quit or end of input.
func runShell(ctx context.Context, ios *IO, g *GlobalOptions, opts *QueryOptions) error {
	db, err := openDB(ctx, g, store.DBOptions{})
	if err != nil {
		return err
	}
	defer db.Close()
	history := ""
	if dir, err := os.UserCacheDir(); err == nil {
		os.MkdirAll(filepath.Join(dir, "keytrail"), 0o755)
		history = filepath.Join(dir, "keytrail", "query_history")
	}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:            "keytrail> ",
		HistoryFile:       history,
		InterruptPrompt:   "^C",
		EOFPrompt:         ".quit",
		HistorySearchFold: true,
		Stdin:             io.NopCloser(ios.In),
		Stdout:            ios.Err,
		Stderr:            ios.Err,
	})
	if err != nil {
		return fmt.Errorf("cannot start the shell: %w", err)
	}
	defer rl.Close()
	rl.CaptureExitSignal()
	fmt.Fprintf(ios.Err, "keytrail %s — SQL over %s (%d files). .help for help, .quit to leave.\n", version(), db.Dir, len(db.Manifest.Files))
	format, timer := "table", false
	if opts.Format != "table" {
		format = opts.Format
	}
	var buf strings.Builder
	for {
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			buf.Reset()
			rl.SetPrompt("keytrail> ")
			continue
		}
		if err != nil { // io.EOF
			return nil
		}
		trimmed := strings.TrimSpace(line)
		if buf.Len() == 0 && strings.HasPrefix(trimmed, ".") {
			fields := strings.Fields(trimmed)
			switch fields[0] {
			case ".quit", ".exit", ".q":
				return nil
			case ".help":
				fmt.Fprintln(ios.Err, shellHelp)
			case ".tables":
				fmt.Fprintln(ios.Out, "cloudtrail_logs\ns3_access_logs")
			case ".schema":
				tables := fields[1:]
				if len(tables) == 0 {
					tables = []string{"cloudtrail_logs", "s3_access_logs"}
				}
				for _, t := range tables {
					runShellQuery(ctx, ios, db, "table", false, "SELECT column_name, column_type FROM (DESCRIBE "+t+")")
				}
			case ".format":
				if len(fields) != 2 || !contains([]string{"table", "csv", "json", "ndjson"}, fields[1]) {
					fmt.Fprintln(ios.Err, "usage: .format table|csv|json|ndjson")
				} else {
					format = fields[1]
				}
			case ".timer":
				timer = len(fields) == 2 && fields[1] == "on"
			default:
				fmt.Fprintf(ios.Err, "unknown command %s: .help lists them\n", fields[0])
			}
			continue
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		if !strings.HasSuffix(trimmed, ";") {
			rl.SetPrompt("     ...> ")
			continue
		}
		rl.SetPrompt("keytrail> ")
		q := buf.String()
		buf.Reset()
		runShellQuery(ctx, ios, db, format, timer, q)
	}
}

func runShellQuery(ctx context.Context, ios *IO, db *store.DB, format string, timer bool, q string) {
	start := time.Now()
	err := execute(ctx, ios, db, &QueryOptions{Format: format}, q)
	if err != nil {
		fmt.Fprintf(ios.Err, "error: %v\n", err)
	}
	if timer {
		fmt.Fprintf(ios.Err, "(%.3f s)\n", time.Since(start).Seconds())
	}
}
