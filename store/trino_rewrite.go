package store

import (
	"strconv"
	"strings"
)

// RewriteAthena rewrites the few Athena (Trino) constructs that no DuckDB
// function or macro can provide, so that the query runs with the functions
// installTrino adds. It works on tokens (string literals, quoted names and
// comments are left alone) and returns the query unchanged when it has none
// of them:
//   - CAST(x AS IPADDRESS) becomes ipaddress(x), TRY_CAST(...) becomes
//     try_ipaddress(x), IPADDRESS '10.0.0.1' becomes ipaddress('10.0.0.1'),
//     and the same for IPPREFIX: DuckDB cannot have those types, so the
//     values are canonical strings (see trino_ip.go); ipaddress validates
//     as the cast does, and contains(cidr, address) takes the string.
//   - Types in casts are spelled the DuckDB way: ARRAY(T) is T[],
//     ROW(a T, ...) is STRUCT(a T, ...), VARBINARY is BLOB,
//     TIMESTAMP(p) WITH TIME ZONE is TIMESTAMPTZ, INTERVAL DAY TO SECOND is
//     INTERVAL.
//   - IF(c, x) (DuckDB's IF needs three arguments) becomes IF(c, x, NULL).
//   - Functions that take lambdas cannot be macros: transform(a, f) becomes
//     list_transform(a, f); any_match, all_match and none_match become
//     list_bool_or/list_bool_and over list_transform; reduce(a, s, f, g)
//     becomes list_reduce with g applied to the result.
//   - UNNEST(a) AS t(x, y, ...) over an array of rows gives one column per
//     field in Trino, one ROW column in DuckDB: it becomes
//     (SELECT unnest(a, recursive := true)) AS t(x, y, ...); UNNEST(a, b)
//     AS t(x, y) (arrays side by side) becomes
//     (SELECT unnest(a), unnest(b)) AS t(x, y).
func RewriteAthena(sql string) string {
	toks := lexSQL(sql)
	for _, t := range toks {
		if t.kind == tkWord {
			switch strings.ToUpper(t.text) {
			case "CAST", "TRY_CAST", "IPADDRESS", "IPPREFIX", "IF", "TRANSFORM", "ANY_MATCH", "ALL_MATCH", "NONE_MATCH", "REDUCE", "UNNEST":
				return rewriteToks(toks)
			}
		}
	}
	return sql
}

type tokKind uint8

const (
	tkSpace  tokKind = iota // white space and comments
	tkWord                  // names and keywords
	tkQuoted                // "quoted name"
	tkString                // 'string'
	tkNumber
	tkPunct
)

type sqlTok struct {
	kind tokKind
	text string
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || isASCIILetter(c) || c >= 0x80
}

func lexSQL(s string) []sqlTok {
	var toks []sqlTok
	for i := 0; i < len(s); {
		c := s[i]
		j := i + 1
		kind := tkPunct
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			kind = tkSpace
			for j < len(s) && strings.IndexByte(" \t\n\r\f", s[j]) >= 0 {
				j++
			}
		case c == '-' && j < len(s) && s[j] == '-':
			kind = tkSpace
			for j < len(s) && s[j] != '\n' {
				j++
			}
		case c == '/' && j < len(s) && s[j] == '*':
			kind = tkSpace
			if end := strings.Index(s[j+1:], "*/"); end >= 0 {
				j = j + 1 + end + 2
			} else {
				j = len(s)
			}
		case c == '\'' || c == '"':
			kind = tkString
			if c == '"' {
				kind = tkQuoted
			}
			for j < len(s) {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c { // doubled: an escaped quote
						j += 2
						continue
					}
					j++
					break
				}
				j++
			}
		case c >= '0' && c <= '9':
			kind = tkNumber
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
		case isWordByte(c):
			kind = tkWord
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
		}
		toks = append(toks, sqlTok{kind, s[i:j]})
		i = j
	}
	return toks
}

// nextTok returns the index of the next token after i that is not space,
// or len(t).
func nextTok(t []sqlTok, i int) int {
	for i++; i < len(t) && t[i].kind == tkSpace; i++ {
	}
	return i
}

func prevTok(t []sqlTok, i int) int {
	for i--; i >= 0 && t[i].kind == tkSpace; i-- {
	}
	return i
}

func isPunct(t []sqlTok, i int, p string) bool {
	return i >= 0 && i < len(t) && t[i].kind == tkPunct && t[i].text == p
}

func isWord(t []sqlTok, i int, w string) bool {
	return i >= 0 && i < len(t) && t[i].kind == tkWord && strings.EqualFold(t[i].text, w)
}

// closing returns the index of the parenthesis closing the one at open, or
// -1.
func closing(t []sqlTok, open int) int {
	depth := 0
	for i := open; i < len(t); i++ {
		if t[i].kind != tkPunct {
			continue
		}
		switch t[i].text {
		case "(", "[":
			depth++
		case ")", "]":
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitArgs splits t at its top-level commas.
func splitArgs(t []sqlTok) [][]sqlTok {
	var args [][]sqlTok
	depth, start := 0, 0
	for i, tk := range t {
		if tk.kind != tkPunct {
			continue
		}
		switch tk.text {
		case "(", "[":
			depth++
		case ")", "]":
			depth--
		case ",":
			if depth == 0 {
				args = append(args, t[start:i])
				start = i + 1
			}
		}
	}
	return append(args, t[start:])
}

func trimToks(t []sqlTok) []sqlTok {
	for len(t) > 0 && t[0].kind == tkSpace {
		t = t[1:]
	}
	for len(t) > 0 && t[len(t)-1].kind == tkSpace {
		t = t[:len(t)-1]
	}
	return t
}

func joinArgs(args [][]sqlTok) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = rewriteToks(trimToks(a))
	}
	return strings.Join(parts, ", ")
}

func rewriteToks(t []sqlTok) string {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		tk := t[i]
		if tk.kind != tkWord || isPunct(t, prevTok(t, i), ".") {
			b.WriteString(tk.text)
			continue
		}
		up := strings.ToUpper(tk.text)
		open := nextTok(t, i)
		if (up == "IPADDRESS" || up == "IPPREFIX") && open < len(t) && t[open].kind == tkString {
			b.WriteString(strings.ToLower(up) + "(" + t[open].text + ")")
			i = open
			continue
		}
		if !isPunct(t, open, "(") {
			b.WriteString(tk.text)
			continue
		}
		end := closing(t, open)
		if end < 0 {
			b.WriteString(tk.text)
			continue
		}
		inner := t[open+1 : end]
		if s, ok := rewriteCall(up, tk.text, inner); ok {
			b.WriteString(s)
			i = end
			continue
		}
		if up == "UNNEST" {
			if s, next, ok := rewriteUnnest(t, inner, end); ok {
				b.WriteString(s)
				i = next
				continue
			}
		}
		b.WriteString(tk.text)
	}
	return b.String()
}

// rewriteCall rewrites name(inner) when it is one of the constructs.
func rewriteCall(up, name string, inner []sqlTok) (string, bool) {
	switch up {
	case "CAST", "TRY_CAST":
		as := -1
		depth := 0
		for k, tk := range inner {
			if tk.kind == tkPunct {
				switch tk.text {
				case "(", "[":
					depth++
				case ")", "]":
					depth--
				}
			}
			if depth == 0 && tk.kind == tkWord && strings.EqualFold(tk.text, "AS") {
				as = k
			}
		}
		if as < 0 {
			return "", false
		}
		expr := rewriteToks(trimToks(inner[:as]))
		typ := trimToks(inner[as+1:])
		var words []string
		for _, tk := range typ {
			if tk.kind != tkSpace {
				words = append(words, strings.ToUpper(tk.text))
			}
		}
		switch strings.Join(words, " ") {
		case "IPADDRESS", "IPPREFIX":
			fn := strings.ToLower(words[0])
			if up == "TRY_CAST" {
				fn = "try_" + fn
			}
			return fn + "(" + expr + ")", true
		}
		return name + "(" + expr + " AS " + rewriteType(typ) + ")", true
	case "IF":
		args := splitArgs(inner)
		if len(args) != 2 {
			return "", false
		}
		return name + "(" + joinArgs(args) + ", NULL)", true
	case "TRANSFORM":
		return "list_transform(" + joinArgs(splitArgs(inner)) + ")", true
	case "ANY_MATCH", "ALL_MATCH", "NONE_MATCH":
		args := splitArgs(inner)
		if len(args) != 2 {
			return "", false
		}
		each := "list_transform(" + joinArgs(args) + ")"
		switch up {
		case "ANY_MATCH":
			return "coalesce(list_bool_or(" + each + "), false)", true
		case "ALL_MATCH":
			return "coalesce(list_bool_and(" + each + "), true)", true
		default:
			return "(NOT coalesce(list_bool_or(" + each + "), false))", true
		}
	case "REDUCE":
		args := splitArgs(inner)
		if len(args) != 4 {
			return "", false
		}
		a, s, f, g := joinArgs(args[0:1]), joinArgs(args[1:2]), joinArgs(args[2:3]), joinArgs(args[3:4])
		return "list_transform([list_reduce(" + a + ", " + f + ", " + s + ")], " + g + ")[1]", true
	}
	return "", false
}

// rewriteUnnest rewrites UNNEST(inner) AS alias(columns) (t[end] is the
// closing parenthesis); it returns the text and the index of the last
// token it consumed.
func rewriteUnnest(t []sqlTok, inner []sqlTok, end int) (string, int, bool) {
	k := nextTok(t, end)
	if isWord(t, k, "WITH") {
		return "", 0, false // WITH ORDINALITY: DuckDB's own
	}
	if isWord(t, k, "AS") {
		k = nextTok(t, k)
	}
	if k >= len(t) || (t[k].kind != tkWord && t[k].kind != tkQuoted) {
		return "", 0, false
	}
	alias := k
	open := nextTok(t, alias)
	if !isPunct(t, open, "(") {
		return "", 0, false
	}
	closeCols := closing(t, open)
	if closeCols < 0 {
		return "", 0, false
	}
	cols := splitArgs(t[open+1 : closeCols])
	args := splitArgs(inner)
	var sel string
	switch {
	case len(args) >= 2:
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = "unnest(" + rewriteToks(trimToks(a)) + ")"
		}
		sel = strings.Join(parts, ", ")
	case len(cols) >= 2:
		sel = "unnest(" + rewriteToks(trimToks(args[0])) + ", recursive := true)"
	default:
		return "", 0, false
	}
	var colText strings.Builder
	for _, tk := range t[open : closeCols+1] {
		colText.WriteString(tk.text)
	}
	return "(SELECT " + sel + ") AS " + t[alias].text + colText.String(), closeCols, true
}

// rewriteType spells a Trino type the DuckDB way.
func rewriteType(t []sqlTok) string {
	t = trimToks(t)
	var words []sqlTok
	for _, tk := range t {
		if tk.kind != tkSpace {
			words = append(words, tk)
		}
	}
	if len(words) == 0 {
		return ""
	}
	head := strings.ToUpper(words[0].text)
	var out strings.Builder
	rest := words[1:]
	args := func() ([][]sqlTok, []sqlTok) {
		if len(rest) == 0 || rest[0].kind != tkPunct || rest[0].text != "(" {
			return nil, rest
		}
		end := closing(rest, 0)
		if end < 0 {
			return nil, rest
		}
		return splitArgs(rest[1:end]), rest[end+1:]
	}
	switch head {
	case "ARRAY":
		a, after := args()
		if len(a) == 1 {
			return rewriteType(a[0]) + "[]" + toksText(after)
		}
	case "MAP":
		a, after := args()
		if len(a) == 2 {
			return "MAP(" + rewriteType(a[0]) + ", " + rewriteType(a[1]) + ")" + toksText(after)
		}
	case "ROW":
		a, after := args()
		if a != nil {
			fields := make([]string, len(a))
			for i, f := range a {
				f = trimToks(f)
				if len(f) >= 2 && (f[0].kind == tkWord || f[0].kind == tkQuoted) {
					fields[i] = f[0].text + " " + rewriteType(f[1:])
				} else {
					fields[i] = "field" + strconv.Itoa(i) + " " + rewriteType(f)
				}
			}
			return "STRUCT(" + strings.Join(fields, ", ") + ")" + toksText(after)
		}
	case "VARBINARY":
		return "BLOB"
	case "TIMESTAMP", "TIME":
		_, after := args()
		var tail []string
		for _, w := range after {
			tail = append(tail, strings.ToUpper(w.text))
		}
		switch strings.Join(tail, " ") {
		case "WITH TIME ZONE":
			return head + " WITH TIME ZONE"
		case "", "WITHOUT TIME ZONE":
			return head
		}
	case "INTERVAL":
		return "INTERVAL"
	}
	out.WriteString(toksText(words))
	return out.String()
}

func toksText(t []sqlTok) string {
	var b strings.Builder
	for i, tk := range t {
		if i > 0 && tk.kind != tkPunct && t[i-1].kind != tkPunct {
			b.WriteByte(' ')
		}
		b.WriteString(tk.text)
	}
	return b.String()
}
