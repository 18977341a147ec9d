package keytrail

import (
	"errors"
	"fmt"
	"io"
)

// Error codes of keytrail.Error.
const (
	EINVALID     = "invalid"     // the user gave something keytrail cannot use
	ENOTFOUND    = "not_found"   // the thing asked for does not exist
	ECONFLICT    = "conflict"    // another process holds what is needed (the store lock)
	EUNAVAILABLE = "unavailable" // a source or service failed (the network): trying again may do
	EINTERNAL    = "internal"    // a bug or an environment failure
)

// Error is an error a user can act on: its Message is printed as it is.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// RecordError reports one record or line that could not be parsed. Parsers
// return it for a bad record and can go on with the next one; any other error
// from a parser ends the file. Raw holds the rejected bytes (possibly cut to a
// sane size) so they can be quarantined.
type RecordError struct {
	Source string // file name or s3:// URL
	Line   int64  // 1-based line number, 0 if not known
	Offset int64  // byte offset of the record in the (uncompressed) stream
	Reason string
	Raw    []byte
}

func (e *RecordError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: byte %d: %s", e.Source, e.Offset, e.Reason)
}

// FileError reports a file that could not be read to its end (truncated gzip,
// malformed JSON that cannot be resynchronised). Records before Offset were
// delivered.
type FileError struct {
	Source string
	Line   int64
	Offset int64
	Err    error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: byte %d: %v", e.Source, e.Offset, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Each reads a file's records with next (a parser's Next method) into rec
// until the end: a *RecordError goes to reject and reading goes on; any
// other error ends the file and is returned as fileErr (nil at a clean
// end); fn is called with each record, and an error from it stops reading
// and is returned as err.
func Each[T any](next func(*T) error, rec *T, reject func(*RecordError), fn func(*T) error) (fileErr, err error) {
	for {
		e := next(rec)
		if e == io.EOF {
			return nil, nil
		}
		if e != nil {
			var re *RecordError
			if errors.As(e, &re) {
				reject(re)
				continue
			}
			return e, nil
		}
		if err := fn(rec); err != nil {
			return nil, err
		}
	}
}
