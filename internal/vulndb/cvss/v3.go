package cvss

import "math"

// v3Metrics lists the v3.0 and v3.1 metrics in the order of the
// specification's vector string table (v3.1 section 6, Table 15): base,
// temporal, environmental. X is "Not Defined". v3.0 and v3.1 define the
// same metrics and values.
var v3Metrics = []metric{
	{name: "AV", values: []string{"N", "A", "L", "P"}, mandatory: true},
	{name: "AC", values: []string{"L", "H"}, mandatory: true},
	{name: "PR", values: []string{"N", "L", "H"}, mandatory: true},
	{name: "UI", values: []string{"N", "R"}, mandatory: true},
	{name: "S", values: []string{"U", "C"}, mandatory: true},
	{name: "C", values: []string{"H", "L", "N"}, mandatory: true},
	{name: "I", values: []string{"H", "L", "N"}, mandatory: true},
	{name: "A", values: []string{"H", "L", "N"}, mandatory: true},
	{name: "E", values: []string{"X", "H", "F", "P", "U"}},
	{name: "RL", values: []string{"X", "U", "W", "T", "O"}},
	{name: "RC", values: []string{"X", "C", "R", "U"}},
	{name: "CR", values: []string{"X", "H", "M", "L"}},
	{name: "IR", values: []string{"X", "H", "M", "L"}},
	{name: "AR", values: []string{"X", "H", "M", "L"}},
	{name: "MAV", values: []string{"X", "N", "A", "L", "P"}},
	{name: "MAC", values: []string{"X", "L", "H"}},
	{name: "MPR", values: []string{"X", "N", "L", "H"}},
	{name: "MUI", values: []string{"X", "N", "R"}},
	{name: "MS", values: []string{"X", "U", "C"}},
	{name: "MC", values: []string{"X", "H", "L", "N"}},
	{name: "MI", values: []string{"X", "H", "L", "N"}},
	{name: "MA", values: []string{"X", "H", "L", "N"}},
}

// Weights of the v3 base metrics (v3.1 section 7.4), indexed like the
// values in v3Metrics.
var (
	v3AV        = [...]float64{0.85, 0.62, 0.55, 0.2}
	v3AC        = [...]float64{0.77, 0.44}
	v3PRUnch    = [...]float64{0.85, 0.62, 0.27}
	v3PRChanged = [...]float64{0.85, 0.68, 0.5}
	v3UI        = [...]float64{0.85, 0.62}
	v3CIA       = [...]float64{0.56, 0.22, 0}
)

// v3Base is the base equation of v3.0 and v3.1 (v3.1 section 7.1):
//
//	ISS = 1 - (1-C)*(1-I)*(1-A)
//	Impact = 6.42*ISS                                  (scope unchanged)
//	       = 7.52*(ISS-0.029) - 3.25*(ISS-0.02)^15     (scope changed)
//	Exploitability = 8.22*AV*AC*PR*UI
//	Base = 0 if Impact <= 0, else
//	       Roundup(min(Impact+Exploitability, 10))          (unchanged)
//	       Roundup(min(1.08*(Impact+Exploitability), 10))   (changed)
func (v Vector) v3Base() float64 {
	changed := v.vals[4] == 2
	c, i, a := v3CIA[v.vals[5]-1], v3CIA[v.vals[6]-1], v3CIA[v.vals[7]-1]
	iss := 1 - (1-c)*(1-i)*(1-a)
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	if impact <= 0 {
		return 0
	}
	pr := v3PRUnch[v.vals[2]-1]
	if changed {
		pr = v3PRChanged[v.vals[2]-1]
	}
	expl := 8.22 * v3AV[v.vals[0]-1] * v3AC[v.vals[1]-1] * pr * v3UI[v.vals[3]-1]
	sum := impact + expl
	if changed {
		sum *= 1.08
	}
	sum = math.Min(sum, 10)
	if v.ver == v30 {
		return roundup30(sum)
	}
	return roundup31(sum)
}

// roundup30 is v3.0's Roundup: the smallest number, to one decimal place,
// equal to or higher than its input (v3.0 section 8.1), done plainly.
func roundup30(x float64) float64 {
	return math.Ceil(x*10) / 10
}

// roundup31 is v3.1's Roundup (Appendix A): it works on the input scaled to
// an integer at five decimals, so that float error such as
// 4.000000000000001 does not round up to 4.1.
func roundup31(x float64) float64 {
	n := int64(math.Round(x * 100000))
	if n%10000 == 0 {
		return float64(n) / 100000
	}
	return float64(n/10000+1) / 10
}
