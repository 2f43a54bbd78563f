package policy

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"go.yaml.in/yaml/v3"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Rule actions.
const (
	ActionFail = "fail"
	ActionWarn = "warn"
)

// Rule is one named CEL expression over `finding`.
type Rule struct {
	Name   string
	Expr   string
	Action string
	// Source is "file:line:column" of the expression.
	Source string

	prg cel.Program
}

// Policy is a compiled policy file.
type Policy struct {
	Rules []Rule
}

// costLimit bounds the work one rule may do on one finding.
const costLimit = 100000

// newEnv declares `finding` and the severity constants.
func newEnv() (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(reflect.TypeFor[Input](), reflect.TypeFor[CVSS](), ext.ParseStructTags(true)),
		cel.Variable("finding", cel.ObjectType("policy.Input")),
		ext.Strings(),
	}
	for _, s := range []string{vulndb.SeverityUnknown, vulndb.SeverityNegligible, vulndb.SeverityLow, vulndb.SeverityMedium, vulndb.SeverityHigh, vulndb.SeverityCritical} {
		r, _ := vulndb.SeverityRank(s)
		opts = append(opts, cel.Constant(s, cel.IntType, types.Int(r)))
	}
	return cel.NewEnv(opts...)
}

// LoadPolicy reads and compiles a policy file (see ParsePolicy).
func LoadPolicy(file string) (*Policy, error) {
	data, err := readFile(file)
	if err != nil {
		return nil, err
	}
	return ParsePolicy(file, data)
}

// ParsePolicy parses and compiles a policy file:
//
//	rules:
//	  - name: exploited
//	    expr: finding.kev || (finding.severity >= HIGH && finding.fixAvailable && finding.epss > 0.1)
//	    action: fail
//
// Every expression must be a bool; compile errors name the line and column
// in the YAML file.
func ParsePolicy(name string, data []byte) (*Policy, error) {
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	top, err := mapping(name, root, "the policy file", "rules")
	if err != nil {
		return nil, err
	}
	list := top["rules"]
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		return nil, fmt.Errorf("%s: rules must be a non-empty list", name)
	}
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	p := &Policy{}
	seen := map[string]bool{}
	for _, item := range list.Content {
		m, err := mapping(name, item, "a rule", "name", "expr", "action")
		if err != nil {
			return nil, err
		}
		var r Rule
		for key, dst := range map[string]*string{"name": &r.Name, "expr": &r.Expr, "action": &r.Action} {
			if *dst, err = scalar(name, m[key], key); err != nil {
				return nil, err
			}
		}
		if r.Name == "" {
			return nil, fmt.Errorf("%s:%d:%d: rule has no name", name, item.Line, item.Column)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("%s:%d:%d: duplicate rule name %q", name, item.Line, item.Column, r.Name)
		}
		seen[r.Name] = true
		if r.Action == "" {
			r.Action = ActionFail
		}
		if r.Action != ActionFail && r.Action != ActionWarn {
			n := m["action"]
			return nil, fmt.Errorf("%s:%d:%d: rule %q: action %q: want fail or warn", name, n.Line, n.Column, r.Name, r.Action)
		}
		en := m["expr"]
		if en == nil || strings.TrimSpace(r.Expr) == "" {
			return nil, fmt.Errorf("%s:%d:%d: rule %q has no expr", name, item.Line, item.Column, r.Name)
		}
		r.Source = fmt.Sprintf("%s:%d:%d", name, en.Line, en.Column)
		ast, iss := env.Compile(r.Expr)
		if iss != nil && iss.Err() != nil {
			e := iss.Errors()[0]
			line, col := yamlPosition(en, lines, e.Location.Line(), e.Location.Column())
			return nil, fmt.Errorf("%s:%d:%d: rule %q: %s", name, line, col, r.Name, e.Message)
		}
		if ast.OutputType() != cel.BoolType {
			return nil, fmt.Errorf("%s:%d:%d: rule %q: expression is %s, want bool", name, en.Line, en.Column, r.Name, ast.OutputType())
		}
		if r.prg, err = env.Program(ast, cel.CostLimit(costLimit), cel.InterruptCheckFrequency(100)); err != nil {
			return nil, fmt.Errorf("%s:%d:%d: rule %q: %w", name, en.Line, en.Column, r.Name, err)
		}
		p.Rules = append(p.Rules, r)
	}
	return p, nil
}

// yamlPosition maps a CEL error location (1-based line, 0-based column
// within the expression) to a 1-based line and column in the YAML file.
// Plain and quoted scalars start at the node; block scalars (| and >) start
// on the next line at its indentation. Folded and escaped text may shift
// the column; the line is right for plain and literal scalars.
func yamlPosition(n *yaml.Node, lines []string, celLine, celCol int) (int, int) {
	if celLine < 1 {
		celLine = 1
	}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// The block's indentation is that of its first line; deeper
		// indentation on later lines is part of the expression.
		indent := 1
		if n.Line < len(lines) {
			l := lines[n.Line]
			indent = len(l) - len(strings.TrimLeft(l, " ")) + 1
		}
		return n.Line + celLine, indent + celCol
	case celLine == 1:
		col := n.Column + celCol
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			col++
		}
		return n.Line, col
	default:
		// A multi-line plain scalar: continuation lines are indented.
		line := n.Line + celLine - 1
		indent := 1
		if line-1 < len(lines) {
			l := lines[line-1]
			indent = len(l) - len(strings.TrimLeft(l, " ")) + 1
		}
		return line, indent + celCol
	}
}

// Eval evaluates every rule on every finding and returns, per rule in order,
// the indexes of the findings it matched.
func (p *Policy) Eval(ctx context.Context, findings []report.Finding, c Context) ([][]int, error) {
	out := make([][]int, len(p.Rules))
	for fi, f := range findings {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in := NewInput(f, c)
		act := map[string]any{"finding": in}
		for ri := range p.Rules {
			r := &p.Rules[ri]
			v, _, err := r.prg.ContextEval(ctx, act)
			if err != nil {
				return nil, fmt.Errorf("rule %q (%s) on %s %s: %w", r.Name, r.Source, f.VulnerabilityID, f.PURL, err)
			}
			if b, ok := v.Value().(bool); ok && b {
				out[ri] = append(out[ri], fi)
			}
		}
	}
	return out, nil
}
