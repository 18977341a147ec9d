package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/keytrail/keytrail"
	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// IO holds the streams of one run, so that tests can capture them.
type IO struct {
	In  io.Reader
	Out io.Writer // results only
	Err io.Writer // progress and diagnostics
}

// GlobalOptions are the flags every command takes.
type GlobalOptions struct {
	Store string
	Quiet bool
}

// FlagError is a usage mistake: main prints it with the command's usage hint.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

func flagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// SilentError ends the run with exit status 1 after the command has already
// said what went wrong.
var SilentError = errors.New("silent error")

// Main runs keytrail with args and returns the exit status. Errors are
// printed here, once.
func Main(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	ios := &IO{In: in, Out: out, Err: errOut}
	root := newRootCommand(ios)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, SilentError) {
		return exitError
	}
	var fe *FlagError
	if errors.As(err, &fe) || isCobraUsageError(err) {
		fmt.Fprintf(errOut, "keytrail: %v\n", err)
		if cmd != nil {
			fmt.Fprintf(errOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(errOut, "keytrail: interrupted")
		return exitError
	}
	fmt.Fprintf(errOut, "keytrail: %v\n", err)
	if keytrail.ErrorCode(err) == keytrail.EINTERNAL {
		fmt.Fprintln(errOut, "If this looks like a bug, please report it with the command you ran.")
	}
	return exitError
}

// isCobraUsageError recognises cobra's own argument and flag errors, which
// are plain errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRootCommand(ios *IO) *cobra.Command {
	g := &GlobalOptions{}
	root := &cobra.Command{
		Use:   "keytrail",
		Short: "Find what is using an AWS access key, from CloudTrail and S3 access logs",
		Long: `keytrail answers "what, who and where is using this AWS access key, principal,
IP address or S3 object" from CloudTrail logs and S3 server access logs, on your
own machine and offline. It keeps a compact, date-partitioned Parquet store of
the logs and runs Athena-dialect SQL over it.

Every time is UTC.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version(),
	}
	root.SetVersionTemplate("keytrail {{.Version}}\n")
	root.PersistentFlags().StringVar(&g.Store, "store", "", "store directory (default $KEYTRAIL_STORE or the user data directory)")
	root.PersistentFlags().BoolVarP(&g.Quiet, "quiet", "q", false, "print no progress or notes on stderr")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &FlagError{Err: err} })
	root.AddCommand(
		newVersionCommand(ios),
		newParseCommand(ios, g),
		newIngestCommand(ios, g),
		newCoverageCommand(ios, g),
		newQueryCommand(ios, g),
		newGenerateCommand(ios),
		newInvestigateCommand(ios, g),
		newDemoCommand(ios, g),
	)
	return root
}

// version returns the module version when built from a tagged module, or
// the VCS revision when built from a checkout.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

func newVersionCommand(ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print keytrail's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info, _ := debug.ReadBuildInfo()
			goVersion := ""
			if info != nil {
				goVersion = info.GoVersion
			}
			fmt.Fprintf(ios.Out, "keytrail %s (%s)\n", version(), goVersion)
			return nil
		},
	}
}
