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
	Path string // absolute, with symbolic links resolved
}

var _ keytrail.Source = (*Dir)(nil)

// NewDir returns the Source for a local file or folder. Symbolic links in
// path are resolved, so that the same files reached by two paths are the
// same objects. Returns EINVALID when path is empty or does not exist.
func NewDir(path string) (*Dir, error) {
	if strings.TrimSpace(path) == "" {
		return nil, keytrail.Errorf(keytrail.EINVALID, "an empty path was given as a source: give a folder or file of logs")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, keytrail.Errorf(keytrail.EINVALID, "%s does not exist: give a folder or file of logs", path)
		}
		return nil, keytrail.Errorf(keytrail.EINVALID, "cannot read %s: %v", path, err)
	}
	return &Dir{Path: real}, nil
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
// are passed over. Symbolic links are followed, each folder entered once
// (a link back up the tree is no loop), and objects are named by their
// real paths. Folders that cannot be read are left out and named in a
// *PartialListError after the rest is listed.
func (d *Dir) List(ctx context.Context, t keytrail.LogType, r keytrail.TimeRange, slack time.Duration, fn func(keytrail.Object) error) error {
	w := &dirWalk{ctx: ctx, t: t, r: r, slack: slack, fn: fn, entered: map[string]bool{}}
	info, err := os.Stat(d.Path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", d.Path, err)
	}
	if info.IsDir() {
		err = w.dir(d.Path)
	} else {
		err = w.file(d.Path, d.Path, info)
	}
	if err == nil && len(w.skipped) > 0 {
		err = &PartialListError{Source: d.Path, Listed: w.listed, Skipped: w.skipped}
	}
	return err
}

// dirWalk is the state of one Dir.List.
type dirWalk struct {
	ctx     context.Context
	t       keytrail.LogType
	r       keytrail.TimeRange
	slack   time.Duration
	fn      func(keytrail.Object) error
	entered map[string]bool // real paths of the folders entered
	listed  int
	skipped []SkippedPrefix
}

// dir lists the folder at the real path p.
func (w *dirWalk) dir(p string) error {
	if w.entered[p] {
		return nil
	}
	w.entered[p] = true
	if m := dayDir.FindStringSubmatch(filepath.ToSlash(p)); m != nil {
		if day, err := time.Parse("2006/01/02", m[1]+"/"+m[2]+"/"+m[3]); err == nil && !keytrail.MayHold(keytrail.Location{Date: day}, w.r, w.slack) {
			return nil
		}
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		w.skipped = append(w.skipped, SkippedPrefix{Prefix: p, Code: "unreadable", Reason: err.Error()})
		if len(entries) == 0 {
			return nil
		}
	}
	for _, e := range entries {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(p, name)
		switch {
		case e.IsDir():
			err = w.dir(path)
		case e.Type().IsRegular():
			var info fs.FileInfo
			if info, err = e.Info(); err == nil {
				err = w.file(path, path, info)
			} else if !errors.Is(err, fs.ErrNotExist) {
				w.skipped = append(w.skipped, SkippedPrefix{Prefix: path, Code: "unreadable", Reason: err.Error()})
				err = nil
			}
		case e.Type()&fs.ModeSymlink != 0:
			err = w.link(path)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// link follows the symbolic link at path to a folder or file; a link to
// nothing is passed over.
func (w *dirWalk) link(path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil // dangling, or a loop of links: nothing to read
	}
	info, err := os.Stat(real)
	if err != nil {
		return nil
	}
	if info.IsDir() {
		return w.dir(real)
	}
	if info.Mode().IsRegular() {
		// The link's own path may be the one in AWS's layout.
		return w.file(path, real, info)
	}
	return nil
}

// file lists the file at real, whose key layout is read from path: the
// object's Key is real, its Loc.Path is path.
func (w *dirWalk) file(path, real string, info fs.FileInfo) error {
	loc := ParseKey(w.t, filepath.ToSlash(path))
	if !keytrail.MayHold(loc, w.r, w.slack) {
		return nil
	}
	loc.Path = path
	w.listed++
	return w.fn(keytrail.Object{Key: real, Size: info.Size(), ModTime: info.ModTime().UTC(), Loc: loc})
}

// Open opens a listed file.
func (d *Dir) Open(ctx context.Context, o keytrail.Object) (io.ReadCloser, error) {
	f, err := os.Open(o.Key)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", o.Key, err)
	}
	return f, nil
}
