package graph_test

import (
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The schema's descriptions are the API's documentation: every type, field,
// argument, input field and enum value must have one.
func TestSchema_EverythingIsDescribed(t *testing.T) {
	raw, err := os.ReadFile("../schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	schema, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(raw)})
	if gqlErr != nil {
		t.Fatal(gqlErr)
	}
	var missing []string
	need := func(what, desc string) {
		if strings.TrimSpace(desc) == "" {
			missing = append(missing, what)
		}
	}
	for name, def := range schema.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		need(name, def.Description)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			need(name+"."+f.Name, f.Description)
			for _, a := range f.Arguments {
				if name != "Mutation" || a.Name != "input" { // mutation inputs are documented on their type
					need(name+"."+f.Name+"("+a.Name+")", a.Description)
				}
			}
		}
		for _, v := range def.EnumValues {
			need(name+"."+v.Name, v.Description)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("undocumented: %s", strings.Join(missing, ", "))
	}
}
