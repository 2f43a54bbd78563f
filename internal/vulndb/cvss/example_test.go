package cvss_test

import (
	"fmt"

	"github.com/customs-scanner/customs/internal/vulndb/cvss"
)

func Example() {
	for _, s := range []string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"(AV:N/AC:M/Au:N/C:P/I:P/A:N)",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
	} {
		v, err := cvss.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(v.Version(), v.BaseScore(), v.Severity(), v.Score(), v)
	}
	_, err := cvss.Parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")
	fmt.Println(err)
	// Output:
	// 3.1 9.8 CRITICAL 9.8 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
	// 2.0 5.8 MEDIUM 5.8 AV:N/AC:M/Au:N/C:P/I:P/A:N
	// 4.0 9.3 CRITICAL 8.1 CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U
	// parse cvss vector "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H": invalid cvss vector: missing base metric A
}
