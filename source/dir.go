package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/keytrail/keytrail"
	"github.com/keytrail/keytrail/cloudtrail"
	"github.com/keytrail/keytrail/s3access"
)

// Dir is a local file or folder of logs, in any of AWS's key layouts or
// none.
type Dir struct {
	Path string
}

var _ keytrail.Source = (*Dir)(nil)

// NewDir returns the Source for a local file or folder. Returns EINVALID
// when path does not exist.
func NewDir(path string) (*Dir, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, keytrail.Errorf(keytrail.EINVALID, "%s does not exist: give a folder or file of logs", path)
		}
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return &Dir{Path: abs}, nil
}

func (d *Dir) String() string { return d.Path }

// ParseKey reads what a key or path tells for logs of type t.
func ParseKey(t keytrail.LogType, key string) keytrail.Location {
	var loc keytrail.Location
	var ok bool
	if t == keytrail.S3Access {
		loc, ok = s3access.ParseKey(key)
	} else {
		loc, ok = cloudtrail.ParseKey(key)
	}
	if !ok {
		return keytrail.Location{Path: key, Type: t}
	}
	loc.Path = key
	return loc
}

// dayDir matches a path ending in a YYYY/MM/DD folder.
var dayDir = regexp.MustCompile(`(?:^|/)(\d{4})/(\d{2})/(\d{2})$`)

// List walks the folder in lexical order. Day folders (…/YYYY/MM/DD) whose
// day cannot hold records in r are not entered; hidden files and folders
// are passed over.
func (d *Dir) List(ctx context.Context, t keytrail.LogType, r keytrail.TimeRange, slack time.Duration, fn func(keytrail.Object) error) error {
	return filepath.WalkDir(d.Path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("cannot list %s: %w", p, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		name := e.Name()
		if p != d.Path && strings.HasPrefix(name, ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		slash := filepath.ToSlash(p)
		if e.IsDir() {
			if m := dayDir.FindStringSubmatch(slash); m != nil {
				if day, err := time.Parse("2006/01/02", m[1]+"/"+m[2]+"/"+m[3]); err == nil {
					if !keytrail.MayHold(keytrail.Location{Date: day}, r, slack) {
						return filepath.SkipDir
					}
				}
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		loc := ParseKey(t, slash)
		if !keytrail.MayHold(loc, r, slack) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", p, err)
		}
		loc.Path = p
		return fn(keytrail.Object{Key: p, Size: info.Size(), ModTime: info.ModTime().UTC(), Loc: loc})
	})
}

// Open opens a listed file.
func (d *Dir) Open(ctx context.Context, o keytrail.Object) (io.ReadCloser, error) {
	f, err := os.Open(o.Key)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", o.Key, err)
	}
	return f, nil
}
