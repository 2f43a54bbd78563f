package cvss

import "math"

// v2Metrics is Table 13 of the CVSS v2 guide, in its order: base, temporal,
// environmental. ND is "Not Defined".
var v2Metrics = []metric{
	{name: "AV", values: []string{"L", "A", "N"}, mandatory: true},
	{name: "AC", values: []string{"H", "M", "L"}, mandatory: true},
	{name: "Au", values: []string{"M", "S", "N"}, mandatory: true},
	{name: "C", values: []string{"N", "P", "C"}, mandatory: true},
	{name: "I", values: []string{"N", "P", "C"}, mandatory: true},
	{name: "A", values: []string{"N", "P", "C"}, mandatory: true},
	{name: "E", values: []string{"U", "POC", "F", "H", "ND"}},
	{name: "RL", values: []string{"OF", "TF", "W", "U", "ND"}},
	{name: "RC", values: []string{"UC", "UR", "C", "ND"}},
	{name: "CDP", values: []string{"N", "L", "LM", "MH", "H", "ND"}},
	{name: "TD", values: []string{"N", "L", "M", "H", "ND"}},
	{name: "CR", values: []string{"L", "M", "H", "ND"}},
	{name: "IR", values: []string{"L", "M", "H", "ND"}},
	{name: "AR", values: []string{"L", "M", "H", "ND"}},
}

// Weights of the v2 base metrics (guide section 3.2.1), indexed like the
// values in v2Metrics.
var (
	v2AV  = [...]float64{0.395, 0.646, 1.0}
	v2AC  = [...]float64{0.35, 0.61, 0.71}
	v2Au  = [...]float64{0.45, 0.56, 0.704}
	v2CIA = [...]float64{0.0, 0.275, 0.660}
)

// v2Base is the v2 base equation:
//
//	Impact = 10.41*(1-(1-C)*(1-I)*(1-A))
//	Exploitability = 20*AV*AC*Au
//	f(Impact) = 0 if Impact = 0, else 1.176
//	Base = round_to_1_decimal(((0.6*Impact)+(0.4*Exploitability)-1.5)*f(Impact))
func (v Vector) v2Base() float64 {
	c, i, a := v2CIA[v.vals[3]-1], v2CIA[v.vals[4]-1], v2CIA[v.vals[5]-1]
	impact := 10.41 * (1 - (1-c)*(1-i)*(1-a))
	if impact == 0 {
		return 0
	}
	expl := 20 * v2AV[v.vals[0]-1] * v2AC[v.vals[1]-1] * v2Au[v.vals[2]-1]
	return round1(((0.6 * impact) + (0.4 * expl) - 1.5) * 1.176)
}

// round1 rounds half up to one decimal. The small bias absorbs binary
// floating-point error so that an exact .x5 in decimal arithmetic (which
// the specification's equations assume) rounds up.
func round1(x float64) float64 {
	return math.Floor(x*10+0.5+1e-9) / 10
}
