package storetest

import (
	"errors"
	"regexp"
	"strings"
)

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// ExampleQueries returns the SQL blocks between the <!-- queries --> and
// <!-- /queries --> markers of docs/sinks.md, the queries the docs promise
// run unchanged on SQLite and PostgreSQL.
func ExampleQueries(doc string) ([]string, error) {
	start, end := strings.Index(doc, "<!-- queries -->"), strings.Index(doc, "<!-- /queries -->")
	if start < 0 || end < start {
		return nil, errors.New("no <!-- queries --> section")
	}
	var out []string
	for _, m := range sqlBlock.FindAllStringSubmatch(doc[start:end], -1) {
		out = append(out, m[1])
	}
	return out, nil
}
