// Command schemaexport writes the schema, kept in one file per area in
// schema/*.graphqls, as the single file that clients and relay-compiler
// read: schema.graphql at the top of the repository. `make generate` runs
// it (see graph/resolver.go); CI checks that the export is fresh.
//
//	go run ./cmd/schemaexport -o schema.graphql schema
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

const header = "# The whole API schema in one file, for clients and relay-compiler.\n" +
	"# Generated from schema/*.graphqls by cmd/schemaexport (make generate): edit those, not this.\n\n"

func main() {
	out := flag.String("o", "schema.graphql", "the file to write")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: schemaexport -o schema.graphql DIR")
		os.Exit(2)
	}
	if err := export(flag.Arg(0), *out); err != nil {
		fmt.Fprintln(os.Stderr, "schemaexport:", err)
		os.Exit(1)
	}
}

// export loads every .graphqls file of dir, which must form a valid schema,
// and writes it to out as one document with the extensions merged in.
func export(dir, out string) error {
	names, err := filepath.Glob(filepath.Join(dir, "*.graphqls"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	var sources []*ast.Source
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		sources = append(sources, &ast.Source{Name: filepath.ToSlash(name), Input: string(b)})
	}
	schema, gqlErr := gqlparser.LoadSchema(sources...)
	if gqlErr != nil {
		return gqlErr
	}
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchema(schema)
	return os.WriteFile(out, append([]byte(header), spaced(buf.Bytes())...), 0o644)
}

// spaced puts a blank line between top-level definitions, which the
// formatter writes back to back.
func spaced(b []byte) []byte {
	lines := bytes.Split(b, []byte("\n"))
	var out [][]byte
	for i, line := range lines {
		out = append(out, line)
		ends := bytes.Equal(line, []byte("}")) || bytes.HasPrefix(line, []byte("scalar ")) || bytes.HasPrefix(line, []byte("union "))
		if ends && i+1 < len(lines) && len(lines[i+1]) > 0 {
			out = append(out, nil)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
