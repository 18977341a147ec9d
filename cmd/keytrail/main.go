// Command keytrail finds out what is using an AWS access key, principal, IP
// address or S3 object, from CloudTrail logs and S3 server access logs.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	// KEYTRAIL_CPUPROFILE=FILE writes a CPU profile, for benchmarks.
	if p := os.Getenv("KEYTRAIL_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			pprof.StartCPUProfile(f)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	pprof.StopCPUProfile()
	os.Exit(code)
}
