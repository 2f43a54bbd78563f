package cvss

import (
	"math"
	"strings"
)

// v4Metrics lists the v4.0 metrics in the order of the specification's
// vector string table (section 7): base, threat, environmental,
// supplemental. X is "Not Defined".
var v4Metrics = []metric{
	{name: "AV", values: []string{"N", "A", "L", "P"}, mandatory: true},
	{name: "AC", values: []string{"L", "H"}, mandatory: true},
	{name: "AT", values: []string{"N", "P"}, mandatory: true},
	{name: "PR", values: []string{"N", "L", "H"}, mandatory: true},
	{name: "UI", values: []string{"N", "P", "A"}, mandatory: true},
	{name: "VC", values: []string{"H", "L", "N"}, mandatory: true},
	{name: "VI", values: []string{"H", "L", "N"}, mandatory: true},
	{name: "VA", values: []string{"H", "L", "N"}, mandatory: true},
	{name: "SC", values: []string{"H", "L", "N"}, mandatory: true},
	{name: "SI", values: []string{"H", "L", "N"}, mandatory: true},
	{name: "SA", values: []string{"H", "L", "N"}, mandatory: true},
	{name: "E", values: []string{"X", "A", "P", "U"}},
	{name: "CR", values: []string{"X", "H", "M", "L"}},
	{name: "IR", values: []string{"X", "H", "M", "L"}},
	{name: "AR", values: []string{"X", "H", "M", "L"}},
	{name: "MAV", values: []string{"X", "N", "A", "L", "P"}},
	{name: "MAC", values: []string{"X", "L", "H"}},
	{name: "MAT", values: []string{"X", "N", "P"}},
	{name: "MPR", values: []string{"X", "N", "L", "H"}},
	{name: "MUI", values: []string{"X", "N", "P", "A"}},
	{name: "MVC", values: []string{"X", "H", "L", "N"}},
	{name: "MVI", values: []string{"X", "H", "L", "N"}},
	{name: "MVA", values: []string{"X", "H", "L", "N"}},
	{name: "MSC", values: []string{"X", "H", "L", "N"}},
	{name: "MSI", values: []string{"X", "S", "H", "L", "N"}},
	{name: "MSA", values: []string{"X", "S", "H", "L", "N"}},
	{name: "S", values: []string{"X", "N", "P"}},
	{name: "AU", values: []string{"X", "N", "Y"}},
	{name: "R", values: []string{"X", "A", "U", "I"}},
	{name: "V", values: []string{"X", "D", "C"}},
	{name: "RE", values: []string{"X", "L", "M", "H"}},
	{name: "U", values: []string{"X", "Clear", "Green", "Amber", "Red"}},
}

// Positions in v4Metrics.
const (
	v4AV = iota
	v4AC
	v4AT
	v4PR
	v4UI
	v4VC
	v4VI
	v4VA
	v4SC
	v4SI
	v4SA
	v4E
	v4CR
	v4IR
	v4AR
	v4MAV // first modified base metric; MAV..MSA follow AV..SA's order
)

// The metrics the v4.0 scoring uses, in one small fixed array per vector.
const (
	sAV = iota
	sPR
	sUI
	sAC
	sAT
	sVC
	sVI
	sVA
	sSC
	sSI
	sSA
	sCR
	sIR
	sAR
	sE
	nScored
)

// v4Scored maps the scoring positions to the metric whose effective value
// they hold.
var v4Scored = [nScored]int{v4AV, v4PR, v4UI, v4AC, v4AT, v4VC, v4VI, v4VA, v4SC, v4SI, v4SA, v4CR, v4IR, v4AR, v4E}

// v4Level is each value's severity level (section 8.2: "severity distance"),
// one step = 0.1, most severe = 0. The decimal steps follow FIRST's
// reference calculator, whose arithmetic the final rounding (with its
// small lift) is tuned to.
var v4Level = [nScored]map[string]float64{
	sAV: {"N": 0.0, "A": 0.1, "L": 0.2, "P": 0.3},
	sPR: {"N": 0.0, "L": 0.1, "H": 0.2},
	sUI: {"N": 0.0, "P": 0.1, "A": 0.2},
	sAC: {"L": 0.0, "H": 0.1},
	sAT: {"N": 0.0, "P": 0.1},
	sVC: {"H": 0.0, "L": 0.1, "N": 0.2},
	sVI: {"H": 0.0, "L": 0.1, "N": 0.2},
	sVA: {"H": 0.0, "L": 0.1, "N": 0.2},
	sSC: {"H": 0.1, "L": 0.2, "N": 0.3},
	sSI: {"S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3},
	sSA: {"S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3},
	sCR: {"H": 0.0, "M": 0.1, "L": 0.2},
	sIR: {"H": 0.0, "M": 0.1, "L": 0.2},
	sAR: {"H": 0.0, "M": 0.1, "L": 0.2},
	sE:  {"A": 0.0, "P": 0.1, "U": 0.2},
}

// Highest-severity vectors of each equivalence-set level (section 8.2),
// partial vectors over the metrics of that set. EQ3 and EQ6 are taken
// together, indexed [eq3][eq6].
var (
	v4MaxEQ1 = [3][]string{
		{"AV:N/PR:N/UI:N"},
		{"AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"},
		{"AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"},
	}
	v4MaxEQ2 = [2][]string{
		{"AC:L/AT:N"},
		{"AC:H/AT:N", "AC:L/AT:P"},
	}
	v4MaxEQ3EQ6 = [3][2][]string{
		{
			{"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"},
			{"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"},
		},
		{
			{"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"},
			{"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
				"VC:H/VI:L/VA:H/CR:M/IR:H/AR:M", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
				"VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"},
		},
		{
			nil,
			{"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"},
		},
	}
	v4MaxEQ4 = [3][]string{
		{"SC:H/SI:S/SA:S"},
		{"SC:H/SI:H/SA:H"},
		{"SC:L/SI:L/SA:L"},
	}
	v4MaxEQ5 = [3][]string{{"E:A"}, {"E:P"}, {"E:U"}}
)

// Depth of each MacroVector per equivalence set (section 8.2: the largest
// severity distance inside it, plus one), in steps.
var (
	v4DepthEQ1    = [3]float64{1, 4, 5}
	v4DepthEQ2    = [2]float64{1, 2}
	v4DepthEQ3EQ6 = [3][2]float64{{7, 6}, {8, 8}, {0, 10}}
	v4DepthEQ4    = [3]float64{6, 5, 4}
)

// v4Levels is one effective vector as severity levels, indexed by the
// scoring positions.
type v4Levels [nScored]float64

// v4Eff returns the effective values the score uses (section 8.2 and
// 7.x): a modified base metric other than X replaces its base metric; E:X
// counts as A and CR/IR/AR:X as H, the worst case. baseOnly ignores the
// threat and environmental metrics altogether (CVSS-B).
func (v Vector) v4Eff(baseOnly bool) [nScored]string {
	var out [nScored]string
	get := func(i int) string {
		if v.vals[i] == 0 {
			return "X"
		}
		return v4Metrics[i].values[v.vals[i]-1]
	}
	for s, i := range v4Scored {
		val := get(i)
		if i <= v4SA && !baseOnly {
			if m := get(v4MAV + i); m != "X" {
				val = m
			}
		}
		if baseOnly && i > v4SA {
			val = "X"
		}
		if val == "X" {
			switch i {
			case v4E:
				val = "A"
			case v4CR, v4IR, v4AR:
				val = "H"
			}
		}
		out[s] = val
	}
	return out
}

// Nomenclature returns the v4.0 name of what Score measures (section 1.3):
// "CVSS-B", "CVSS-BT", "CVSS-BE" or "CVSS-BTE", by which threat and
// environmental metrics the vector carries with a value other than X. It
// returns "" for other versions.
func (v Vector) Nomenclature() string {
	if v.ver != v40 {
		return ""
	}
	n := "CVSS-B"
	if v.vals[v4E] > 1 { // 1 is X
		n += "T"
	}
	for i := v4CR; i <= v4MAV+v4SA; i++ {
		if v.vals[i] > 1 {
			n += "E"
			break
		}
	}
	return n
}

// v4Score is the v4.0 scoring of section 8.2: the MacroVector's score from
// the lookup table, lowered by the mean, over the equivalence sets that
// have a lower MacroVector, of (score gap to that lower MacroVector) x
// (severity distance of the vector from the MacroVector's highest-severity
// vector / the MacroVector's depth).
func (v Vector) v4Score(baseOnly bool) float64 {
	e := v.v4Eff(baseOnly)
	if e[sVC] == "N" && e[sVI] == "N" && e[sVA] == "N" && e[sSC] == "N" && e[sSI] == "N" && e[sSA] == "N" {
		return 0
	}
	eq := v4Macro(e)
	value := v4MacroScore(eq)

	lower := func(d [6]int) float64 {
		for k := range d {
			d[k] += eq[k]
		}
		return v4MacroScore(d)
	}
	next1 := lower([6]int{1, 0, 0, 0, 0, 0})
	next2 := lower([6]int{0, 1, 0, 0, 0, 0})
	var next36 float64
	switch {
	case eq[2] == 0 && eq[5] == 0:
		// Two lower MacroVectors (00 -> 01 and 00 -> 10): take the higher.
		next36 = math.Max(lower([6]int{0, 0, 0, 0, 0, 1}), lower([6]int{0, 0, 1, 0, 0, 0}))
	case eq[2] == 1 && eq[5] == 0:
		next36 = lower([6]int{0, 0, 0, 0, 0, 1})
	default: // 01 -> 11, 11 -> 21, 21 -> none
		next36 = lower([6]int{0, 0, 1, 0, 0, 0})
	}
	next4 := lower([6]int{0, 0, 0, 1, 0, 0})
	next5 := lower([6]int{0, 0, 0, 0, 1, 0})

	// The first highest-severity vector, in the specification's order, that
	// the vector does not exceed in any metric.
	var dist v4Levels
	found := false
	for _, m1 := range v4MaxEQ1[eq[0]] {
		for _, m2 := range v4MaxEQ2[eq[1]] {
			for _, m36 := range v4MaxEQ3EQ6[eq[2]][eq[5]] {
				for _, m4 := range v4MaxEQ4[eq[3]] {
					for _, m5 := range v4MaxEQ5[eq[4]] {
						if found {
							continue
						}
						dist = v4Distance(e, m1, m2, m36, m4, m5)
						found = true
						for _, d := range dist {
							if d < 0 {
								found = false
								break
							}
						}
					}
				}
			}
		}
	}

	const step = 0.1
	cur1 := dist[sAV] + dist[sPR] + dist[sUI]
	cur2 := dist[sAC] + dist[sAT]
	cur36 := dist[sVC] + dist[sVI] + dist[sVA] + dist[sCR] + dist[sIR] + dist[sAR]
	cur4 := dist[sSC] + dist[sSI] + dist[sSA]

	n := 0
	var sum float64
	add := func(next, cur, depth float64) {
		avail := value - next
		if math.IsNaN(avail) {
			return
		}
		n++
		sum += avail * (cur / depth)
	}
	add(next1, cur1, v4DepthEQ1[eq[0]]*step)
	add(next2, cur2, v4DepthEQ2[eq[1]]*step)
	add(next36, cur36, v4DepthEQ3EQ6[eq[2]][eq[5]]*step)
	add(next4, cur4, v4DepthEQ4[eq[3]]*step)
	if !math.IsNaN(value - next5) {
		n++ // EQ5 counts, with a proportion of 0
	}
	mean := 0.0
	if n > 0 {
		mean = sum / float64(n)
	}
	score := math.Max(0, math.Min(10, value-mean))
	// Round half up to one decimal after lifting by 1e-6, as FIRST's
	// calculator does: the interpolation can land one ulp below a tie
	// (6.1-0.45 = 5.6499999999999995), which must still round to 5.7.
	return math.Floor((score+1e-6)*10+0.5) / 10
}

// v4Macro computes the MacroVector: the levels of EQ1..EQ6 (section 8.1).
func v4Macro(e [nScored]string) [6]int {
	var eq [6]int
	av, pr, ui := e[sAV], e[sPR], e[sUI]
	switch {
	case av == "N" && pr == "N" && ui == "N":
		eq[0] = 0
	case (av == "N" || pr == "N" || ui == "N") && av != "P":
		eq[0] = 1
	default:
		eq[0] = 2
	}
	if e[sAC] != "L" || e[sAT] != "N" {
		eq[1] = 1
	}
	vc, vi, va := e[sVC], e[sVI], e[sVA]
	switch {
	case vc == "H" && vi == "H":
		eq[2] = 0
	case vc == "H" || vi == "H" || va == "H":
		eq[2] = 1
	default:
		eq[2] = 2
	}
	switch {
	case e[sSI] == "S" || e[sSA] == "S":
		eq[3] = 0
	case e[sSC] == "H" || e[sSI] == "H" || e[sSA] == "H":
		eq[3] = 1
	default:
		eq[3] = 2
	}
	switch e[sE] {
	case "P":
		eq[4] = 1
	case "U":
		eq[4] = 2
	}
	if !(e[sCR] == "H" && vc == "H" || e[sIR] == "H" && vi == "H" || e[sAR] == "H" && va == "H") {
		eq[5] = 1
	}
	return eq
}

// v4MacroScore looks a MacroVector up; NaN when it does not exist (a level
// past the last one, or EQ3=2 with EQ6=0).
func v4MacroScore(eq [6]int) float64 {
	var key [6]byte
	for k, d := range eq {
		if d < 0 || d > 9 {
			return math.NaN()
		}
		key[k] = byte('0' + d)
	}
	s, ok := v4Lookup[string(key[:])]
	if !ok {
		return math.NaN()
	}
	return s
}

// v4Pair is one metric of a highest-severity vector: its scoring position
// and severity level.
type v4Pair struct {
	s     int
	level float64
}

// v4Parts holds the highest-severity partial vectors above, parsed once.
var v4Parts = func() map[string][]v4Pair {
	m := map[string][]v4Pair{}
	add := func(parts []string) {
		for _, p := range parts {
			var pairs []v4Pair
			for kv := range strings.SplitSeq(p, "/") {
				name, val, _ := strings.Cut(kv, ":")
				s := v4ScoredIndex(name)
				pairs = append(pairs, v4Pair{s, v4Level[s][val]})
			}
			m[p] = pairs
		}
	}
	for _, l := range v4MaxEQ1 {
		add(l)
	}
	for _, l := range v4MaxEQ2 {
		add(l)
	}
	for _, ll := range v4MaxEQ3EQ6 {
		for _, l := range ll {
			add(l)
		}
	}
	for _, l := range v4MaxEQ4 {
		add(l)
	}
	for _, l := range v4MaxEQ5 {
		add(l)
	}
	return m
}()

// v4Distance is the severity distance, metric by metric, of the effective
// vector e from the highest-severity vector made of the given parts.
func v4Distance(e [nScored]string, parts ...string) v4Levels {
	var d v4Levels
	for _, p := range parts {
		for _, pair := range v4Parts[p] {
			d[pair.s] = v4Level[pair.s][e[pair.s]] - pair.level
		}
	}
	return d
}

func v4ScoredIndex(name string) int {
	for s, i := range v4Scored {
		if v4Metrics[i].name == name {
			return s
		}
	}
	panic("cvss: unknown metric in v4 max vector " + name) // static data, checked at init
}
