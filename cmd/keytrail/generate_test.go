package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateBadInput checks that each bad flag or OUT_DIR is a user error
// naming what is wrong, not a report of a bug, and that nothing is written.
func TestGenerateBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want []string // in stderr
	}{
		{[]string{"--events", "-5"}, exitUsage, []string{"--events", "-5", "0 or more"}},
		{[]string{"--lines", "-1"}, exitUsage, []string{"--lines", "-1", "0 or more"}},
		{[]string{"--days", "0"}, exitUsage, []string{"--days", "0", "1 to 3650"}},
		{[]string{"--days", "-3"}, exitUsage, []string{"--days", "-3", "1 to 3650"}},
		{[]string{"--days", "3651"}, exitUsage, []string{"--days", "3651", "1 to 3650"}},
		{[]string{"--file-minutes", "-5"}, exitUsage, []string{"--file-minutes", "-5", "1 to 1440"}},
		{[]string{"--file-minutes", "0"}, exitUsage, []string{"--file-minutes", "0", "1 to 1440"}},
		{[]string{"--gzip-level", "12"}, exitUsage, []string{"--gzip-level", "12", "1 to 9"}},
		{[]string{"--gzip-level", "0"}, exitUsage, []string{"--gzip-level", "0", "1 to 9"}},
		{[]string{"--start", "2024-13-01"}, exitUsage, []string{"--start", "2024-13-01", "1970-01-01 to 9989-12-31"}},
		{[]string{"--start", "0001-01-01"}, exitUsage, []string{"--start", "0001-01-01", "1970-01-01 to 9989-12-31"}},
		{[]string{"--start", "9999-12-31"}, exitUsage, []string{"--start", "9999-12-31", "1970-01-01 to 9989-12-31"}},
		{[]string{"--org", "bogus"}, exitUsage, []string{"--org", "bogus", "o- and 10 to 32 lowercase letters or digits"}},
		{[]string{"--org", "o-A1B2C3D4E5"}, exitUsage, []string{"--org", "o-A1B2C3D4E5"}},
		{[]string{"--events", "10", "FILE"}, exitError, []string{"OUT_DIR", "is a file, not a folder", "give a new or existing folder"}},
		{[]string{"--events", "10", "FILE/sub"}, exitError, []string{"cannot write the logs below", "not a directory"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			tmp := t.TempDir()
			file := filepath.Join(tmp, "afile")
			if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(tmp, "out")
			args := append([]string{"generate"}, tc.args...)
			if last := args[len(args)-1]; strings.HasPrefix(last, "FILE") {
				args[len(args)-1] = strings.Replace(last, "FILE", file, 1)
			} else {
				args = append(args, out)
			}
			stdout, stderr, code := run(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "looks like a bug") {
				t.Errorf("stderr calls it a bug:\n%s", stderr)
			}
			if tc.code == exitUsage && !strings.Contains(stderr, "Run 'keytrail generate --help' for usage.") {
				t.Errorf("no usage hint:\n%s", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}

// TestGenerateMoreThanAsked checks the note when the incident needs more
// events and lines than asked for.
func TestGenerateMoreThanAsked(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := run(t, "generate", "--events", "5", "--lines", "10", "--days", "1", dir)
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	for _, w := range []string{
		"more than --events 5: the incident's events are always written",
		"more than --lines 10: the incident's uploads are always written",
	} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	_, stderr, code = run(t, "generate", "--events", "10", "--lines", "10", "--days", "1", "--incident=false", dir)
	if code != exitOK || strings.Contains(stderr, "note:") {
		t.Errorf("exit %d, want a note only with the incident:\n%s", code, stderr)
	}
	if out, stderr, code := run(t, "generate", "-q", "--events", "5", "--days", "1", t.TempDir()); code != exitOK || out+stderr != "" {
		t.Errorf("-q: exit %d, printed %q %q, want nothing", code, out, stderr)
	}
}
