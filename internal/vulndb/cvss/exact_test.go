package cvss

import (
	"fmt"
	"math/big"
	"testing"
)

// TestExactArithmetic scores every v2, v3.0 and v3.1 base vector again in
// exact rational arithmetic, where the specifications' equations have no
// floating-point error, and requires the same result: the float code's
// rounding (v2's half-up, v3.1's integer Roundup, v3.0's ceiling) must never
// be pushed to the wrong tenth by binary error.
func TestExactArithmetic(t *testing.T) {
	r := func(s string) *big.Rat {
		x, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("bad rational %q", s)
		}
		return x
	}
	one := big.NewRat(1, 1)
	sub := func(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }
	mul := func(xs ...*big.Rat) *big.Rat {
		p := big.NewRat(1, 1)
		for _, x := range xs {
			p.Mul(p, x)
		}
		return p
	}
	// tenths returns x in tenths, rounded half up (up=false) or up (up=true).
	tenths := func(x *big.Rat, up bool) float64 {
		x10 := mul(x, big.NewRat(10, 1))
		num, den := x10.Num(), x10.Denom()
		if !up {
			num = new(big.Int).Add(new(big.Int).Mul(num, big.NewInt(2)), den)
			den = new(big.Int).Mul(den, big.NewInt(2))
		}
		q, m := new(big.Int).DivMod(num, den, new(big.Int))
		if up && m.Sign() != 0 {
			q.Add(q, big.NewInt(1))
		}
		return float64(q.Int64()) / 10
	}
	n := 0
	check := func(vec string, want float64) {
		t.Helper()
		n++
		v, err := Parse(vec)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.BaseScore(); got != want {
			t.Errorf("%s: BaseScore() = %v, exact arithmetic gives %v", vec, got, want)
		}
	}

	av2 := map[string]string{"L": "0.395", "A": "0.646", "N": "1.0"}
	ac2 := map[string]string{"H": "0.35", "M": "0.61", "L": "0.71"}
	au2 := map[string]string{"M": "0.45", "S": "0.56", "N": "0.704"}
	cia2 := map[string]string{"N": "0", "P": "0.275", "C": "0.660"}
	for _, av := range []string{"L", "A", "N"} {
		for _, ac := range []string{"H", "M", "L"} {
			for _, au := range []string{"M", "S", "N"} {
				for _, c := range []string{"N", "P", "C"} {
					for _, i := range []string{"N", "P", "C"} {
						for _, a := range []string{"N", "P", "C"} {
							imp := mul(r("10.41"), sub(one, mul(sub(one, r(cia2[c])), sub(one, r(cia2[i])), sub(one, r(cia2[a])))))
							want := 0.0
							if imp.Sign() != 0 {
								expl := mul(big.NewRat(20, 1), r(av2[av]), r(ac2[ac]), r(au2[au]))
								s := new(big.Rat).Add(mul(r("0.6"), imp), mul(r("0.4"), expl))
								want = tenths(mul(sub(s, r("1.5")), r("1.176")), false)
							}
							check(fmt.Sprintf("AV:%s/AC:%s/Au:%s/C:%s/I:%s/A:%s", av, ac, au, c, i, a), want)
						}
					}
				}
			}
		}
	}

	av3 := map[string]string{"N": "0.85", "A": "0.62", "L": "0.55", "P": "0.2"}
	ac3 := map[string]string{"L": "0.77", "H": "0.44"}
	prU := map[string]string{"N": "0.85", "L": "0.62", "H": "0.27"}
	prC := map[string]string{"N": "0.85", "L": "0.68", "H": "0.5"}
	ui3 := map[string]string{"N": "0.85", "R": "0.62"}
	cia3 := map[string]string{"H": "0.56", "L": "0.22", "N": "0"}
	for _, av := range []string{"N", "A", "L", "P"} {
		for _, ac := range []string{"L", "H"} {
			for _, pr := range []string{"N", "L", "H"} {
				for _, ui := range []string{"N", "R"} {
					for _, s := range []string{"U", "C"} {
						for _, c := range []string{"H", "L", "N"} {
							for _, i := range []string{"H", "L", "N"} {
								for _, a := range []string{"H", "L", "N"} {
									iss := sub(one, mul(sub(one, r(cia3[c])), sub(one, r(cia3[i])), sub(one, r(cia3[a]))))
									var imp *big.Rat
									prw := prU[pr]
									if s == "U" {
										imp = mul(r("6.42"), iss)
									} else {
										prw = prC[pr]
										d := sub(iss, r("0.02"))
										pow := big.NewRat(1, 1)
										for range 15 {
											pow = mul(pow, d)
										}
										imp = sub(mul(r("7.52"), sub(iss, r("0.029"))), mul(r("3.25"), pow))
									}
									want := 0.0
									if imp.Sign() > 0 {
										sum := new(big.Rat).Add(imp, mul(r("8.22"), r(av3[av]), r(ac3[ac]), r(prw), r(ui3[ui])))
										if s == "C" {
											sum = mul(sum, r("1.08"))
										}
										if sum.Cmp(big.NewRat(10, 1)) > 0 {
											sum = big.NewRat(10, 1)
										}
										want = tenths(sum, true)
									}
									body := fmt.Sprintf("AV:%s/AC:%s/PR:%s/UI:%s/S:%s/C:%s/I:%s/A:%s", av, ac, pr, ui, s, c, i, a)
									check("CVSS:3.0/"+body, want)
									check("CVSS:3.1/"+body, want)
								}
							}
						}
					}
				}
			}
		}
	}
	if n != 729+2*2592 {
		t.Errorf("checked %d vectors, want %d", n, 729+2*2592)
	}
}
